package crs

import (
	"math"
	"testing"
)

func TestHaversineMeters(t *testing.T) {
	tests := []struct {
		name                   string
		lon1, lat1, lon2, lat2 float64
		want, tol              float64
	}{
		// One degree of latitude on the mean sphere is πR/180 = 111 195.08 m.
		{"one degree of latitude", 116, 39, 116, 40, math.Pi * EarthMeanRadius / 180, 1e-6},
		// One degree of longitude at 60°N is half of that.
		{"one degree of longitude at 60N", 24, 60, 25, 60, 55597.5, 0.5},
		{"same point", 116.4, 39.9, 116.4, 39.9, 0, 0},
		{"antipodes", 0, 0, 180, 0, math.Pi * EarthMeanRadius, 1e-6},
		// Shanghai → Beijing in GCJ-02 is 1 078 164 m on a sphere of radius
		// 6 378 137 m per the eviltransform test suite; scaled to our radius.
		{"Shanghai to Beijing", 121.531541859215, 31.17530398364597, 116.38404722455657, 39.91334545536069,
			1078164 * EarthMeanRadius / 6378137, 1},
	}
	for _, tt := range tests {
		got := HaversineMeters(tt.lon1, tt.lat1, tt.lon2, tt.lat2)
		if math.Abs(got-tt.want) > tt.tol {
			t.Errorf("%s: HaversineMeters = %.3f m; want %.3f ± %v", tt.name, got, tt.want, tt.tol)
		}
	}
}
