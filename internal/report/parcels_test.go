package report_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/seed"
)

// endpointParcels pages a per-parcel endpoint through to the end and returns every
// feature's properties in order.
func endpointParcels(t *testing.T, h http.Handler, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	after := "0"
	for {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path+"&limit=2000&after="+after, nil))
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
		}
		var fc struct {
			Features []struct {
				Properties map[string]any `json:"properties"`
			} `json:"features"`
			Next json.Number `json:"next"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &fc); err != nil {
			t.Fatal(err)
		}
		for _, f := range fc.Features {
			out = append(out, f.Properties)
		}
		if fc.Next == "" {
			return out
		}
		after = fc.Next.String()
	}
}

// TestParcelSheetsEqualEndpoints: the per-parcel sheets of the XLSX report of the demo city
// (scale 0.05) hold, row for row, the features of the per-parcel endpoints under the
// report's caliber and method (the city's default), rounded as the sheet states.
func TestParcelSheetsEqualEndpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	pool := demo(t)
	svc := newServices(t, pool)
	dir := t.TempDir()
	rep, _, err := report.Generate(context.Background(), svc.src, report.Request{City: seed.Slug, Level: "district",
		Indicators: []string{"park-coverage", "living-circle"}, Formats: []string{"xlsx"}}, dir, report.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenFile(filepath.Join(dir, "report.xlsx"), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close() //nolint:errcheck // read-only workbook
	round := func(v any, d int) string {
		f, ok := v.(float64)
		if !ok {
			return "—"
		}
		return fixed(f, d)
	}
	num := func(s string, d int) string {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return s
		}
		return fixed(f, d)
	}

	park := endpointParcels(t, svc.engine, "/api/v1/indicators/park-coverage/parcels?city="+seed.Slug+"&caliber="+rep.Request.Caliber+"&method="+rep.Request.Method)
	rows, err := wb.GetRows("公园覆盖率-逐地块")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(park) || len(park) == 0 {
		t.Fatalf("park sheet: %d rows, endpoint %d features", len(rows)-1, len(park))
	}
	for i, p := range park {
		r := rows[i+1]
		want := []string{strconv.FormatInt(int64(p["id"].(float64)), 10), round(p["area_m2"], 2), round(p["covered_m2"], 2),
			fixed(100*p["share"].(float64), 4), round(p["population"], 0), round(p["covered_population"], 2)}
		got := []string{r[0], num(r[1], 2), num(r[2], 2), num(r[3], 4), num(r[4], 0), num(r[5], 2)}
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("park row %d column %d: sheet %s, endpoint %s", i+1, j, got[j], want[j])
			}
		}
	}

	lc := endpointParcels(t, svc.engine, "/api/v1/indicators/living-circle/parcels?city="+seed.Slug)
	rows, err = wb.GetRows("生活圈-逐地块")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(lc) || len(lc) == 0 {
		t.Fatalf("living-circle sheet: %d rows, endpoint %d features", len(rows)-1, len(lc))
	}
	wc, err := svc.src.Walk.City(context.Background(), seed.Slug)
	if err != nil {
		t.Fatal(err)
	}
	in, err := svc.src.Walk.Inputs(context.Background(), wc)
	if err != nil {
		t.Fatal(err)
	}
	cats := len(in.Categories)
	if len(rows[0]) != 2+2*cats {
		t.Fatalf("living-circle sheet: %d columns for %d categories", len(rows[0]), cats)
	}
	checked := 0
	for i, p := range lc {
		r := rows[i+1]
		if r[0] != strconv.FormatInt(int64(p["id"].(float64)), 10) || num(r[1], 0) != round(p["population"], 0) {
			t.Fatalf("living-circle row %d: parcel %s, endpoint %v", i+1, r[0], p["id"])
		}
		for k, c := range in.Categories {
			name, _ := p[c.Code+"_facility_name"].(string)
			if name == "" {
				name = "—"
			}
			cell := func(j int) string {
				if j < len(r) {
					return r[j]
				}
				return ""
			}
			if num(cell(2+2*k), 1) != round(p[c.Code+"_m"], 1) || cell(3+2*k) != name {
				t.Fatalf("living-circle row %d %s: sheet %q / %q, endpoint %v / %v", i+1, c.Code, cell(2+2*k), cell(3+2*k), p[c.Code+"_m"], name)
			}
			checked++
		}
	}
	t.Logf("park sheet %d rows, living-circle sheet %d rows × %d categories (%d cells checked)", len(park), len(lc), cats, checked)
}

// fixed formats v with d decimals, rounding half away from zero: how the report is
// specified to print numbers.
func fixed(v float64, d int) string {
	p := math.Pow10(d)
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', d, 64)
}
