import { defineConfig, type Plugin } from 'vite';
import { join } from 'node:path';
import { rmSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
// @ts-expect-error plain ESM build script without types
import { buildGlyphs } from './build/glyphs.mjs';

/** After the bundle: gzipped copies of the bundles, and the glyph PBFs in dist/glyphs (see build/glyphs.mjs). */
function glyphs(): Plugin {
  let outDir = 'dist';
  return {
    name: 'cityreach-glyphs',
    apply: 'build',
    configResolved(c) { outDir = c.build.outDir; },
    // dist is not emptied (dist/.keep and the glyphs stay), so old bundles go here.
    buildStart() { rmSync(join(outDir, 'assets'), { recursive: true, force: true }); },
    closeBundle() {
      // Gzipped twins of the bundles: internal/webui sends them to clients that accept gzip.
      const assets = join(outDir, 'assets');
      for (const f of readdirSync(assets)) {
        if (/\.(js|mjs|css)$/.test(f)) writeFileSync(join(assets, `${f}.gz`), gzipSync(readFileSync(join(assets, f)), { level: 9 }));
      }
      buildGlyphs(join(outDir, 'glyphs'));
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [glyphs()],
  build: {
    outDir: 'dist',
    emptyOutDir: false, // keeps dist/.keep, which the Go embed needs before the first build
    assetsDir: 'assets',
    chunkSizeWarningLimit: 2000, // MapLibre and ECharts are most of it; one file is cached for a year
    sourcemap: false,
  },
  server: {
    // `npm run dev` proxies the API to a running `cityreach serve` (CITYREACH_DEV_API).
    proxy: Object.fromEntries(['/api', '/tiles', '/glyphs', '/healthz'].map((p) => [p, process.env.CITYREACH_DEV_API ?? 'http://127.0.0.1:8080'])),
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
