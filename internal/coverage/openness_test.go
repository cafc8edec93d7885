package coverage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/openness"
)

// gateFixture, in metres from o (EPSG:4546): a street y = 0 from x = 0 to 2000 with a node
// every 100 m, and one comprehensive park [900,1100]×[15,115] with two recorded gates, W at
// (900, 15) and E at (1100, 15), each 15 m north of a node (the access leg is walked).
// The caliber gives the park 300 m, so from a gate the street is reached 285 m either way:
// W [615, 1185], E [815, 1385]; the reached strip is y −25…25 (tolerance 25 m), clipped to
// the park's 300 m buffer (x ≈ 602–1398 at y = −20).
//
// Parcels are 50×10 m at y −20…−10, each at least 25 m from the ends of those stretches:
//
//	P1 x 700–750    W only
//	P2 x 1030–1070  W and E (on the street piece x 1000–1100)
//	P3 x 1250–1300  E only
//	P4 x 1500–1550  neither
//
// The park is within 20 m of the street (EntranceSnapM): were its shut gates ignored, the
// generated access points would cover P1–P3; they must not.
func gateFixture() (*genCity, orb.Point) {
	o := orb.Point{400000, 4480000}
	r := func(x0, y0, x1, y1 float64) orb.MultiPolygon { return rect(o[0]+x0, o[1]+y0, o[0]+x1, o[1]+y1) }
	g := &genCity{Origin: o}
	g.Parks = []Park{park(1, caliber.Comprehensive, r(900, 15, 1100, 115))}
	for i, x := range [][2]float64{{700, 750}, {1030, 1070}, {1250, 1300}, {1500, 1550}} {
		g.Parcels = append(g.Parcels, parcel(int64(i+1), r(x[0], -20, x[1], -10), 100))
	}
	all := r(-100, -500, 2100, 500)
	g.Areas = []Area{{Level: LevelDistrict, Name: "d", Geom: all}, {Level: LevelSubdistrict, Name: "s", Geom: all}, {Level: LevelCommunity, Name: "c", Geom: all}}
	for i := range 20 {
		x := float64(i) * 100
		g.Edges = append(g.Edges, network.Edge{Source: int64(i + 1), Target: int64(i + 2), Length: 100, Walkable: true,
			Geom: orb.LineString{{o[0] + x, o[1]}, {o[0] + x + 100, o[1]}}})
	}
	return g, o
}

// loadGateFixture writes the gate fixture into PostGIS as city "gates": the gates W and E
// with the given hours, the street piece x 1000–1100 (nodes 11–12) marked as steps. It
// returns the city id and the gates' ids.
func loadGateFixture(t *testing.T, pool *pgxpool.Pool, hoursW, hoursE string) (int, [2]int64) {
	t.Helper()
	ctx := context.Background()
	g, o := gateFixture()
	city := g.load(t, pool, "gates")
	var ids [2]int64
	for i, x := range []float64{900, 1100} {
		b, _ := wkb.Marshal(orb.Point{o[0] + x, o[1] + 15})
		if err := pool.QueryRow(ctx, `INSERT INTO park_entrances (city_id, park_id, name, open_hours, geom)
			SELECT $1, id, $2, $3, ST_Transform(ST_SetSRID(ST_GeomFromWKB($4), 4546), 4326) FROM parks WHERE city_id = $1 RETURNING id`,
			city, []string{"W", "E"}[i], []string{hoursW, hoursE}[i], b).Scan(&ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE network_edges SET steps = true WHERE city_id = $1 AND source = 11 AND target = 12`, city); err != nil {
		t.Fatal(err)
	}
	return city, ids
}

func gateCaliber() caliber.Caliber {
	c := caliber.Caliber{ID: "test-gates", Title: "test", Classes: []string{caliber.Comprehensive},
		Bands: []caliber.Band{{MinAreaM2: 0, RadiusM: 300}}, Method: caliber.Network}
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

// TestGatesAndSteps: the fixture above in PostGIS. Which parcels the network method covers
// (whole: 500 m², or 0) as gates close, open at some hours, the park closes, and a profile
// without steps leaves out the street piece x 1000–1100 marked as steps. Every case is
// worked by hand (the comment above) and checked again with pgRouting on the same graph
// (pgr_dijkstraCost from the gates' nodes on the routed edges the loader reads, less the
// steps edges for NoSteps): a parcel is covered when some usable gate reaches the street
// point below the parcel's centre within 300 m (access leg + network + along the edge).
func TestGatesAndSteps(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	city, ids := loadGateFixture(t, pool, "", "")
	set := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	at := func(s string) openness.At {
		a, err := openness.ParseAt(s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	cal := gateCaliber()
	for _, c := range []struct {
		name    string
		setup   func()
		opt     Options
		usable  []int // gate indexes (0 W, 1 E) the rule lets through
		covered []bool
	}{
		{"both open", func() {}, Options{}, []int{0, 1}, []bool{true, true, true, false}},
		{"E closed", func() { set(`UPDATE park_entrances SET status = 'closed' WHERE id = $1`, ids[1]) }, Options{}, []int{0}, []bool{true, true, false, false}},
		{"W closed", func() {
			set(`UPDATE park_entrances SET status = CASE WHEN id = $1 THEN 'closed' ELSE 'open' END WHERE city_id = $2`, ids[0], city)
		}, Options{}, []int{1}, []bool{false, true, true, false}},
		{"both closed: no fallback", func() { set(`UPDATE park_entrances SET status = 'closed' WHERE city_id = $1`, city) }, Options{}, nil, []bool{false, false, false, false}},
		{"hours, any time", func() {
			set(`UPDATE park_entrances SET status = 'open', open_hours = CASE WHEN id = $1 THEN '09:00-18:00' ELSE '06:00-10:00' END WHERE city_id = $2`, ids[0], city)
		}, Options{}, []int{0, 1}, []bool{true, true, true, false}},
		{"hours at 07:00", func() {}, Options{At: at("07:00")}, []int{1}, []bool{false, true, true, false}},
		{"hours at 12:00", func() {}, Options{At: at("12:00")}, []int{0}, []bool{true, true, false, false}},
		{"hours at 20:00", func() {}, Options{At: at("20:00")}, nil, []bool{false, false, false, false}},
		{"park hours 10:00-12:00: E (06:00-10:00) never open with the park", func() {
			set(`UPDATE parks SET open_hours = '10:00-12:00' WHERE city_id = $1`, city)
		}, Options{}, []int{0}, []bool{true, true, false, false}},
		{"park closed", func() { set(`UPDATE parks SET open_hours = '', open_status = 'closed' WHERE city_id = $1`, city) }, Options{}, nil, []bool{false, false, false, false}},
		{"steps walked", func() {
			set(`UPDATE parks SET open_status = 'open' WHERE city_id = $1`, city)
			set(`UPDATE park_entrances SET open_hours = '' WHERE city_id = $1`, city)
		}, Options{}, []int{0, 1}, []bool{true, true, true, false}},
		{"no steps", func() {}, Options{NoSteps: true}, []int{0, 1}, []bool{true, false, true, false}},
	} {
		c.setup()
		snap, err := Store{Pool: pool}.Load(ctx, "gates")
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Steps) != 1 {
			t.Fatalf("%s: steps edges %v, want one", c.name, snap.Steps)
		}
		// A closed park is still counted by a caliber that counts closed parks; the
		// network method then reaches nothing from it.
		cc := cal
		cc.OpenStatus = []string{"open", "shared", "closed"}
		c.opt.Method, c.opt.Gaps = caliber.Network, true
		res, err := Compute(ctx, snap, cc, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		want := oracleCovered(t, ctx, pool, city, c.usable, c.opt.NoSteps)
		for i := range snap.Parcels {
			got := res.Covered[i]
			if c.covered[i] != want[i] {
				t.Fatalf("%s: parcel %d by hand %v, pgRouting %v", c.name, i+1, c.covered[i], want[i])
			}
			wantM2 := 0.0
			if c.covered[i] {
				wantM2 = snap.Parcels[i].AreaM2
			}
			if !near(got, wantM2) {
				t.Errorf("%s: parcel %d covered %.4f m², want %.4f", c.name, i+1, got, wantM2)
			}
		}
		if want := len(c.usable); res.Parks[0].Entrances != want || res.Parks[0].Generated {
			t.Errorf("%s: access points %+v, want %d recorded", c.name, res.Parks[0], want)
		}
		if (c.opt.NoSteps || c.opt.At != openness.AnyTime) != (res.Parameters.Network != nil) {
			t.Errorf("%s: parameters %+v", c.name, res.Parameters.Network)
		}
	}
}

// oracleCovered says, per parcel of the gate fixture, whether one of the usable gates
// (0: W above node 10 at x 900, 1: E above node 12 at x 1100; access leg 15 m) reaches the
// street point below the parcel's centre within 300 m: pgr_dijkstraCost from the gate's
// node to both ends of the street piece under the centre, on the routed walkable edges of
// the city (less the steps edges when noSteps; a centre on a left-out piece is not
// reached), plus the distance along that piece.
func oracleCovered(t *testing.T, ctx context.Context, pool *pgxpool.Pool, city int, usable []int, noSteps bool) []bool {
	t.Helper()
	// pgRouting takes SQL text: the city id (an integer of this test) is formatted in.
	edges := fmt.Sprintf(`SELECT id, source, target, length_m AS cost, length_m AS reverse_cost FROM network_edges
		WHERE city_id = %d AND walkable AND source IS NOT NULL AND geom_m IS NOT NULL AND NOT (steps AND %t)`, city, noSteps)
	g, _ := gateFixture()
	out := make([]bool, len(g.Parcels))
	for i, p := range g.Parcels {
		b := p.Geom.Bound()
		xc := (b.Min[0]+b.Max[0])/2 - g.Origin[0]
		a := int64(xc/100) + 1 // node a at x (a−1)·100, node a+1 100 m east
		var onSteps bool
		if err := pool.QueryRow(ctx, `SELECT steps FROM network_edges WHERE city_id = $1 AND source = $2 AND target = $3`,
			city, a, a+1).Scan(&onSteps); err != nil {
			t.Fatal(err)
		}
		if onSteps && noSteps {
			continue
		}
		for _, gate := range usable {
			node := []int64{10, 12}[gate]
			rows, err := pool.Query(ctx, `SELECT end_vid, agg_cost FROM pgr_dijkstraCost($1, $2::bigint, ARRAY[$3, $4]::bigint[], directed => false)`,
				edges, node, a, a+1)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var end int64
				var cost float64
				if err := rows.Scan(&end, &cost); err != nil {
					t.Fatal(err)
				}
				along := xc - float64(a-1)*100
				if end == a+1 {
					along = float64(a)*100 - xc
				}
				if 15+cost+along <= 300 {
					out[i] = true
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if node == a || node == a+1 { // pgr_dijkstraCost leaves out the start node itself
				along := xc - float64(a-1)*100
				if node == a+1 {
					along = float64(a)*100 - xc
				}
				out[i] = out[i] || 15+along <= 300
			}
		}
	}
	return out
}

// TestIndicatorAtAndProfile: at= and profile= reach the stored runs. On the gate fixture
// (E open 06:00-10:00 only, the street piece under P2 steps), the indicator's city figure
// at 12:00 and for the wheelchair equals Compute's with the same options, each is a run of
// its own (coverage_runs.variant), differs from the default figure, and is reused when asked
// again; bad values are refused naming the parameter.
func TestIndicatorAtAndProfile(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	loadGateFixture(t, pool, "", "06:00-10:00")
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	svc := &Service{Store: Store{Pool: pool}, Calibers: reg}
	const cal = "gbt51346-2019"
	snap, err := Store{Pool: pool}.Load(ctx, "gates")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := reg.Get(cal)
	ratio := func(opt Options) float64 {
		opt.Method = caliber.Network
		res, err := Compute(ctx, snap, c, opt)
		if err != nil {
			t.Fatal(err)
		}
		return res.Ratio()
	}
	noon, _ := openness.ParseAt("12:00")
	def := ratio(Options{})
	runs := map[int64]bool{}
	for _, tc := range []struct {
		profile, at string
		want        float64
	}{
		{"", "", def},
		{"", "12:00", ratio(Options{At: noon})},
		{"wheelchair", "", ratio(Options{NoSteps: true})},
		{"elderly", "", def}, // no steps rule: the default run
	} {
		for again := range 2 {
			rep, err := svc.Indicator(ctx, Query{City: "gates", Caliber: cal, Method: caliber.Network, Profile: tc.profile, At: tc.at})
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.City1.Ratio; math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("profile %q at %q: ratio %.9f, Compute %.9f", tc.profile, tc.at, got, tc.want)
			}
			if rep.At != tc.at || rep.Profile != tc.profile || rep.Reused != (again == 1 || tc.profile == "elderly") {
				t.Errorf("profile %q at %q: report at %q profile %q reused %v", tc.profile, tc.at, rep.At, rep.Profile, rep.Reused)
			}
			runs[rep.Run.ID] = true
		}
		if tc.want == def && tc.profile == "" && tc.at != "" {
			t.Errorf("at %q: the fixture should move the figure", tc.at)
		}
	}
	if len(runs) != 3 {
		t.Errorf("%d stored runs, want 3 (default, at 12:00, no steps)", len(runs))
	}
	if def == ratio(Options{At: noon}) || def == ratio(Options{NoSteps: true}) {
		t.Errorf("the options do not move the figure (%.6f): the test proves nothing", def)
	}
	// After an edit the kept state is brought forward (live.go): the steps edges must come
	// with it. The wheelchair figure equals Compute on a fresh load of the edited data.
	if _, err := pool.Exec(ctx, `UPDATE residential_land SET population = population + 1
		WHERE id = (SELECT min(r.id) FROM residential_land r JOIN cities c ON c.id = r.city_id AND c.slug = 'gates')`); err != nil {
		t.Fatal(err)
	}
	if snap, err = (Store{Pool: pool}).Load(ctx, "gates"); err != nil {
		t.Fatal(err)
	}
	eight, _ := openness.ParseAt("08:00")
	for _, q := range []Query{{Profile: "wheelchair"}, {Profile: "wheelchair", At: "08:00"}} { // brought forward; new on the edited state
		q.City, q.Caliber, q.Method = "gates", cal, caliber.Network
		rep, err := svc.Indicator(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		opt := Options{NoSteps: true}
		if q.At != "" {
			opt.At = eight
		}
		if want := ratio(opt); rep.Reused || math.Abs(rep.City1.Ratio-want) > 1e-9 || want == ratio(Options{At: opt.At}) {
			t.Errorf("%+v after an edit: ratio %.9f (reused %v), Compute %.9f, with steps %.9f", q, rep.City1.Ratio, rep.Reused, want, ratio(Options{At: opt.At}))
		}
	}
	for _, bad := range []Query{{Profile: "rocket"}, {At: "25:00"}} {
		bad.City, bad.Caliber, bad.Method = "gates", cal, caliber.Network
		_, err := svc.Indicator(ctx, bad)
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Kind != fault.KindInvalid || (fe.Extra["parameter"] != "profile" && fe.Extra["parameter"] != "at") {
			t.Errorf("%+v: %v, want an invalid parameter", bad, err)
		}
	}
}
