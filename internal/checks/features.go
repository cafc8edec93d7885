package checks

import (
	"math"

	"github.com/twpayne/go-geos"
)

// Feature is one geometric result in the city's metric CRS with its properties. The Store
// turns a list of them into a GeoJSON FeatureCollection in EPSG:4326.
type Feature struct {
	Geom  *geos.Geom
	Props map[string]any
}

// Featurer is a report with geometric results.
type Featurer interface {
	Features() []Feature
}

func with(m map[string]any, k string, v any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round4(v float64) float64 { return math.Round(v*10000) / 10000 }
