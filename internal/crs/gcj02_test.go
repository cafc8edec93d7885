package crs

import (
	"math"
	"testing"
)

// Reference pairs published with the eviltransform library's test suites
// (identical in its Go, Python, C# and Haskell ports), WGS 84 → GCJ-02.
var gcjReference = []struct {
	name                           string
	wgsLon, wgsLat, gcjLon, gcjLat float64
}{
	{"Shanghai", 121.5272106, 31.1774276, 121.531541859215, 31.17530398364597},
	{"Shenzhen", 113.912316, 22.543847, 113.9171764808363, 22.540796131694766},
	{"Beijing", 116.377817, 39.911954, 116.38404722455657, 39.91334545536069},
}

// 1e-9 degrees is about 0.1 mm: only floating-point rounding order may differ.
const gcjReferenceTolerance = 1e-9

func TestWGS84ToGCJ02Reference(t *testing.T) {
	for _, tt := range gcjReference {
		lon, lat := WGS84ToGCJ02(tt.wgsLon, tt.wgsLat)
		if math.Abs(lon-tt.gcjLon) > gcjReferenceTolerance || math.Abs(lat-tt.gcjLat) > gcjReferenceTolerance {
			t.Errorf("%s: WGS84ToGCJ02 = %.12f, %.12f; want %.12f, %.12f", tt.name, lon, lat, tt.gcjLon, tt.gcjLat)
		}
	}
}

func TestGCJ02ToWGS84Reference(t *testing.T) {
	for _, tt := range gcjReference {
		lon, lat := GCJ02ToWGS84(tt.gcjLon, tt.gcjLat)
		if math.Abs(lon-tt.wgsLon) > 1e-7 || math.Abs(lat-tt.wgsLat) > 1e-7 {
			t.Errorf("%s: GCJ02ToWGS84 = %.9f, %.9f; want %.9f, %.9f", tt.name, lon, lat, tt.wgsLon, tt.wgsLat)
		}
	}
}

func TestGCJ02OutsideChinaPassesThrough(t *testing.T) {
	for _, p := range [][2]float64{
		{7.42, 43.73},        // Monaco
		{-104.9903, 39.7392}, // Denver
		{153.0251, -27.4698}, // Brisbane
		{116.4, 56},          // north of the rectangle
		{71.9, 39},           // west of it
	} {
		if lon, lat := WGS84ToGCJ02(p[0], p[1]); lon != p[0] || lat != p[1] {
			t.Errorf("WGS84ToGCJ02(%v, %v) = %v, %v; want unchanged", p[0], p[1], lon, lat)
		}
		if lon, lat := GCJ02ToWGS84(p[0], p[1]); lon != p[0] || lat != p[1] {
			t.Errorf("GCJ02ToWGS84(%v, %v) = %v, %v; want unchanged", p[0], p[1], lon, lat)
		}
	}
}

// chinaGrid calls fn for every point of a 0.5° grid over mainland China's
// bounding rectangle, 73.5°E–135°E, 18°N–53.5°N.
func chinaGrid(fn func(lon, lat float64)) {
	for lat := 18.0; lat <= 53.5; lat += 0.5 {
		for lon := 73.5; lon <= 135.0; lon += 0.5 {
			fn(lon, lat)
		}
	}
}

func TestGCJ02RoundTripGrid(t *testing.T) {
	worst := 0.0
	chinaGrid(func(lon, lat float64) {
		gLon, gLat := WGS84ToGCJ02(lon, lat)
		wLon, wLat := GCJ02ToWGS84(gLon, gLat)
		d := HaversineMeters(lon, lat, wLon, wLat)
		worst = max(worst, d)
		if d >= 1 || math.Abs(wLon-lon) >= 1e-7 || math.Abs(wLat-lat) >= 1e-7 {
			t.Errorf("round trip of %v, %v ends at %.9f, %.9f, %.3f m away", lon, lat, wLon, wLat, d)
		}
	})
	t.Logf("worst round-trip error %.2e m", worst)
}

// The GCJ-02 offset is the distance between a point and its GCJ-02 image. It
// is 200–700 m over eastern China; west of about 103°E it drops as low as
// ~40 m around 96–99°E (Qinghai), so the often quoted "at least 100 m
// everywhere" holds only east of 103°E.
func TestGCJ02OffsetMagnitude(t *testing.T) {
	chinaGrid(func(lon, lat float64) {
		gLon, gLat := WGS84ToGCJ02(lon, lat)
		d := HaversineMeters(lon, lat, gLon, gLat)
		low := 20.0
		if lon >= 103 {
			low = 100
		}
		if d < low || d > 700 {
			t.Errorf("GCJ-02 offset at %v, %v is %.1f m; want %v–700 m", lon, lat, d, low)
		}
	})
}
