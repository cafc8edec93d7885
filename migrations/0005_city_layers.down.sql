DROP TABLE IF EXISTS city_layers;
