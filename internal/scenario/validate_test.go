package scenario

import (
	"encoding/json"
	"testing"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/layers"
)

// TestChangeAttributesAreTheLayersAPIs: the scenario's attribute check is the layers API's
// (featurewrite.Attributes). The details below are the layers API's words, written out by
// hand; the scenario's former copy answered "must be a whole number within range" (no value)
// for a fraction, "must be a number" for a string, refused whole numbers above 2^53 that a
// bigint column holds, and did not know column widths.
func TestChangeAttributesAreTheLayersAPIs(t *testing.T) {
	reg := layers.Default()
	// households as a smallint, to see the width of the column applied.
	cols := featurewrite.Columns{"residential_land": {"population": "int4", "households": "int2"}, "network_edges": {"source": "int8", "target": "int8"}}
	square := `{"type":"Polygon","coordinates":[[[109.8,40.6],[109.801,40.6],[109.801,40.601],[109.8,40.6]]]}`
	line := `{"type":"LineString","coordinates":[[109.8,40.6],[109.801,40.6]]}`
	for _, c := range []struct {
		layer, geom, props string
		detail, pointer    string
	}{
		{"residential_land", square, `{"population":10.5,"households":3}`, "attribute population: must be a whole number within range, got 10.5", "/feature/properties/population"},
		{"residential_land", square, `{"population":"10","households":3}`, "attribute population: must be a whole number, got a string", "/feature/properties/population"},
		{"residential_land", square, `{"population":100000,"households":40000}`, "attribute households: 40000 is out of range", "/feature/properties/households"},
		{"residential_land", square, `{"population":10}`, "attribute households is required", "/feature/properties"},
		{"residential_land", square, `{"population":10,"households":3,"city_id":2}`, "city_id is the scenario's city and cannot be set", "/feature/properties/city_id"},
		{"facilities", square, `{"category":"clinic"}`, "layer facilities holds Point geometries, not Polygon", "/feature/geometry/type"},
		{"network_edges", line, `{"source":9007199254740993,"target":2}`, "", ""},
	} {
		in := ChangeInput{Layer: c.layer, Op: OpAdd, Feature: json.RawMessage(`{"type":"Feature","geometry":` + c.geom + `,"properties":` + c.props + `}`)}
		d, err := decodeChange(reg, in, cols)
		if c.detail == "" {
			if err != nil {
				t.Errorf("%s: %v", c.props, err)
			} else if d.props["source"] != int64(9007199254740993) {
				t.Errorf("%s: source %v (%T)", c.props, d.props["source"], d.props["source"])
			}
			continue
		}
		fe := fault.As(err)
		if fe == nil || fe.Kind != fault.KindUnprocessable || fe.Detail != c.detail || fe.Extra["pointer"] != c.pointer {
			t.Errorf("%s: %v %+v, want 422 %q at %s", c.props, err, fe, c.detail, c.pointer)
		}
	}
}
