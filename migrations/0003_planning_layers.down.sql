DROP TABLE IF EXISTS network_edges, facilities, residential_land, growth_boundaries, basic_farmland,
    eco_redlines, eco_corridors, park_entrances, parks CASCADE;
