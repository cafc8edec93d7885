package crs

import (
	"math"
	"testing"
)

func TestGaussKrugerZone3(t *testing.T) {
	tests := []struct {
		name string
		lon  float64
		srid int
		cm   float64
	}{
		{"Baotou", 109.84, 4546, 111},
		{"Beijing", 116.4, 4548, 117},
		{"Shanghai", 121.47, 4549, 120},
		{"Kashgar", 75.99, 4534, 75},
		{"west edge of CM 75E", 73.5, 4534, 75},
		{"zone edge belongs east", 115.5, 4548, 117},
		{"just west of zone edge", 115.4999, 4547, 114},
		{"Fuyuan", 134.3, 4554, 135},
		{"east of CM 135E zone", 136.5, 0, 138},
		{"west of CM 75E zone", 73.4, 0, 72},
	}
	for _, tt := range tests {
		srid, cm := GaussKrugerZone3(tt.lon)
		if srid != tt.srid || cm != tt.cm {
			t.Errorf("%s: GaussKrugerZone3(%v) = %d, %v; want %d, %v", tt.name, tt.lon, srid, cm, tt.srid, tt.cm)
		}
	}
	for _, lon := range []float64{math.NaN(), math.Inf(1), 180.1, -181} {
		if srid, cm := GaussKrugerZone3(lon); srid != 0 || !math.IsNaN(cm) {
			t.Errorf("GaussKrugerZone3(%v) = %d, %v; want 0, NaN", lon, srid, cm)
		}
	}
}

func TestUTMZone(t *testing.T) {
	tests := []struct {
		name     string
		lon, lat float64
		srid     int
		cm       float64
	}{
		{"Monaco", 7.42, 43.73, 32632, 9},
		{"Helsinki", 24.94, 60.17, 32635, 27},
		{"Beijing", 116.4, 39.9, 32650, 117},
		{"Bergen (Norway exception)", 5.32, 60.39, 32632, 9},
		{"Paris", 2.35, 48.86, 32631, 3},
		{"Longyearbyen (Svalbard exception)", 15.6, 78.22, 32633, 15},
		{"Svalbard 31X", 8.9, 79, 32631, 3},
		{"Svalbard 37X", 35, 80, 32637, 39},
		{"Cape Town", 18.42, -33.92, 32734, 21},
		{"antimeridian east", 180, 10, 32660, 177},
		{"antimeridian west", -180, 10, 32601, -177},
	}
	for _, tt := range tests {
		srid, cm := UTMZone(tt.lon, tt.lat)
		if srid != tt.srid || cm != tt.cm {
			t.Errorf("%s: UTMZone(%v, %v) = %d, %v; want %d, %v", tt.name, tt.lon, tt.lat, srid, cm, tt.srid, tt.cm)
		}
	}
	if srid, cm := UTMZone(10, 91); srid != 0 || !math.IsNaN(cm) {
		t.Errorf("UTMZone(10, 91) = %d, %v; want 0, NaN", srid, cm)
	}
}

func TestMetricSRIDFor(t *testing.T) {
	tests := []struct {
		name     string
		lon, lat float64
		srid     int
	}{
		{"Baotou", 109.84, 40.65, 4546},
		{"Beijing", 116.4, 39.9, 4548},
		{"Sanya", 109.51, 18.25, 4546},
		{"Mohe", 122.53, 52.97, 4550},
		{"Monaco", 7.42, 43.73, 32632},
		{"Helsinki", 24.94, 60.17, 32635},
		{"Sydney", 151.21, -33.87, 32756},
		{"north of the China rectangle", 116.4, 60, 32650},
		{"not a number", math.NaN(), 40, 0},
	}
	for _, tt := range tests {
		got := MetricSRIDFor(tt.lon, tt.lat)
		if got != tt.srid {
			t.Errorf("%s: MetricSRIDFor(%v, %v) = %d; want %d", tt.name, tt.lon, tt.lat, got, tt.srid)
		}
		if got != 0 {
			if _, err := FromSRID(got); err != nil {
				t.Errorf("%s: MetricSRIDFor returned %d, which FromSRID rejects: %v", tt.name, got, err)
			}
		}
	}
}
