package coverage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/cityreach/cityreach/internal/fault"
)

// maxDrawnName is the longest name a drawn candidate keeps (characters).
const maxDrawnName = 200

// ParseDrawn reads drawn candidates: a GeoJSON FeatureCollection whose features are
// Polygons in EPSG:4326 with an optional properties.name. It checks the shape only (the
// geometry itself is read by PostGIS, Store.ProjectSites); an empty body is no candidates.
// Errors are Invalid faults naming candidates.
func ParseDrawn(raw []byte) ([]DrawnInput, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	bad := func(detail string) error { return fault.Invalid(detail).With("parameter", "candidates") }
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type     string          `json:"type"`
			Geometry json.RawMessage `json:"geometry"`
			// Properties may be null or any object; only name is read.
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		return nil, bad("candidates must be a GeoJSON FeatureCollection of Polygons (EPSG:4326)")
	}
	if fc.Type != "FeatureCollection" {
		return nil, bad(`candidates must be a GeoJSON FeatureCollection (type "FeatureCollection")`)
	}
	if len(fc.Features) > MaxDrawnSites {
		return nil, bad(fmt.Sprintf("at most %d drawn candidates, not %d", MaxDrawnSites, len(fc.Features)))
	}
	out := make([]DrawnInput, 0, len(fc.Features))
	for k, f := range fc.Features {
		var g struct {
			Type        string         `json:"type"`
			Coordinates [][][2]float64 `json:"coordinates"`
		}
		if f.Type != "Feature" || json.Unmarshal(f.Geometry, &g) != nil || g.Type != "Polygon" || len(g.Coordinates) == 0 || len(g.Coordinates[0]) < 4 {
			return nil, bad(fmt.Sprintf("candidate %d must be a Feature with a Polygon geometry (a closed ring of at least 4 positions)", k+1))
		}
		for _, ring := range g.Coordinates {
			for _, p := range ring {
				if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
					return nil, bad(fmt.Sprintf("candidate %d has a position outside longitude/latitude", k+1))
				}
			}
		}
		name, _ := f.Properties["name"].(string)
		if utf8.RuneCountInString(name) > maxDrawnName || !utf8.ValidString(name) {
			return nil, bad(fmt.Sprintf("candidate %d: a name has at most %d characters", k+1, maxDrawnName))
		}
		out = append(out, DrawnInput{Name: name, Geometry: f.Geometry})
	}
	return out, nil
}
