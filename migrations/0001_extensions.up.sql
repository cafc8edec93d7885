-- PostGIS for geometry, pgRouting as the independent oracle for the walking network.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgrouting;
