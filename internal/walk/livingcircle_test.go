package walk

import (
	"encoding/json"
	"math"
	"net/url"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/testdb"
)

// The living-circle hand fixture, in local metres: one straight street y = 0 from x = 0
// to 1000 with a node every 100 m; parcels are 20 m squares centred 20 m south of it (a
// 20 m access leg), facilities 10 m north of it (a 10 m access leg). Only kindergarten
// (tier 300 m) and primary_school (tier 500 m) are basic.
//
//	parcel  x    pop  community   kindergarten K(150)   primary PS2(300) / PS1(900)
//	P1      100  100  C1          50+30 = 80  ✓         200+30 = 230 ✓
//	P2      400  200  C1          250+30 = 280 ✓        100+30 = 130 ✓
//	P4      480   50  C1          330+30 = 360 ✗        180+30 = 210 ✓
//	P3      800  300  C2          650+30 = 680 ✗        100+30 = 130 ✓
//	P5  (700,-500) 10 C2          unattached (500 m from the street)
//
// C1: kindergarten 300/350 residents = 0.857 (800/1200 m²), primary 350/350.
// C2: kindergarten 0/310, primary 300/310 = 0.968.
func livingFixture(t *testing.T) (*pgxpool.Pool, City) {
	db := testdb.New(t)
	city := newCity(t, db.Pool, "lc")
	var edges []edgeRow
	for i := range 10 {
		x := float64(i) * 100
		edges = append(edges, road(int64(201+i), int64(101+i), int64(102+i), orb.Point{x, 0}, orb.Point{x + 100, 0}))
	}
	insertEdges(t, db.Pool, city.ID, edges)
	sq := func(x, y float64) orb.MultiPolygon { return rect(x-10, y-10, x+10, y+10) }
	insertParcels(t, db.Pool, city.ID, []int64{1, 2, 3, 4, 5},
		[]orb.MultiPolygon{sq(100, -20), sq(400, -20), sq(800, -20), sq(480, -20), sq(700, -500)},
		[]int64{100, 200, 300, 50, 10})
	insertFacilities(t, db.Pool, city.ID, []int64{1, 2, 3}, []string{"kindergarten", "primary_school", "primary_school"},
		[]orb.Point{{150, 10}, {900, 10}, {300, 10}})
	insertAreas(t, db.Pool, city.ID, rect(-50, -600, 1050, 100), []orb.MultiPolygon{rect(-50, -600, 500, 100), rect(500, -600, 1050, 100)})
	if _, err := db.Pool.Exec(ctxT(t), `UPDATE facility_categories SET basic = code IN ('kindergarten', 'primary_school')`); err != nil {
		t.Fatal(err)
	}
	return db.Pool, city
}

func figure(a AreaReport, code string) CategoryFigure {
	for _, f := range a.Coverage {
		if f.Code == code {
			return f
		}
	}
	return CategoryFigure{}
}

func TestLivingCircleHandFixture(t *testing.T) {
	pool, city := livingFixture(t)
	svc := NewService(pool, quiet())
	ctx := ctxT(t)
	n, in, r, err := svc.Baseline(ctx, city)
	if err != nil {
		t.Fatal(err)
	}
	if r.Cutoff != 1000 {
		t.Fatalf("search cutoff %v, want the largest tier 1000", r.Cutoff)
	}
	k := slices.IndexFunc(r.Categories, func(c Category) bool { return c.Code == "kindergarten" })
	ps := slices.IndexFunc(r.Categories, func(c Category) bool { return c.Code == "primary_school" })
	inf := math.Inf(1)
	want := map[int64][2]float64{1: {80, 230}, 2: {280, 130}, 3: {680, 130}, 4: {360, 210}, 5: {inf, inf}}
	for p, pc := range in.Parcels {
		w := want[pc.ID]
		if !sameFloat(r.Dist[k][p], w[0], 1e-6) || !sameFloat(r.Dist[ps][p], w[1], 1e-6) {
			t.Errorf("parcel %d: kindergarten %.9f, primary %.9f; want %v", pc.ID, r.Dist[k][p], r.Dist[ps][p], w)
		}
	}
	if r.Unattached.Parcels != 1 || r.Unattached.Population != 10 {
		t.Fatalf("unattached %+v, want parcel 5 with 10 residents", r.Unattached)
	}

	rep, err := Indicator(n, in, r, Options{Level: LevelCommunity})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Areas) != 2 {
		t.Fatalf("%d communities", len(rep.Areas))
	}
	c1, c2 := rep.Areas[0], rep.Areas[1]
	approx := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-3 {
			t.Errorf("%s = %.6f, want %.6f", what, got, want)
		}
	}
	approx("C1 population", c1.Population, 350)
	approx("C1 residential m²", c1.ResidentialM2, 1200)
	approx("C1 kindergarten residents share", figure(c1, "kindergarten").PopulationShare, 300.0/350)
	approx("C1 kindergarten area share", figure(c1, "kindergarten").AreaShare, 800.0/1200)
	approx("C1 primary share", figure(c1, "primary_school").PopulationShare, 1)
	approx("C2 kindergarten share", figure(c2, "kindergarten").PopulationShare, 0)
	approx("C2 primary share", figure(c2, "primary_school").PopulationShare, 300.0/310)
	if c1.Complete || !slices.Equal(c1.Missing, []string{"kindergarten"}) || c2.Complete || !slices.Equal(c2.Missing, []string{"kindergarten"}) {
		t.Fatalf("at 90 %%: C1 %v %v, C2 %v %v; want both missing only the kindergarten", c1.Status, c1.Missing, c2.Status, c2.Missing)
	}
	if !slices.Contains(c2.Reached, "primary_school") || rep.CompleteCommunities != 0 || rep.Communities != 2 || rep.Target != 30 {
		t.Fatalf("C2 reached %v, complete %d of %d, target %d", c2.Reached, rep.CompleteCommunities, rep.Communities, rep.Target)
	}

	// At 85 % C1 is complete (300/350 = 0.857); so it is at 90 % when the kindergarten
	// tier is 400 m (P4 at 360 m).
	for _, opt := range []Options{{Level: LevelCommunity, Share: 0.85}, {Level: LevelCommunity, Reach: map[string]float64{"kindergarten": 400}}} {
		rep, err := Indicator(n, in, r, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Areas[0].Complete || rep.Areas[1].Complete || rep.CompleteCommunities != 1 || rep.TargetMet {
			t.Fatalf("%+v: C1 %s, C2 %s, complete %d", opt, rep.Areas[0].Status, rep.Areas[1].Status, rep.CompleteCommunities)
		}
	}

	// City level: kindergarten 300/660 residents, primary 650/660.
	cityRep, err := Indicator(n, in, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	cr := cityRep.Areas[0]
	approx("city kindergarten", figure(cr, "kindergarten").PopulationShare, 300.0/660)
	approx("city primary", figure(cr, "primary_school").PopulationShare, 650.0/660)
	approx("city primary area", figure(cr, "primary_school").AreaShare, 1600.0/2000)

	// A scenario: a kindergarten at (800,10) reaches P3 at 30 m → C2 complete.
	sc := in.With(Changes{AddFacilities: []Facility{{ID: 99, Category: "kindergarten", Point: at(800, 10)}}})
	r2, err := ComputeReach(ctx, n, sc, ReachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep2, _ := Indicator(n, sc, r2, Options{Level: LevelCommunity})
	if !rep2.Areas[1].Complete || len(in.Facilities) != 3 {
		t.Fatalf("scenario: C2 %s %v (baseline facilities %d)", rep2.Areas[1].Status, rep2.Areas[1].Missing, len(in.Facilities))
	}

	// The API: JSON at every level and the communities for the map.
	h := engine(svc)
	var api Report
	if code := get(t, h, "/api/v1/indicators/living-circle", url.Values{"city": {"lc"}, "level": {"community"}, "share": {"0.85"}}, &api); code != 200 {
		t.Fatal(code)
	}
	if api.CompleteCommunities != 1 || !api.Areas[0].Complete {
		t.Fatalf("API: %d complete", api.CompleteCommunities)
	}
	for _, lvl := range []string{"city", "district", "subdistrict"} {
		var rep Report
		if code := get(t, h, "/api/v1/indicators/living-circle", url.Values{"city": {"lc"}, "level": {lvl}}, &rep); code != 200 || len(rep.Areas) != 1 {
			t.Fatalf("level %s: %d, %d areas", lvl, code, len(rep.Areas))
		}
	}
	var geo struct {
		Features []struct {
			Geometry   json.RawMessage `json:"geometry"`
			Properties map[string]any  `json:"properties"`
		} `json:"features"`
	}
	if code := get(t, h, "/api/v1/indicators/living-circle/communities.geojson", url.Values{"city": {"lc"}}, &geo); code != 200 || len(geo.Features) != 2 {
		t.Fatalf("communities.geojson: %d, %d features", code, len(geo.Features))
	}
	if geo.Features[0].Properties["status"] != StatusIncomplete {
		t.Fatalf("C1 status %v", geo.Features[0].Properties["status"])
	}
	for _, q := range []url.Values{{"city": {"lc"}, "level": {"street"}}, {"city": {"lc"}, "share": {"1.5"}}, {"city": {"lc"}, "reach": {"nope:100"}}, {}} {
		if code := get(t, h, "/api/v1/indicators/living-circle", q, nil); code != 400 {
			t.Errorf("%v: %d, want 400", q, code)
		}
	}
}

func TestParseCutoffs(t *testing.T) {
	for _, tc := range []struct {
		minutes, distances, speed string
		want                      []float64
		err                       bool
	}{
		{"", "", "", []float64{300, 500, 1000}, false},
		{"15,5", "", "", []float64{300, 1000}, false},
		{"5,10,15", "", "1.1", []float64{330, 660, 990}, false},
		{"20", "", "", []float64{1320}, false},
		{"10", "", "", []float64{500}, false},
		{"5", "250,800", "", []float64{250, 800}, false},
		{"0", "", "", nil, true},
		{"NaN", "", "", nil, true},
		{"5,x", "", "", nil, true},
		{"", "-3", "", nil, true},
		{"", "Inf", "", nil, true},
		{"100", "", "", nil, true}, // 6600 m > 5000 m
		{"5", "", "50", nil, true},
		{"1,2,3,4,5,6,7,8,9", "", "", nil, true},
	} {
		got, err := ParseCutoffs(tc.minutes, tc.distances, tc.speed)
		if (err != nil) != tc.err {
			t.Errorf("%q %q %q: err %v", tc.minutes, tc.distances, tc.speed, err)
			continue
		}
		var ds []float64
		for _, c := range got {
			ds = append(ds, math.Round(c.DistanceM*1e6)/1e6)
		}
		if !tc.err && !slices.Equal(ds, tc.want) {
			t.Errorf("%q %q %q: %v, want %v", tc.minutes, tc.distances, tc.speed, ds, tc.want)
		}
	}
}
