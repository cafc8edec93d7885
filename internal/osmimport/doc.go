// Package osmimport loads an OpenStreetMap .osm.pbf extract into one city, all or
// nothing: the walking network (walkable ways split at every node they share, plus the
// barriers — motorways, railways, rivers and canals — as non-walkable edges), parks with
// their CJJ/T 85 class, park access points where walkable edges cross or touch a park
// boundary, facilities mapped from amenity/shop/healthcare/social_facility/… tags to the
// facility categories (facilities.go; docs/osm-mapping.md), and residential land with a
// population estimated from the building floor area inside it.
//
// Everything happens in one transaction: the city is created when missing (metric SRID
// from crs.MetricSRIDFor), rows of an earlier OSM import of the same city are replaced,
// and nothing is visible until COMMIT. Objects that cannot become a feature (a way whose
// nodes are outside the extract, an unclosed ring, a park mapped as a node) are listed
// in the Report with their OSM id and the reason; nothing is dropped silently. Geometries
// PostGIS judges invalid are repaired with ST_MakeValid and listed as repaired.
package osmimport
