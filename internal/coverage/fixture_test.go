package coverage

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/network"
)

func rect(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

func park(id int64, class string, g orb.MultiPolygon) Park {
	return Park{ID: id, Name: "p", Class: class, OpenStatus: "open", Geom: g, AreaM2: area(g)}
}

func parcel(id int64, g orb.MultiPolygon, pop float64) Parcel {
	return Parcel{ID: id, Geom: g, AreaM2: area(g), Population: pop}
}

// handFixture is laid out so that every covered area lies on the straight sides of the
// buffers (x = const between y = 0 and the park's height), where the buffer is exact:
//
//	group 1: park 1 (综合公园, 100×100 at the origin, 10 000 m² → 500 m): parcel 1 at
//	  x 200–400 is inside (20 000 m²); parcel 2 at x 550–650 is cut by the buffer's east
//	  side x = 600 (5 000 of 10 000 m²).
//	group 2: parks 2 and 3 (社区公园 100×100 → 500 m) with east side 10 600 and west side
//	  10 550: parcel 3 at x 10 500–10 650 is inside neither buffer but inside their union
//	  (15 000 m², not 20 000: the overlap counts once).
//	group 3: park 4 (社区公园 40×40 = 1 600 m²): GB/T 50563 does not count it (< 2 000 m²),
//	  GB/T 51346 does (500 m). Parcel 4 at x 20 240–20 340 (200–300 m away): 4 000 m² under
//	  51346; parcel 5 at x 20 500–20 600: cut at x = 20 540 (1 600 of 4 000 m²).
//	parcel 6 far from every park: 0.
func handFixture() *Snapshot {
	return &Snapshot{CityID: 1, City: "fixture", CityName: "Fixture",
		Parks: []Park{
			park(1, caliber.Comprehensive, rect(0, 0, 100, 100)),
			park(2, caliber.Community, rect(10000, 0, 10100, 100)),
			park(3, caliber.Community, rect(11050, 0, 11150, 100)),
			park(4, caliber.Community, rect(20000, 0, 20040, 40)),
		},
		Parcels: []Parcel{
			parcel(1, rect(200, 0, 400, 100), 200),
			parcel(2, rect(550, 0, 650, 100), 100),
			parcel(3, rect(10500, 0, 10650, 100), 150),
			parcel(4, rect(20240, 0, 20340, 40), 40),
			parcel(5, rect(20500, 0, 20600, 40), 40),
			parcel(6, rect(30000, 0, 30100, 100), 100),
		},
	}
}

func builtin(t testing.TB, id string) caliber.Caliber {
	t.Helper()
	r, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func near(a, b float64) bool { return math.Abs(a-b) <= 0.01 }

func TestHandFixtureBuffer(t *testing.T) {
	cases := []struct {
		caliber  string
		historic bool
		covered  []float64 // per parcel, worked by hand
		gap      []float64
	}{
		{"gbt50563-2010", false, []float64{20000, 5000, 15000, 0, 0, 0}, []float64{0, 5000, 0, 4000, 4000, 10000}},
		// In a 历史文化街区 the 1 600 m² park counts (≥ 1 000 m²) with 300 m: parcel 4
		// (200–300 m) is inside, parcel 5 (500 m) is not.
		{"gbt50563-2010", true, []float64{20000, 5000, 15000, 4000, 0, 0}, []float64{0, 5000, 0, 0, 4000, 10000}},
		{"gbt51346-2019", false, []float64{20000, 5000, 15000, 4000, 1600, 0}, []float64{0, 5000, 0, 0, 2400, 10000}},
	}
	for _, tc := range cases {
		snap := handFixture()
		snap.Parks[3].Historic = tc.historic
		for _, workers := range []int{1, 2} {
			res, err := Compute(context.Background(), snap, builtin(t, tc.caliber), Options{Method: caliber.Buffer, Gaps: true, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			want := 0.0
			for i, w := range tc.covered {
				want += w
				if !near(res.Covered[i], w) {
					t.Errorf("%s historic=%v parcel %d: covered %.4f m², want %.2f", tc.caliber, tc.historic, i+1, res.Covered[i], w)
				}
				if g := area(res.Gaps[i]); !near(g, tc.gap[i]) {
					t.Errorf("%s parcel %d: gap %.4f m², want %.2f", tc.caliber, i+1, g, tc.gap[i])
				}
			}
			if !near(res.CoveredM2, want) || !near(res.TotalM2, 63000) {
				t.Errorf("%s: covered %.4f / %.4f, want %.2f / 63000", tc.caliber, res.CoveredM2, res.TotalM2, want)
			}
		}
	}
	// Population spread by area: parcel 2 is half covered, so 50 of its 100 residents.
	res, err := Compute(context.Background(), handFixture(), builtin(t, "gbt50563-2010"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !near(res.CoveredPopulation, 200+50+150) || !near(res.Population, 630) {
		t.Errorf("population: %.4f of %.4f, want 400 of 630", res.CoveredPopulation, res.Population)
	}
}

// netFixture: park 1 (100×100) with an entrance at (100, 50) on its east side and a street
// along y = 50 from the entrance east to x = 1000. With a 500 m radius the street is
// reached to x = 600; with a 25 m tolerance the reached strip is y 25–75.
//
//	parcel 1 at x 200–300, y 60–200: buffer 14 000 m² (all); network: the strip's part
//	  x 200–300, y 60–75 = 1 500 m².
//	parcel 2 at x 550–650, y 60–100: buffer x ≤ 600 → 2 000 m²; network: x 550–600,
//	  y 60–75 = 750 m² (the round end of the strip beyond x = 600 lies outside the
//	  Euclidean buffer and is cut off).
//	parcel 3 at x 700–800: 0 under both.
func netFixture(recorded bool) *Snapshot {
	p := park(1, caliber.Comprehensive, rect(0, 0, 100, 100))
	if recorded {
		p.Entrances = []orb.Point{{100, 50}}
	}
	return &Snapshot{CityID: 1, City: "net", CityName: "Net",
		Parks: []Park{p},
		Parcels: []Parcel{
			parcel(1, rect(200, 60, 300, 200), 100),
			parcel(2, rect(550, 60, 650, 100), 100),
			parcel(3, rect(700, 60, 800, 100), 100),
		},
		Edges: []network.Edge{
			{ID: 1, Source: 1, Target: 2, Length: 300, Geom: orb.LineString{{100, 50}, {400, 50}}, Walkable: true},
			{ID: 2, Source: 2, Target: 3, Length: 600, Geom: orb.LineString{{400, 50}, {1000, 50}}, Walkable: true},
			// a motorway is a barrier, never walked
			{ID: 3, Source: 1, Target: 4, Length: 2000, Geom: orb.LineString{{100, 50}, {100, 2050}}, Barrier: true},
		},
	}
}

func netCaliber() caliber.Caliber {
	c := caliber.Caliber{ID: "test-net", Title: "test", Classes: []string{caliber.Comprehensive},
		Bands: []caliber.Band{{MinAreaM2: 0, RadiusM: 500}}, Method: caliber.Network}
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

func TestHandFixtureNetwork(t *testing.T) {
	for _, recorded := range []bool{true, false} {
		snap := netFixture(recorded)
		cal := netCaliber()
		net, err := Compute(context.Background(), snap, cal, Options{Method: caliber.Network, Gaps: true})
		if err != nil {
			t.Fatal(err)
		}
		buf, err := Compute(context.Background(), snap, cal, Options{Method: caliber.Buffer})
		if err != nil {
			t.Fatal(err)
		}
		wantNet := []float64{1500, 750, 0}
		wantBuf := []float64{10000 + 4000, 2000, 0}
		for i := range wantNet {
			if !near(net.Covered[i], wantNet[i]) {
				t.Errorf("recorded=%v parcel %d: network %.4f, want %.2f", recorded, i+1, net.Covered[i], wantNet[i])
			}
			if !near(buf.Covered[i], wantBuf[i]) {
				t.Errorf("parcel %d: buffer %.4f, want %.2f", i+1, buf.Covered[i], wantBuf[i])
			}
		}
		if net.Parks[0].Generated == recorded || net.Parks[0].Entrances != 1 {
			t.Errorf("recorded=%v: access points %+v", recorded, net.Parks[0])
		}
		assertNetworkWithinBuffer(t, net, buf)
	}
}

// assertNetworkWithinBuffer checks the guarantee of the network method on a fixture:
// parcel by parcel the network figure never exceeds the buffer figure.
func assertNetworkWithinBuffer(t *testing.T, net, buf *Result) {
	t.Helper()
	for i := range net.Covered {
		if net.Covered[i] > buf.Covered[i]+1e-6 {
			t.Errorf("parcel %d: network %.4f > buffer %.4f", i, net.Covered[i], buf.Covered[i])
		}
	}
	if net.CoveredM2 > buf.CoveredM2+1e-6 {
		t.Errorf("network %.4f > buffer %.4f", net.CoveredM2, buf.CoveredM2)
	}
}
