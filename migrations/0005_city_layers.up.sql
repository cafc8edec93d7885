-- Where each layer of a city came from: one row per city, layer and data source, written by
-- every bulk load (the demo generator, the importers). The UI and reports read it to label
-- generated data 示例数据 / synthetic and to show the attribution of real data.
CREATE TABLE city_layers (
    city_id      integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    layer        text NOT NULL,
    data_source  text NOT NULL,
    synthetic    boolean NOT NULL,
    rows         bigint NOT NULL,
    attribution  text NOT NULL DEFAULT '',
    loaded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, layer, data_source),
    CONSTRAINT city_layers_layer_format CHECK (layer ~ '^[a-z][a-z0-9_]{0,62}$'),
    CONSTRAINT city_layers_rows_nonnegative CHECK (rows >= 0)
);
