// Package geodata holds the real geographic data cityreach ships for demos, tests and
// benchmarks: Baotou's city and district outlines and the Yellow River line (embedded, so
// `cityreach seed baotou` works from the binary alone), and two OpenStreetMap extracts
// (Monaco, central Helsinki) read from disk by the OSM importer. Sources, licences and the
// attribution are in README.md beside this file.
package geodata

import "embed"

// FS holds the embedded GeoJSON files: baotou_admin.geojson and baotou_yellow_river.geojson.
// The .osm.pbf extracts are not embedded; they are read from this folder.
//
//go:embed baotou_admin.geojson baotou_yellow_river.geojson
var FS embed.FS

// The embedded file names.
const (
	BaotouAdmin = "baotou_admin.geojson"
	YellowRiver = "baotou_yellow_river.geojson"
)
