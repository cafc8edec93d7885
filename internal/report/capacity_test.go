package report_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/seed"
)

// TestCapacityTables: the capacity tables of the XLSX, read back, give every community the
// figures of GET /api/v1/indicators/capacity for the same category and level (rounded as
// the columns say), the 全市合计 row the API's totals; and the age-band table gives each
// band the park coverage population of GET /api/v1/indicators/park-coverage?band= and the
// park area per resident of the capacity API with that band.
func TestCapacityTables(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	pool := demo(t)
	svc := newServices(t, pool)
	ctx := context.Background()
	dir := t.TempDir()
	req := report.Request{City: seed.Slug, Level: "community", Indicators: []string{"capacity"}, Formats: []string{"xlsx"}}
	if _, _, err := report.Generate(ctx, svc.src, req, dir, report.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenFile(filepath.Join(dir, "report.xlsx"), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close() //nolint:errcheck // test clean-up
	num := func(s string) float64 { return cellNum(t, s) }
	type figure struct {
		ID         int64   `json:"id"`
		Demand     float64 `json:"demand"`
		Served     float64 `json:"served"`
		Ratio      float64 `json:"ratio"`
		Need       float64 `json:"need"`
		Attainment float64 `json:"attainment"`
		Gap        float64 `json:"gap"`
		Shortfall  float64 `json:"shortfall"`
	}
	tables := 0
	for _, cat := range []string{"nursery", "kindergarten", "primary_school", "middle_school", "elderly_care", "park_square"} {
		var api struct {
			Capacity float64  `json:"capacity"`
			Totals   figure   `json:"totals"`
			Areas    []figure `json:"areas"`
		}
		getJSON(t, svc.engine, "/api/v1/indicators/capacity?city=baotou&level=community&category="+cat, &api)
		rows, err := wb.GetRows("容量-" + cat)
		if api.Capacity == 0 {
			continue // no facility with a capacity: the report may leave the category out
		}
		if err != nil || len(rows) != len(api.Areas)+2 {
			t.Fatalf("%s: sheet %v, %d rows; want %d areas, a header and a total", cat, err, len(rows), len(api.Areas))
		}
		tables++
		byID := map[string]figure{}
		for _, a := range api.Areas {
			byID[strconv.FormatInt(a.ID, 10)] = a
		}
		check := func(what string, row []string, a figure) {
			want := []float64{report.Round(a.Demand, 1, math.Inf(1)), report.Round(a.Served, 1, math.Inf(1)),
				report.Round(a.Ratio, 4, math.Inf(1)), report.Round(a.Need, 1, math.Inf(1)), report.Round(a.Attainment, 4, math.Inf(1)),
				report.Round(a.Gap, 1, math.Inf(1)), report.Round(a.Shortfall, 1, math.Inf(1))}
			for k, w := range want {
				if (k == 2 && a.Demand <= 0) || (k == 4 && a.Need <= 0) {
					if row[3+k] != "—" {
						t.Errorf("%s %s: %s %q without demand, want —", cat, what, rows[0][3+k], row[3+k])
					}
					continue
				}
				if got := num(row[3+k]); got != w {
					t.Errorf("%s %s column %s: XLSX %v, API %v", cat, what, rows[0][3+k], got, w)
				}
			}
		}
		for _, row := range rows[1 : len(rows)-1] {
			a, ok := byID[row[0]]
			if !ok {
				t.Fatalf("%s: XLSX row %v is no area of the API", cat, row)
			}
			check("area "+row[0], row, a)
			delete(byID, row[0])
		}
		check("total", rows[len(rows)-1], api.Totals)
	}
	if tables < 3 {
		t.Fatalf("only %d capacity tables checked", tables)
	}

	rows, err := wb.GetRows("容量-年龄段")
	if err != nil || len(rows) != 8 {
		t.Fatalf("age-band sheet: %v, %d rows; want a header and 7 bands", err, len(rows))
	}
	for i, band := range []string{"0-3", "3-6", "6-12", "12-15", "15-60", "60-80", "80-"} {
		var cov struct {
			City struct {
				Population        float64 `json:"population"`
				CoveredPopulation float64 `json:"covered_population"`
			} `json:"city_figure"`
		}
		getJSON(t, svc.engine, "/api/v1/indicators/park-coverage?city=baotou&band="+band, &cov)
		var cap struct {
			Totals figure `json:"totals"`
		}
		getJSON(t, svc.engine, fmt.Sprintf("/api/v1/indicators/capacity?city=baotou&level=city&category=park_square&band=%s", band), &cap)
		row := rows[i+1]
		if got := num(row[1]); got != report.Round(cov.City.Population, 0, math.Inf(1)) {
			t.Errorf("band %s: residents %v, API %v", band, got, cov.City.Population)
		}
		if got := num(row[2]); got != report.Round(cov.City.CoveredPopulation, 0, math.Inf(1)) {
			t.Errorf("band %s: covered %v, API %v", band, got, cov.City.CoveredPopulation)
		}
		if got := num(row[4]); got != report.Round(cap.Totals.Ratio, 2, report.ParkPerCapitaTarget) {
			t.Errorf("band %s: park m² per resident %v, API %v", band, got, cap.Totals.Ratio)
		}
	}
}
