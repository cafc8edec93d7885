// Package importer loads planning data that arrives as files — GeoJSON FeatureCollections,
// zipped ESRI Shapefiles and GeoPackages — into one layer of the registry, all or nothing.
//
// Flow. A Reader (geojson.go, shapefile.go, gpkg.go) yields Features with their file
// index, file id, geometry in the file's CRS and raw properties. Import (import.go) maps
// the properties to layer attributes (mapping.go), converts and checks them against the
// layer registry (convert.go), fits the geometry to the layer's type (geometry.go) and
// streams the rows with COPY into a temporary table. In the same transaction PostGIS
// transforms every geometry to EPSG:4326 and judges it with ST_IsValidDetail; then one
// INSERT … SELECT (or UPDATE … FROM for --upsert) moves the rows into the layer, with the
// history triggers on unless Options.Bulk is set.
//
// All or nothing. Every feature is validated. If any is invalid, nothing is written and
// the Report lists each rejected feature with its index, id and reason; with
// Options.SkipInvalid the valid ones are written and the rejected ones are still listed.
// A feature is never dropped without a line in the report. A killed process leaves the
// table as it was, because the rows become visible only at COMMIT.
//
// CRS. Coordinates are taken in the CRS the file declares (a GeoJSON "crs" member, a
// Shapefile .prj, a GeoPackage's srs_id) or Options.CRS, which overrides it. Only the
// allow-list of internal/crs is accepted; GCJ-02 is converted to WGS 84 in Go with
// crs.GCJ02ToWGS84, every other CRS by ST_Transform in PostGIS.
package importer
