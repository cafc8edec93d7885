package problems_test

import (
	"testing"

	"github.com/cityreach/cityreach/internal/problems"
)

// TestCompareAndRates works two small lists by hand: of the earlier problems x (unit 1) and
// y (unit 2), x persists and y is fixed (its unit now reads 0.95); z (unit 2) is new. The
// city had 2, fixed 1: 0.5; unit 1 0 of 1, unit 2 1 of 1; without a comparison all are open
// and no rate is defined.
func TestCompareAndRates(t *testing.T) {
	mk := func(ind, code string, v float64) problems.Problem {
		key := problems.Key("c", ind, problems.LevelCommunity, code)
		return problems.Problem{ID: problems.ID(key), Key: key, Indicator: ind, Value: v,
			Unit: problems.Unit{Level: problems.LevelCommunity, Code: code, DistrictCode: "150201"}}
	}
	x, y, z := mk(problems.LivingCircle, "1", 0.5), mk(problems.ParkCoverage, "2", 0.4), mk(problems.LivingCircle, "2", 0.1)
	x2 := x
	x2.Value = 0.6
	got := problems.Compare([]problems.Problem{x, y}, []problems.Problem{x2, z}, true, map[string]float64{y.ID: 0.95})
	want := []struct {
		id, status    string
		before, after float64
	}{{y.ID, problems.StatusFixed, 0.4, 0.95}, {x.ID, problems.StatusPersisting, 0.5, 0.6}, {z.ID, problems.StatusNew, -1, 0.1}}
	if len(got) != 3 {
		t.Fatalf("%d problems", len(got))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.id || g.Status != w.status || g.After == nil || *g.After != w.after || (w.before < 0) != (g.Before == nil) || g.Before != nil && *g.Before != w.before {
			t.Errorf("%d: %+v, want %+v", i, g, w)
		}
	}
	units, districts, all := problems.Rates(got, "c", "城")
	if all.Earlier != 2 || all.Fixed != 1 || all.New != 1 || *all.Rate != 0.5 || len(districts) != 1 || *districts[0].Rate != 0.5 {
		t.Errorf("city %+v districts %+v", all, districts)
	}
	if len(units) != 2 || *units[0].Rate != 0 || *units[1].Rate != 1 || units[1].New != 1 {
		t.Errorf("units %+v", units)
	}
	open := problems.Compare(nil, []problems.Problem{x2, z}, false, nil)
	_, _, none := problems.Rates(open, "c", "城")
	if open[0].Status != problems.StatusOpen || open[1].Status != problems.StatusOpen || none.Rate != nil {
		t.Errorf("no comparison: %+v, rate %v", open, none.Rate)
	}
	if problems.ID("a/b") == problems.ID("a/c") || len(problems.ID("x")) != 17 {
		t.Errorf("ids: %s %s", problems.ID("a/b"), problems.ID("x"))
	}
}
