package importer

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/layers"
)

// TestConvertSpellingsThenTheLayersRule: a file's spellings are read, then the layers API's
// rule decides (featurewrite.Value), with the layers API's words. Expectations by hand.
func TestConvertSpellingsThenTheLayersRule(t *testing.T) {
	reg := layers.Default()
	attr := func(layer, name string) *layers.Attribute { return reg.Lookup(layer).Attr(name) }
	for _, c := range []struct {
		layer, name string
		in          any
		pgType      string
		want        any
		err         string
	}{
		{"residential_land", "population", "7", "int4", int64(7), ""},
		{"residential_land", "population", " 12 ", "int4", int64(12), ""},
		{"residential_land", "population", 120.0, "int4", int64(120), ""},
		{"residential_land", "population", 10.5, "int4", nil, "attribute population: must be a whole number within range, got 10.5"},
		{"residential_land", "population", json.Number("-5"), "int4", nil, "attribute population: must be at least 0"},
		{"residential_land", "households", int64(40000), "int2", nil, "attribute households: 40000 is out of range"},
		{"network_edges", "source", "9007199254740993", "int8", int64(9007199254740993), ""},
		{"parks", "pocket", "yes", "bool", true, ""},
		{"parks", "pocket", json.Number("0"), "bool", false, ""},
		{"parks", "park_class", "forest", "text", nil, "attribute park_class: must be one of comprehensive, community, specialized, garden, square"},
		{"districts", "adcode", 150203.0, "text", "150203", ""},
		{"growth_boundaries", "valid_from", "2024/06/30", "date", time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC), ""},
		{"residential_land", "population", "", "int4", nil, ""},
	} {
		got, err := convert(attr(c.layer, c.name), c.in, c.pgType)
		switch {
		case c.err != "" && (err == nil || err.Error() != c.err):
			t.Errorf("%s %v: %v, want %q", c.name, c.in, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s %v: %v (%T) %v, want %v (%T)", c.name, c.in, got, got, err, c.want, c.want)
		}
	}
}
