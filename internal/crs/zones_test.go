package crs

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
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

func TestAreaOfUse(t *testing.T) {
	mustParse := func(s string) CRS {
		c, err := ParseCRS(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Worked by hand: false easting 500,000 m (plus zone·10⁶ for the prefixed zones), ±
	// half a zone beyond the zone's edge at 111,600 m per degree; northings of 2°N and 55°N.
	for _, tc := range []struct {
		crs  string
		want Bounds
	}{
		{"EPSG:4546", Bounds{165_200, 221_000, 834_800, 6_098_000}},        // 3°, CM 111°E: ±3°
		{"EPSG:4525", Bounds{37_165_200, 221_000, 37_834_800, 6_098_000}},  // 3°, zone 37 (CM 111°E)
		{"EPSG:4508", Bounds{-169_600, 221_000, 1_169_600, 6_098_000}},     // 6°, CM 111°E: ±6°
		{"EPSG:4497", Bounds{18_830_400, 221_000, 20_169_600, 6_098_000}},  // 6°, zone 19 (CM 111°E)
		{"EPSG:32650", Bounds{-169_600, 0, 1_169_600, 9_330_000}},          // UTM 50N
		{"EPSG:32750", Bounds{-169_600, 1_118_000, 1_169_600, 10_000_000}}, // UTM 50S
		{"OGC:CRS84", Bounds{-180, -90, 180, 90}},
		{"EPSG:4490", Bounds{-180, -90, 180, 90}},
	} {
		if got := mustParse(tc.crs).AreaOfUse(); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.crs, got, tc.want)
		}
	}
	// 109.84°E 40.64°N in EPSG:4546 and in its zone-prefixed twin EPSG:4525, as PostGIS
	// ST_Transform gives them (401,873.07 / 4,501,242.14).
	cases := []struct {
		crs  string
		x, y float64
		ok   bool
	}{
		{"EPSG:4546", 401_873.07, 4_501_242.14, true},
		{"EPSG:4525", 37_401_873.07, 4_501_242.14, true},
		{"EPSG:4546", 109.84, 40.64, false},               // degrees sent as metres
		{"EPSG:4546", 37_401_873.07, 4_501_242.14, false}, // a prefixed easting in the unprefixed zone
		{"EPSG:4525", 401_873.07, 4_501_242.14, false},    // the other way round
		{"EPSG:4546", 401_873.07, math.NaN(), false},
	}
	for _, tc := range cases {
		err := CheckGeometry(mustParse(tc.crs), orb.Point{tc.x, tc.y})
		if (err == nil) != tc.ok {
			t.Errorf("%s (%v, %v): %v, want ok=%v", tc.crs, tc.x, tc.y, err, tc.ok)
		}
		var ae *AreaError
		if !tc.ok && (!errors.As(err, &ae) || !(ae.Point[0] == tc.x || math.IsNaN(tc.y))) {
			t.Errorf("%s: %v does not name the coordinate", tc.crs, err)
		}
	}
	// The first coordinate outside is named, in document order, inside a polygon's hole.
	poly := orb.Polygon{{{400_000, 4_500_000}, {401_000, 4_500_000}, {401_000, 4_501_000}, {400_000, 4_500_000}},
		{{400_100, 4_500_100}, {40.1, 4_500_200}, {400_200, 4_500_100}, {400_100, 4_500_100}}}
	var ae *AreaError
	if err := CheckGeometry(mustParse("EPSG:4546"), poly); !errors.As(err, &ae) || ae.Point != (orb.Point{40.1, 4_500_200}) {
		t.Errorf("hole: %v", err)
	}
}
