// Package tiles serves Mapbox Vector Tiles of the planning layers (and of any extra
// Source registered later, such as indicator layers), with TileJSON 3.0.0 documents and
// an in-process cache that never serves a stale tile.
//
// Tiles are rendered by PostGIS (ST_TileEnvelope, ST_AsMVTGeom, ST_AsMVT) from the
// geom_3857 column that migration 0006 adds to every feature table. The cache is bounded
// in bytes (LRU) and is invalidated by the cityreach_tiles notifications that the same
// migration's statement triggers send on every committed edit, from any process: each
// notification carries the layer and the 4326 boxes of the old and new geometries, and
// exactly the cached tiles whose buffered envelope meets one of those boxes are evicted,
// on every zoom. docs/tiles.md describes the protocol and its guarantees.
package tiles
