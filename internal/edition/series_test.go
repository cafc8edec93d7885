package edition_test

import (
	"context"
	"math"
	"testing"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/series"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
)

// TestSeriesEqualsEachEdition: with two published editions and a draft, the series has a
// point per published edition, oldest first, then now; each point's values equal the
// indicator asked for that edition alone (or for now), unit by unit; unit= keeps one unit;
// and the target path is the city's, by year.
func TestSeriesEqualsEachEdition(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	city := fixtureCity(t, db.Pool)
	st := edition.Store{Pool: db.Pool}
	exec := func(sql string) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql, city); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	publish := func(name string) {
		t.Helper()
		e, err := st.Create(ctx, edition.New{City: "ed", Name: name}, "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Publish(ctx, e.ID, "test"); err != nil {
			t.Fatal(err)
		}
	}
	publish("2024 现状")
	exec(`INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, '新公园', 'garden', ` + env(820, 820, 880, 880) + `)`)
	exec(`INSERT INTO facilities (city_id, category, name, geom) VALUES ($1, 'kindergarten', 'new', ` + ptAt(750, 250) + `)`)
	publish("2025 现状")
	exec(`INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, '口袋公园', 'garden', ` + env(120, 720, 180, 780) + `)`)
	if _, err := st.Create(ctx, edition.New{City: "ed", Name: "draft"}, "test"); err != nil {
		t.Fatal(err)
	}
	exec(`DELETE FROM parks WHERE city_id = $1 AND name = '公园1'`)
	exec(`INSERT INTO indicator_targets (city_id, indicator, year, value, source) VALUES ($1, 'park-coverage', 2030, 1, 'plan'), ($1, 'park-coverage', 2027, 0.9, 'milestone')`)

	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	cov := &coverage.Service{Store: coverage.Store{Pool: db.Pool}, Calibers: reg}
	wk := walk.NewService(db.Pool, nil)
	src := series.Source{Editions: st, Coverage: cov, Walk: wk}
	refs := []string{"2024 现状", "2025 现状", ""}

	s, err := src.Series(ctx, series.Query{Indicator: series.ParkCoverage, City: "ed", Level: coverage.LevelCommunity, Caliber: "gbt50563-2010"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 3 || s.Points[0].Edition != "2024 现状" || s.Points[1].Edition != "2025 现状" || !s.Points[2].Now {
		t.Fatalf("points %+v, want 2024 现状, 2025 现状, now", s.Points)
	}
	if len(s.Targets) != 2 || s.Targets[0].Year != 2027 || s.Targets[0].Value != 0.9 || s.Targets[1].Year != 2030 || s.Targets[1].Value != 1 {
		t.Errorf("targets %+v, want 2027 0.9 and 2030 1", s.Targets)
	}
	var heads []float64
	for i, ref := range refs {
		rep, err := cov.Indicator(ctx, coverage.Query{City: "ed", Caliber: "gbt50563-2010", Level: coverage.LevelCommunity, AsOf: ref})
		if err != nil {
			t.Fatal(err)
		}
		p := s.Points[i]
		heads = append(heads, p.Headline)
		if p.Headline != rep.City1.Ratio || len(p.Values) != len(rep.Areas) {
			t.Fatalf("park coverage at %q: series %v with %d values, indicator %v with %d", ref, p.Headline, len(p.Values), rep.City1.Ratio, len(rep.Areas))
		}
		for k, a := range rep.Areas {
			if v := p.Values[k]; v.ID != a.ID || math.Abs(v.Value-a.Ratio) > 1e-12 {
				t.Errorf("park coverage at %q, community %d: series %v, indicator %v", ref, a.ID, v.Value, a.Ratio)
			}
		}
	}
	// 2025 added a park; since then one came and a larger one went.
	if heads[0] >= heads[1] || heads[2] == heads[1] {
		t.Errorf("the city's coverage must rise from 2024 to 2025 and move since: %v", heads)
	}

	one, err := src.Series(ctx, series.Query{Indicator: series.ParkCoverage, City: "ed", Level: coverage.LevelCommunity, Unit: s.Points[0].Values[3].ID, Caliber: "gbt50563-2010"})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range one.Points {
		if len(p.Values) != 1 || p.Values[0] != s.Points[i].Values[3] {
			t.Errorf("unit series point %d: %+v, want %+v", i, p.Values, s.Points[i].Values[3])
		}
	}

	lc, err := src.Series(ctx, series.Query{Indicator: series.LivingCircle, City: "ed", Level: walk.LevelCommunity})
	if err != nil {
		t.Fatal(err)
	}
	for i, ref := range refs {
		var rep *walk.Report
		if ref == "" {
			rep, err = wk.LivingCircle(ctx, "ed", walk.Options{Level: walk.LevelCommunity})
		} else {
			rep, err = wk.LivingCircleAsOf(ctx, "ed", walk.Options{Level: walk.LevelCommunity}, ref)
		}
		if err != nil {
			t.Fatal(err)
		}
		basic := 0
		for _, c := range rep.Categories {
			if c.Basic {
				basic++
			}
		}
		p := lc.Points[i]
		if p.Headline != float64(rep.CompleteCommunities) || len(p.Values) != len(rep.Areas) {
			t.Fatalf("living circle at %q: series %v with %d values, indicator %d with %d", ref, p.Headline, len(p.Values), rep.CompleteCommunities, len(rep.Areas))
		}
		for k, a := range rep.Areas {
			want := float64(basic-len(a.Missing)) / float64(basic)
			if v := p.Values[k]; v.ID != a.ID || v.Value != want || *v.Complete != a.Complete {
				t.Errorf("living circle at %q, community %d: series %+v, indicator %v (complete %v)", ref, a.ID, v, want, a.Complete)
			}
		}
	}
	if len(lc.Targets) != 0 {
		t.Errorf("living-circle targets %+v, want none recorded", lc.Targets)
	}
}
