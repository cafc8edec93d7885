package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/seed"
)

// TestRequestAsOf: as_of with a scenario is refused, and so is a section that cannot be as
// of an edition when it is named; asked for through "all" it is left out and listed.
func TestRequestAsOf(t *testing.T) {
	avail := []string{"park-coverage", "living-circle", "capacity", "complete-communities"}
	for _, tc := range []struct {
		req   report.Request
		param string
	}{
		{report.Request{City: "c", AsOf: "2024 现状", Scenario: 3}, "as_of"},
		{report.Request{City: "c", Scenario: 3}, "scenario"},
		{report.Request{City: "c", AsOf: "2024 现状", Indicators: []string{"park-coverage,capacity"}}, "indicators"},
		{report.Request{City: "c", AsOf: strings.Repeat("x", 201)}, "as_of"},
	} {
		err := tc.req.Normalize(avail)
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Kind != fault.KindInvalid || fe.Extra["parameter"] != tc.param {
			t.Errorf("%+v: %v, want an Invalid fault naming %s", tc.req, err, tc.param)
		}
	}
	for _, ind := range []string{"all", ""} {
		r := report.Request{City: "c", AsOf: "2024-01-01", Indicators: []string{ind}}
		if err := r.Normalize(avail); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(r.Indicators, []string{"park-coverage", "living-circle", "complete-communities"}) || !slices.Equal(r.Omitted, []string{"capacity"}) {
			t.Errorf("indicators %q as of: %v, omitted %v", ind, r.Indicators, r.Omitted)
		}
	}
	r := report.Request{City: "c"}
	if err := r.Normalize(avail); err != nil || len(r.Omitted) != 0 || !slices.Contains(r.Indicators, "capacity") {
		t.Errorf("now: %v %v %v", err, r.Indicators, r.Omitted)
	}
}

// TestReportAsOfEqualsIndicatorAPIs: the demo city with its two editions, then an edit
// after them (every kindergarten removed). A community-level report as of 2024 现状 is
// written as XLSX and read back: every community's park coverage, living-circle shares and
// scorecard equal the indicator APIs asked as_of the same edition (which
// TestIndicatorsAsOfEqualRestoredDatabase checks against a database holding only that
// edition's rows), and differ from the current data where the edits did: the 2024 city
// coverage is below today's (five parks came in 2025), the kindergarten is reached where
// today it is not. The cover's About sheet names the edition; capacity is left out.
func TestReportAsOfEqualsIndicatorAPIs(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	pool, cityID := demoEditions(t)
	ctx := context.Background()
	var gone int
	if err := pool.QueryRow(ctx, `WITH d AS (DELETE FROM facilities WHERE city_id = $1 AND category = 'kindergarten' RETURNING 1) SELECT count(*) FROM d`, cityID).Scan(&gone); err != nil || gone == 0 {
		t.Fatalf("removing the kindergartens: %v (%d)", err, gone)
	}
	svc := newServices(t, pool)
	const ed = "2024 现状"
	dir := t.TempDir()
	rep, _, err := report.Generate(ctx, svc.src, report.Request{City: seed.Slug, Level: "community", AsOf: ed, Formats: []string{"xlsx", "html"}}, dir, report.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.AsOf == nil || rep.AsOf.Edition != ed || !slices.Equal(rep.Request.Omitted, []string{"capacity"}) {
		t.Fatalf("as of %+v, omitted %v", rep.AsOf, rep.Request.Omitted)
	}
	wb, err := excelize.OpenFile(filepath.Join(dir, "report.xlsx"), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close() //nolint:errcheck // test clean-up
	num := func(s string) float64 { return cellNum(t, s) }
	// sheet reads a section's first table back, by id, checking the header row.
	sheet := func(key string) (*report.Table, map[int64][]string, []string) {
		t.Helper()
		tab := section(t, rep, key).Tables[0]
		rows, err := wb.GetRows(tab.Sheet)
		if err != nil || len(rows) < 2 {
			t.Fatalf("%s: sheet %q: %v, %d rows", key, tab.Sheet, err, len(rows))
		}
		for k, c := range tab.Columns {
			if rows[0][k] != c.Header {
				t.Fatalf("%s: column %d is %q, want %q", key, k, rows[0][k], c.Header)
			}
		}
		by := map[int64][]string{}
		var total []string
		for _, r := range rows[1:] {
			id, err := strconv.ParseInt(r[0], 10, 64)
			if err != nil {
				total = r
				continue
			}
			by[id] = r
		}
		return tab, by, total
	}
	asOf := "&as_of=" + url.QueryEscape(ed)
	// thenNow asks an indicator API as of the edition and for the current data.
	thenNow := func(t *testing.T, path string, then, now any) {
		t.Helper()
		getJSON(t, svc.engine, path+asOf, then)
		getJSON(t, svc.engine, path, now)
	}
	about, err := wb.GetRows("说明")
	if err != nil {
		t.Fatal(err)
	}
	var aboutAsOf, aboutOmitted string
	for _, r := range about {
		if len(r) > 1 && r[0] == "评估时点" {
			aboutAsOf = r[1]
		}
		if len(r) > 1 && r[0] == "未含章节" {
			aboutOmitted = r[1]
		}
	}
	if !strings.HasPrefix(aboutAsOf, ed+"　") || !strings.Contains(aboutAsOf, "北京时间") || !strings.Contains(aboutOmitted, "设施容量") {
		t.Errorf("About: as of %q, left out %q", aboutAsOf, aboutOmitted)
	}

	t.Run("park coverage", func(t *testing.T) {
		tab, rows, total := sheet("park-coverage")
		cal, meth := rep.Request.Caliber, rep.Request.Method
		type figure struct {
			ID      int64   `json:"id"`
			Ratio   float64 `json:"ratio"`
			TotalM2 float64 `json:"total_m2"`
		}
		var then, now struct {
			City  figure   `json:"city_figure"`
			Areas []figure `json:"areas"`
		}
		base := "/api/v1/indicators/park-coverage?city=" + seed.Slug + "&level=community&caliber=" + cal + "&method=" + meth
		thenNow(t, base, &then, &now)
		k := column(t, tab, "coverage_pct")
		if len(rows) != len(then.Areas) {
			t.Errorf("%d rows, the API has %d communities", len(rows), len(then.Areas))
		}
		for _, a := range then.Areas {
			r, ok := rows[a.ID]
			if !ok {
				t.Errorf("community %d: no row", a.ID)
				continue
			}
			if a.TotalM2 <= 0 {
				if r[k] != "—" {
					t.Errorf("community %d without residential land: %q", a.ID, r[k])
				}
				continue
			}
			if got := num(r[k]); math.Abs(got-100*a.Ratio) > 0.005+1e-9 {
				t.Errorf("community %d: XLSX %v %%, API as of %s %v", a.ID, got, ed, a.Ratio)
			}
		}
		got := num(total[k])
		if math.Abs(got-100*then.City.Ratio) > 0.005+1e-9 {
			t.Errorf("city: XLSX %v %%, API as of %s %v", got, ed, then.City.Ratio)
		}
		t.Logf("city coverage as of %s %v (XLSX %v %%), now %v; %d communities", ed, then.City.Ratio, got, now.City.Ratio, len(rows))
		if !(then.City.Ratio < now.City.Ratio) || got >= 100*now.City.Ratio-0.005 {
			t.Errorf("the 2024 coverage %v (XLSX %v %%) is not below today's %v", then.City.Ratio, got, now.City.Ratio)
		}
		// The gap layer is the gaps route's as of the edition, more residential land than today's.
		var gapsThen, gapsNow struct {
			Features []json.RawMessage `json:"features"`
		}
		thenNow(t, "/api/v1/indicators/park-coverage/gaps?city="+seed.Slug+"&caliber="+cal+"&method="+meth, &gapsThen, &gapsNow)
		var layer []byte
		for _, l := range section(t, rep, "park-coverage").Layers {
			if l.Name == "park_coverage_gaps" {
				layer = l.GeoJSON
			}
		}
		var gapsReport struct {
			Features []json.RawMessage `json:"features"`
		}
		if err := json.Unmarshal(layer, &gapsReport); err != nil {
			t.Fatal(err)
		}
		if len(gapsReport.Features) != len(gapsThen.Features) || len(gapsReport.Features) == 0 {
			t.Errorf("gap layer: %d features, the route as of %s %d", len(gapsReport.Features), ed, len(gapsThen.Features))
		}
		for i := range min(len(gapsReport.Features), len(gapsThen.Features)) {
			if !bytes.Equal(gapsReport.Features[i], gapsThen.Features[i]) {
				t.Errorf("gap feature %d differs from the route's", i)
				break
			}
		}
		t.Logf("gap features as of %s %d, now %d", ed, len(gapsThen.Features), len(gapsNow.Features))
		if slices.ContainsFunc(tab.Columns, func(c report.Column) bool { return strings.HasPrefix(c.Key, "trend") }) {
			t.Error("an as-of report has trend columns")
		}
	})

	t.Run("living circle", func(t *testing.T) {
		tab, rows, _ := sheet("living-circle")
		type area struct {
			ID         int64   `json:"id"`
			Population float64 `json:"population"`
			Status     string  `json:"status"`
			Coverage   []struct {
				Code            string  `json:"code"`
				PopulationShare float64 `json:"population_share"`
			} `json:"coverage"`
		}
		var then, now struct {
			Areas []area `json:"areas"`
		}
		thenNow(t, "/api/v1/indicators/living-circle?city="+seed.Slug+"&level=community", &then, &now)
		kg := column(t, tab, "share_kindergarten")
		nowKG := map[int64]float64{}
		for _, a := range now.Areas {
			for _, c := range a.Coverage {
				if c.Code == "kindergarten" {
					nowKG[a.ID] = c.PopulationShare
				}
			}
		}
		checked, differ := 0, 0
		for _, a := range then.Areas {
			r, ok := rows[a.ID]
			if !ok {
				t.Errorf("community %d: no row", a.ID)
				continue
			}
			if a.Population <= 0 || a.Status == "no_residential_land" {
				continue
			}
			if got := num(r[column(t, tab, "population")]); math.Abs(got-a.Population) > 0.5+1e-9 {
				t.Errorf("community %d: residents %v, API %v", a.ID, got, a.Population)
			}
			for _, c := range a.Coverage {
				k := slices.IndexFunc(tab.Columns, func(col report.Column) bool { return col.Key == "share_"+c.Code })
				if k < 0 {
					continue // not a basic category: not in the table
				}
				if got := num(r[k]); math.Abs(got-100*c.PopulationShare) > 0.05+1e-9 {
					t.Errorf("community %d %s: XLSX %v %%, API as of %s %v", a.ID, c.Code, got, ed, c.PopulationShare)
				}
				checked++
				if k == kg && c.PopulationShare > 0 {
					differ++
					if nowKG[a.ID] != 0 {
						t.Errorf("community %d: a kindergarten is reached today (%v) though all were removed", a.ID, nowKG[a.ID])
					}
				}
			}
		}
		t.Logf("%d shares checked; %d communities reached a kindergarten as of %s, none today", checked, differ, ed)
		if checked == 0 || differ == 0 {
			t.Errorf("%d shares checked, %d communities reached a kindergarten in 2024: the fixture shows nothing", checked, differ)
		}
	})

	t.Run("complete communities", func(t *testing.T) {
		tab, rows, _ := sheet("complete-communities")
		type score struct {
			ID       int64    `json:"id"`
			Met      int      `json:"met"`
			Items    int      `json:"items"`
			Score    float64  `json:"score"`
			Complete bool     `json:"complete"`
			Missing  []string `json:"missing"`
		}
		var then, now struct {
			Communities []score `json:"communities"`
		}
		thenNow(t, "/api/v1/checks/complete-communities?city="+seed.Slug, &then, &now)
		nowMet := map[int64]int{}
		for _, c := range now.Communities {
			nowMet[c.ID] = c.Met
		}
		if len(rows) != len(then.Communities) || len(rows) == 0 {
			t.Errorf("%d rows, the API has %d communities", len(rows), len(then.Communities))
		}
		differ := 0
		for _, c := range then.Communities {
			r, ok := rows[c.ID]
			if !ok {
				t.Errorf("community %d: no row", c.ID)
				continue
			}
			if got := num(r[column(t, tab, "met")]); int(got) != c.Met {
				t.Errorf("community %d: met %v, API as of %s %d", c.ID, got, ed, c.Met)
			}
			if got := num(r[column(t, tab, "score_pct")]); math.Abs(got-100*c.Score) > 0.05+1e-9 {
				t.Errorf("community %d: score %v %%, API %v", c.ID, got, c.Score)
			}
			if nowMet[c.ID] != c.Met {
				differ++
			}
		}
		t.Logf("%d scorecard rows checked, %d score otherwise today", len(then.Communities), differ)
		if differ == 0 {
			t.Error("no community scores differently today though the kindergartens were removed: the fixture shows nothing")
		}
	})
}
