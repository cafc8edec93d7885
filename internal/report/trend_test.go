package report_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/coverage/coveragehttp"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/series"
	"github.com/cityreach/cityreach/internal/series/serieshttp"
)

// seriesBody is GET /api/v1/indicators/{…}/series as a client reads it.
type seriesBody struct {
	Points []struct {
		Edition  string  `json:"edition"`
		Now      bool    `json:"now"`
		Headline float64 `json:"headline"`
		Values   []struct {
			ID    int64   `json:"id"`
			Value float64 `json:"value"`
		} `json:"values"`
	} `json:"points"`
	Targets []struct {
		Year  int     `json:"year"`
		Value float64 `json:"value"`
	} `json:"targets"`
}

func section(t *testing.T, r *report.Report, key string) *report.Section {
	t.Helper()
	for _, s := range r.Sections {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("no section %s", key)
	return nil
}

func column(t *testing.T, tab *report.Table, key string) int {
	t.Helper()
	for i, c := range tab.Columns {
		if c.Key == key {
			return i
		}
	}
	t.Fatalf("table %s has no column %s", tab.Name, key)
	return -1
}

// TestTrendEqualsSeriesAPI: the report's trend columns and charts are the series API's values
// for the same city, each edition's column is the indicator asked as_of that edition alone,
// and the target is Baotou's 2030 100 %.
func TestTrendEqualsSeriesAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	pool, _ := demoEditions(t)
	ctx := context.Background()
	svc := newServices(t, pool)
	log := slog.New(slog.DiscardHandler)
	eng := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}},
		coveragehttp.Handler{Svc: svc.src.Coverage, Pool: pool, Log: log},
		serieshttp.Handler{Src: series.Source{Editions: edition.Store{Pool: pool}, Coverage: svc.src.Coverage, Walk: svc.src.Walk}, Log: log}))
	rep, err := report.Build(ctx, svc.src, report.Request{City: seed.Slug, Level: "district", Indicators: []string{"park-coverage", "living-circle"}}, report.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cal, meth := rep.Request.Caliber, rep.Request.Method

	t.Run("park coverage", func(t *testing.T) {
		var sr seriesBody
		getJSON(t, eng, "/api/v1/indicators/park-coverage/series?city="+seed.Slug+"&level=district&caliber="+cal+"&method="+meth, &sr)
		// The demo publishes 2024 现状 and 2025 现状 (docs/editions.md), then now.
		if len(sr.Points) != 3 || sr.Points[0].Edition != "2024 现状" || sr.Points[1].Edition != "2025 现状" || !sr.Points[2].Now {
			t.Fatalf("series points: %+v", sr.Points)
		}
		s := section(t, rep, "park-coverage")
		tab := s.Tables[0]
		for _, p := range sr.Points[:2] {
			k := column(t, tab, "trend_pct@"+p.Edition)
			if h := tab.Columns[k].Header; h != "覆盖率 "+p.Edition+" (%)" {
				t.Errorf("header %q", h)
			}
			api := map[int64]float64{}
			for _, v := range p.Values {
				api[v.ID] = v.Value
			}
			// The indicator asked for the edition alone (as_of=), not through the series.
			var alone struct {
				City  struct{ Ratio float64 } `json:"city_figure"`
				Areas []struct {
					ID    int64
					Ratio float64
				} `json:"areas"`
			}
			getJSON(t, eng, "/api/v1/indicators/park-coverage?city="+seed.Slug+"&level=district&caliber="+cal+"&method="+meth+"&as_of="+url.QueryEscape(p.Edition), &alone)
			asked := map[int64]float64{}
			for _, a := range alone.Areas {
				asked[a.ID] = a.Ratio
			}
			if len(tab.Rows) != len(api) {
				t.Errorf("%s: %d rows, the series has %d units", p.Edition, len(tab.Rows), len(api))
			}
			for _, row := range tab.Rows {
				id, c := row[0].I, row[k]
				want, ok := api[id]
				if c.NA && ok && want == 0 && row[column(t, tab, "coverage_pct")].NA {
					continue // no residential land: "—" like the current figure
				}
				if !ok || c.NA {
					t.Errorf("%s unit %d: cell %+v, series has it: %v", p.Edition, id, c, ok)
					continue
				}
				// A percentage cell holds 100 × the ratio, rounded only when written.
				if c.F != 100*want || want != asked[id] {
					t.Errorf("%s unit %d: report %v %%, series %v, as_of alone %v", p.Edition, id, c.F, want, asked[id])
				}
			}
			if c := tab.Total[k]; c.F != 100*p.Headline || p.Headline != alone.City.Ratio {
				t.Errorf("%s city: report %v %%, series headline %v, as_of alone %v", p.Edition, c.F, p.Headline, alone.City.Ratio)
			}
		}
		// Five community parks were added in 2025: the city's coverage rose.
		if !(sr.Points[0].Headline < sr.Points[1].Headline) {
			t.Errorf("2024 %v not below 2025 %v", sr.Points[0].Headline, sr.Points[1].Headline)
		}
		// The target: Baotou's 100 % by 2030, on every row and the total.
		if len(sr.Targets) != 1 || sr.Targets[0].Year != 2030 || sr.Targets[0].Value != 1 {
			t.Fatalf("targets %+v", sr.Targets)
		}
		k := column(t, tab, "target_2030")
		if h := tab.Columns[k].Header; h != "2030年目标 (%)" {
			t.Errorf("target header %q", h)
		}
		for _, row := range append(tab.Rows, tab.Total) {
			if row[k].F != 100 {
				t.Errorf("target cell %+v", row[k])
			}
		}
		// The chart: the series' headlines, now last, and the target.
		if len(s.Trends) != 1 {
			t.Fatalf("%d trend charts", len(s.Trends))
		}
		for i, p := range s.Trends[0].Points {
			if p.Value != sr.Points[i].Headline || p.Now != sr.Points[i].Now {
				t.Errorf("chart point %d: %+v, series %+v", i, p, sr.Points[i])
			}
		}
		var page bytes.Buffer
		if err := report.WriteHTML(&page, rep, nil); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range regexp.MustCompile(`class="trend-point" data-value="([^"]+)"`).FindAllStringSubmatch(page.String(), -1) {
			got = append(got, m[1])
		}
		var want []string
		for _, p := range sr.Points {
			want = append(want, strconv.FormatFloat(p.Headline, 'f', -1, 64))
		}
		// The living-circle chart follows; its points are counts.
		if len(got) < 3 || strings.Join(got[:3], " ") != strings.Join(want, " ") {
			t.Errorf("chart points in the HTML %v, series %v", got, want)
		}
		if !strings.Contains(page.String(), `class="trend-target" data-year="2030" data-value="1"`) {
			t.Error("no 2030 target on the chart")
		}
		for _, w := range []string{"公园绿地服务半径覆盖率：各数据版本与规划目标", "2030年目标 100.0%", "现状（当前）"} {
			if !strings.Contains(page.String(), w) {
				t.Errorf("the HTML lacks %q", w)
			}
		}
	})

	t.Run("living circle", func(t *testing.T) {
		var sr seriesBody
		getJSON(t, eng, "/api/v1/indicators/living-circle/series?city="+seed.Slug+"&level=district", &sr)
		s := section(t, rep, "living-circle")
		tab := s.Tables[0]
		for _, p := range sr.Points {
			if p.Now {
				continue
			}
			k := column(t, tab, "trend_reached_pct@"+p.Edition)
			api := map[int64]float64{}
			for _, v := range p.Values {
				api[v.ID] = v.Value
			}
			for _, row := range tab.Rows {
				if want, ok := api[row[0].I]; !ok || row[k].F != 100*want {
					t.Errorf("%s unit %d: report %+v, series %v (%v)", p.Edition, row[0].I, row[k], want, ok)
				}
			}
		}
		if len(s.Trends) != 1 || len(s.Trends[0].Points) != len(sr.Points) {
			t.Fatalf("trend charts %+v", s.Trends)
		}
		for i, p := range s.Trends[0].Points {
			if p.Value != sr.Points[i].Headline {
				t.Errorf("complete circles at point %d: chart %v, series %v", i, p.Value, sr.Points[i].Headline)
			}
		}
	})

	t.Run("English", func(t *testing.T) {
		en, err := report.Build(ctx, svc.src, report.Request{City: seed.Slug, Level: "district", Lang: "en", Indicators: []string{"park-coverage"}}, report.Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		tab := section(t, en, "park-coverage").Tables[0]
		if h := tab.Columns[column(t, tab, "trend_pct@2024 现状")].Header; h != "Coverage 2024 现状 (%)" {
			t.Errorf("header %q", h)
		}
		if h := tab.Columns[column(t, tab, "target_2030")].Header; h != "2030 target (%)" {
			t.Errorf("target header %q", h)
		}
		var page bytes.Buffer
		if err := report.WriteHTML(&page, en, nil); err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"Park service-radius coverage at each data edition against the plan", "2030 target 100.0%", "Now "} {
			if !strings.Contains(page.String(), w) {
				t.Errorf("the English HTML lacks %q", w)
			}
		}
	})
}
