import 'maplibre-gl/dist/maplibre-gl.css';
import './styles.css';
import { start } from './app';

start(document.getElementById('app')!).catch((e) => {
  console.error(e);
  document.body.dataset.ready = 'error';
});
