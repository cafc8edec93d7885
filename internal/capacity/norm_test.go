package capacity

import (
	"os"
	"regexp"
	"strings"
	"unicode"

	"context"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/walk"
)

// TestFixtureNorm: the hand-worked fixture of fixture_test.go (three schools, five
// parcels, served A·P = 75, 2750/13, 1375/13, 1200/13, 1500/13) measured against a norm
// other than one seat per child.
//
// 900 seats per 1,000 children of the band: needs 0.9 × (100, 200, 100, 300, 50) = 90, 180,
// 90, 270, 45; gaps 90 − 75 = 15, 180 − 2750/13 = −410/13, 90 − 1375/13 = −205/13,
// 270 − 1200/13 = 2310/13, 45 − 1500/13 = −915/13. City: need 675, gap 675 − 600 = 75,
// attainment 600/675 = 8/9, shortfall 15 + 2310/13 = 2505/13. Community A: need 270,
// served 3725/13, gap 3510/13 − 3725/13 = −215/13, shortfall 15; B: need 405, served
// 4075/13, gap 1190/13, shortfall 2310/13.
//
// 150 seats per 1,000 residents (parcels of 200, 400, 200, 600, 100): needs 30, 60, 30, 90,
// 15; gaps −45, −1970/13, −985/13, −30/13, −1305/13; city need 225, gap −375, attainment
// 8/3, shortfall 0.
func TestFixtureNorm(t *testing.T) {
	n, in, fac := fixture(t)
	sp := kidsSpread(in)
	cat := Category{Code: "primary_school", ReachM: 500, Norm: Norm{PerThousand: 900, Basis: NormBands}}
	rep, err := Compute(context.Background(), n, in, cat, fac, sp, Options{Level: LevelParcel}, 200)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Norm.PerThousand != 900 || rep.Norm.Basis != NormBands {
		t.Errorf("norm %+v, want 900 per 1,000 of the bands", rep.Norm)
	}
	near(t, "norm per resident", rep.NormPerResident, 0.9)
	wantNeed := []float64{90, 180, 90, 270, 45}
	wantGap := []float64{15, -410.0 / 13, -205.0 / 13, 2310.0 / 13, -915.0 / 13}
	for i, p := range rep.Parcels {
		near(t, "need", p.Need, wantNeed[i])
		near(t, "gap", p.Gap, wantGap[i])
		near(t, "attainment", p.Attainment, p.Served/wantNeed[i])
	}
	near(t, "city need", rep.Totals.Need, 675)
	near(t, "city gap", rep.Totals.Gap, 75)
	near(t, "city attainment", rep.Totals.Attainment, 8.0/9)
	near(t, "city shortfall", rep.Totals.Shortfall, 2505.0/13)
	near(t, "supply ratio unchanged", rep.Totals.Ratio, 600.0/750)

	rep, err = Compute(context.Background(), n, in, cat, fac, sp, Options{}, 200)
	if err != nil {
		t.Fatal(err)
	}
	a, b := rep.Areas[0], rep.Areas[1]
	near(t, "A need", a.Need, 270)
	near(t, "A gap", a.Gap, -215.0/13)
	near(t, "A shortfall", a.Shortfall, 15)
	near(t, "B need", b.Need, 405)
	near(t, "B gap", b.Gap, 1190.0/13)
	near(t, "B shortfall", b.Shortfall, 2310.0/13)

	cat.Norm = Norm{PerThousand: 150, Basis: NormResidents}
	rep, err = Compute(context.Background(), n, in, cat, fac, sp, Options{Level: LevelParcel}, 200)
	if err != nil {
		t.Fatal(err)
	}
	wantNeed = []float64{30, 60, 30, 90, 15}
	wantGap = []float64{-45, -1970.0 / 13, -985.0 / 13, -30.0 / 13, -1305.0 / 13}
	for i, p := range rep.Parcels {
		near(t, "residents need", p.Need, wantNeed[i])
		near(t, "residents gap", p.Gap, wantGap[i])
	}
	near(t, "residents city need", rep.Totals.Need, 225)
	near(t, "residents city gap", rep.Totals.Gap, -375)
	near(t, "residents attainment", rep.Totals.Attainment, 8.0/3)
	near(t, "residents shortfall", rep.Totals.Shortfall, 0)
}

// TestNormUnknownDemand: with age counts for community A only, B's parcels have no known
// demand and need nothing, even when the norm counts every resident. R1 = 300/300 = 1,
// R2 = 200/200 = 1 (P2 alone of its catchment has children), R3 has nobody: A1 = 1,
// A2 = 2, served 100 and 400; needs 0.15 × 200 = 30 and 0.15 × 400 = 60, B's 0; city
// need 90, gap 90 − 500 = −410.
func TestNormUnknownDemand(t *testing.T) {
	n, in, fac := fixture(t)
	sp := SpreadInputs(in, map[int64]float64{11: 300})
	cat := Category{Code: "nursery", ReachM: 500, Norm: Norm{PerThousand: 150, Basis: NormResidents}}
	rep, err := Compute(context.Background(), n, in, cat, fac, sp, Options{Level: LevelParcel}, 200)
	if err != nil {
		t.Fatal(err)
	}
	wantNeed := []float64{30, 60, 0, 0, 0}
	for i, p := range rep.Parcels {
		near(t, "need", p.Need, wantNeed[i])
	}
	near(t, "served", rep.Totals.Served, 500)
	near(t, "city need", rep.Totals.Need, 90)
	near(t, "city gap", rep.Totals.Gap, -410)
	if rep.ParcelsWithoutAgeData != 3 {
		t.Errorf("parcels without age data %d, want 3", rep.ParcelsWithoutAgeData)
	}
}

// TestNormZeroValue: a category read without a norm (the zero Norm) is one seat per child
// of the band, so the fixture's figures are those of TestFixtureHandWorked.
func TestNormZeroValue(t *testing.T) {
	n, in, fac := fixture(t)
	rep, err := Compute(context.Background(), n, in, Category{Code: "primary_school", ReachM: 500}, fac, kidsSpread(in), Options{Level: "city"}, 200)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Norm.PerThousand != 1000 || rep.Norm.Basis != NormBands {
		t.Errorf("norm %+v, want 1000 per 1,000 of the bands", rep.Norm)
	}
	near(t, "need", rep.Totals.Need, 750)
	near(t, "gap", rep.Totals.Gap, 150)
}

// TestStepsHand: a walker who takes no steps walks round them. The street A(0,0)–B(400,0)
// –C(500,0)–D(900,0), the piece B–C (100 m) a flight of steps, and a detour B–(400,150)–
// (500,150)–C of 400 m; schools S at x = 0 (100 seats) and T at x = 900 (60), parcels Q1
// x = 300 (50 children), Q2 x = 600 (50), Q3 x = 850 (100); d0 = 700 m.
//
//	with the steps      S: Q1 300, Q2 600, Q3 850 (—)   T: Q1 600, Q2 300, Q3 50
//	without the steps   S: Q1 300, Q2 900 (—), Q3 —     T: Q1 900 (—), Q2 300, Q3 50
//
// With: R_S = 100 / 100 = 1, R_T = 60 / 200 = 0.3; A = 1.3, 1.3, 0.3.
// Without: R_S = 100 / 50 = 2, R_T = 60 / 150 = 0.4; A = 2, 0.4, 0.4.
// Both share out all 160 seats.
func TestStepsHand(t *testing.T) {
	city := walk.City{ID: 1, Slug: "steps"}
	n, err := walk.NewNetwork(city, []network.Edge{
		{ID: 1, Source: 1, Target: 2, Length: 400, Geom: orb.LineString{{0, 0}, {400, 0}}, Walkable: true},
		{ID: 2, Source: 2, Target: 3, Length: 100, Geom: orb.LineString{{400, 0}, {500, 0}}, Walkable: true},
		{ID: 3, Source: 3, Target: 4, Length: 400, Geom: orb.LineString{{500, 0}, {900, 0}}, Walkable: true},
		{ID: 4, Source: 2, Target: 3, Length: 400, Geom: orb.LineString{{400, 0}, {400, 150}, {500, 150}, {500, 0}}, Walkable: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	n.Steps = []int64{2}
	in := &walk.Inputs{City: city}
	for i, p := range []struct{ x, kids float64 }{{300, 50}, {600, 50}, {850, 100}} {
		in.Parcels = append(in.Parcels, walk.Parcel{ID: int64(i + 1), Point: orb.Point{p.x, 0}, Population: p.kids, In: [3]int32{-1, -1, -1}})
	}
	s, tt := 100.0, 60.0
	fac := []Supply{{ID: 1, Point: orb.Point{0, 0}, Capacity: &s}, {ID: 2, Point: orb.Point{900, 0}, Capacity: &tt}}
	cat := Category{Code: "primary_school", ReachM: 500}
	for _, c := range []struct {
		profile string
		want    []float64
	}{
		{"", []float64{1.3, 1.3, 0.3}},
		{"standard", []float64{1.3, 1.3, 0.3}},
		{"elderly", []float64{1.3, 1.3, 0.3}},
		{"wheelchair", []float64{2, 0.4, 0.4}},
	} {
		rep, err := Compute(context.Background(), n, in, cat, fac, TotalDemand(in), Options{Level: LevelParcel, D0: 700, Profile: c.profile}, 200)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range rep.Parcels {
			near(t, c.profile+" A", p.Access, c.want[i])
		}
		near(t, c.profile+" served", rep.Totals.Served, 160)
	}
}

// TestSourceEn: every norm source migration 0027 seeds (read from the migration's text)
// has an English text, which is not the Chinese one and has no Chinese character; a source
// written in English is its own; an edited Chinese source and an empty one have none.
func TestSourceEn(t *testing.T) {
	b, err := os.ReadFile("../../migrations/0027_capacity_norm.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	seeded := regexp.MustCompile(`capacity_norm_source = '([^']*)'`).FindAllStringSubmatch(string(b), -1)
	if len(seeded) != 5 {
		t.Fatalf("%d seeded sources, want 5", len(seeded))
	}
	for _, m := range seeded {
		en, ok := SourceEn(m[1])
		if !ok || en == m[1] || strings.ContainsFunc(en, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			t.Errorf("%s: English %q (%t)", m[1], en, ok)
		}
	}
	for src, want := range map[string]string{"Local plan, 2030: 40 places per 1,000": "Local plan, 2030: 40 places per 1,000", seeded[0][1] + "（修订）": "", "": ""} {
		if en, ok := SourceEn(src); en != want || ok != (want != "") {
			t.Errorf("%q: %q, %t; want %q", src, en, ok, want)
		}
	}
}
