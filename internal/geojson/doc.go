// Package geojson is a strict RFC 7946 decoder for GeoJSON that users and
// importers send to cityreach. It turns a Feature or a FeatureCollection into
// orb geometries and reports the first problem it finds as an *Error that
// names, in words a planner understands, what is wrong and where (a JSON
// pointer such as /features/3/geometry/coordinates/0/5).
//
// Beyond RFC 7946 it rejects what JSON parsers usually let through: duplicate
// keys, trailing data after the document, numbers that overflow to infinity,
// nesting deeper than Options.MaxDepth, input larger than Options.MaxBytes and
// geometries with more positions than Options.MaxCoordinates. It also rejects
// empty geometries and null geometries, which have no use in planning input.
//
// What it does not check: ring orientation (RFC 7946 tells parsers not to
// reject the other winding) and topological validity such as
// self-intersections, which PostGIS ST_IsValid judges after import.
//
// Coordinates are longitude, latitude (x, y) in every case, as RFC 7946
// requires; a legacy "crs" member (GeoJSON 2008) names the CRS of the numbers
// but never swaps axes. A third number in a position (elevation) is
// validated and then dropped, because orb geometries are two-dimensional and
// planning layers are 2D. A string (value or member name) holding bytes that
// are not valid UTF-8 is an error with Encoding set, where encoding/json would
// replace them with U+FFFD.
//
// Output is never encoded here: PostGIS serialises GeoJSON responses.
package geojson
