package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image/png"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/importer"
	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
)

// demo seeds the Baotou demo city at scale 0.05 (≈ 24 communities) into a fresh database.
func demo(t testing.TB) *pgxpool.Pool {
	t.Helper()
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	return db.Pool
}

type services struct {
	src    *report.Sources
	engine http.Handler
}

// newServices builds the services the way the server does, and the API over them.
func newServices(t testing.TB, pool *pgxpool.Pool) services {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	ws := walk.NewService(pool, log)
	src := &report.Sources{
		Store:    report.Store{Pool: pool},
		Coverage: &coverage.Service{Store: coverage.Store{Pool: pool}, Calibers: reg, Log: log},
		Checks:   &checks.Service{Store: &checks.Store{Pool: pool}, Config: checks.DefaultConfig(), Reach: checks.NetworkReach{Walk: ws}},
		Walk:     ws,
	}
	eng := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, coverage.Handler{Svc: src.Coverage, Pool: pool, Log: log}, walk.Handler{Svc: ws, Log: log}, checks.Handler{Service: src.Checks, Log: log}))
	return services{src: src, engine: eng}
}

func getJSON(t *testing.T, h http.Handler, url string, v any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, rec.Code, rec.Body.String())
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// fixed formats v with d decimals, rounding half away from zero: how the report is
// specified to print numbers.
func fixed(v float64, d int) string {
	p := math.Pow10(d)
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', d, 64)
}

// htmlTable returns the body rows of the HTML table named name, cell texts unescaped.
func htmlTable(t *testing.T, page, name string) [][]string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<table class="data[^"]*" data-table="` + regexp.QuoteMeta(name) + `">.*?<tbody>(.*?)</tbody>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no table %s in the HTML", name)
	}
	var rows [][]string
	for _, tr := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(m[1], -1) {
		var cells []string
		for _, td := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(tr[1], -1) {
			cells = append(cells, html.UnescapeString(td[1]))
		}
		rows = append(rows, cells)
	}
	return rows
}

func TestReportDemoCity(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	for _, tool := range []string{"pdftoppm", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (scripts/install-test-deps.sh)", tool)
		}
	}
	if _, err := report.Chromium(""); err != nil {
		t.Skip(err)
	}
	pool := demo(t)
	svc := newServices(t, pool)
	ctx := context.Background()
	dir := t.TempDir()
	req := report.Request{City: seed.Slug, Level: "community"}
	t0 := time.Now()
	rep, files, err := report.Generate(ctx, svc.src, req, dir, report.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report in %v: %d files", time.Since(t0), len(files))
	if keep := os.Getenv("CITYREACH_REPORT_KEEP"); keep != "" { // to look at the pages
		if err := os.CopyFS(keep, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
	}
	if len(rep.Sections) != 7 {
		t.Errorf("%d sections, want every indicator (7)", len(rep.Sections))
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenFile(filepath.Join(dir, "report.xlsx"), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()

	t.Run("self-contained HTML", func(t *testing.T) {
		for _, bad := range []string{"<script", "http://", "https://", "<link", "@import", "url("} {
			s := strings.ReplaceAll(string(page), `xmlns="http://www.w3.org/2000/svg"`, "")
			if strings.Contains(s, bad) {
				t.Errorf("the HTML contains %q: it must open offline", bad)
			}
		}
		if !strings.Contains(string(page), "示例数据") {
			t.Error("no 示例数据 label on the synthetic demo data")
		}
	})

	// Park coverage: the API, the HTML and the XLSX give every community the same figures,
	// all under the city's default caliber (GB/T 51346-2019 for Baotou, migration 0015) and
	// its method, neither named in the request.
	t.Run("park coverage agrees", func(t *testing.T) {
		var api struct {
			Run struct {
				DataHash string `json:"data_hash"`
			} `json:"run"`
			Areas []struct {
				ID        int64   `json:"id"`
				Ratio     float64 `json:"ratio"`
				CoveredM2 float64 `json:"covered_m2"`
				Pop       float64 `json:"population"`
			} `json:"areas"`
		}
		getJSON(t, svc.engine, "/api/v1/indicators/park-coverage?city=baotou&level=community", &api)
		if len(api.Areas) < 10 {
			t.Fatalf("%d communities from the API", len(api.Areas))
		}
		hrows := htmlTable(t, string(page), "park-coverage-community")
		xrows, err := wb.GetRows("park-coverage-community")
		if err != nil {
			t.Fatal(err)
		}
		if len(hrows) != len(api.Areas) || len(xrows)-1 != len(api.Areas) {
			t.Fatalf("rows: API %d, HTML %d, XLSX %d", len(api.Areas), len(hrows), len(xrows)-1)
		}
		byID := map[string]int{}
		for i, a := range api.Areas {
			byID[strconv.FormatInt(a.ID, 10)] = i
		}
		for i, h := range hrows {
			a := api.Areas[byID[h[0]]]
			x := xrows[i+1]
			want := fixed(100*a.Ratio, 2)
			if h[5] != want {
				t.Errorf("community %s: HTML coverage %s, API %s", h[0], h[5], want)
			}
			xv, _ := strconv.ParseFloat(x[5], 64)
			if x[0] != h[0] || fixed(xv, 2) != want {
				t.Errorf("community %s: XLSX row %v, API coverage %s", h[0], x, want)
			}
			if h[4] != fixed(a.CoveredM2, 0) || h[6] != fixed(a.Pop, 0) {
				t.Errorf("community %s: HTML covered %s residents %s, API %s %s", h[0], h[4], h[6], fixed(a.CoveredM2, 0), fixed(a.Pop, 0))
			}
		}
		if !strings.Contains(string(page), api.Run.DataHash) {
			t.Errorf("the HTML does not name the coverage data version %s", api.Run.DataHash)
		}
		about, err := wb.GetRows("说明")
		if err != nil {
			t.Fatal(err)
		}
		var aboutText strings.Builder
		for _, r := range about {
			aboutText.WriteString(strings.Join(r, " ") + "\n")
		}
		for _, want := range []string{"gbt51346-2019", "buffer", api.Run.DataHash, rep.Data.Hash, "示例数据"} {
			if !strings.Contains(aboutText.String(), want) {
				t.Errorf("About sheet lacks %q", want)
			}
		}
	})

	// Living circle and complete communities: the headline counts agree.
	t.Run("counts agree", func(t *testing.T) {
		var lc struct {
			Complete int `json:"complete_communities"`
			Target   int `json:"target"`
		}
		getJSON(t, svc.engine, "/api/v1/indicators/living-circle?city=baotou&level=community", &lc)
		var sc struct {
			Complete int `json:"complete"`
			Target   int `json:"target"`
		}
		getJSON(t, svc.engine, "/api/v1/checks/complete-communities?city=baotou", &sc)
		if lc.Target != 30 || sc.Target != 40 {
			t.Errorf("targets %d and %d, want the plan's 30 and 40", lc.Target, sc.Target)
		}
		for _, c := range []struct {
			key   string
			label string
			want  int
		}{{"living-circle", report.T("zh", "f_complete_lc"), lc.Complete}, {"complete-communities", report.T("zh", "f_complete_cc"), sc.Complete}} {
			re := regexp.MustCompile(`data-figure="` + regexp.QuoteMeta(c.label) + `">(\d+)<`)
			m := re.FindStringSubmatch(string(page))
			if m == nil || m[1] != strconv.Itoa(c.want) {
				t.Errorf("%s: HTML figure %v, API %d", c.key, m, c.want)
			}
		}
		xrows, err := wb.GetRows("complete-communities-community")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range xrows[1:] {
			if r[6] == "是" {
				n++
			}
		}
		if n != sc.Complete {
			t.Errorf("XLSX lists %d complete communities, API %d", n, sc.Complete)
		}
		lrows, err := wb.GetRows("living-circle-community")
		if err != nil {
			t.Fatal(err)
		}
		n = 0
		for _, r := range lrows[1:] {
			if r[4] == "完整" {
				n++
			}
		}
		if n != lc.Complete {
			t.Errorf("XLSX lists %d complete living circles, API %d", n, lc.Complete)
		}
	})

	t.Run("PDF", func(t *testing.T) {
		pdf := filepath.Join(dir, "report.pdf")
		txt, err := exec.Command("pdftotext", "-l", "1", pdf, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"公共服务覆盖评估报告", "包头市"} {
			if !strings.Contains(string(txt), want) {
				t.Errorf("page 1 text lacks %q:\n%s", want, txt)
			}
		}
		stem := filepath.Join(t.TempDir(), "page")
		if out, err := exec.Command("pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", pdf, stem).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
		matches, _ := filepath.Glob(stem + "*.png")
		if len(matches) != 1 {
			t.Fatalf("pdftoppm pages %v", matches)
		}
		f, err := os.Open(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		ink, colour, colourLower := 0, 0, 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				r, g, bl = r>>8, g>>8, bl>>8
				if r < 240 || g < 240 || bl < 240 {
					ink++
				}
				if max(r, g, bl)-min(r, g, bl) > 60 { // saturated: map fills, bars
					colour++
					if y > b.Min.Y+b.Dy()/2 {
						colourLower++
					}
				}
			}
		}
		total := b.Dx() * b.Dy()
		t.Logf("page 1: %dx%d, ink %.1f %%, coloured %.1f %% (lower half %d px)", b.Dx(), b.Dy(), 100*float64(ink)/float64(total), 100*float64(colour)/float64(total), colourLower)
		if ink < total/20 {
			t.Errorf("page 1 is nearly blank: %d of %d pixels inked", ink, total)
		}
		// The first map (park coverage over residential land) fills the lower half of page 1.
		if colourLower < total/30 {
			t.Errorf("no map on page 1: %d coloured pixels in the lower half", colourLower)
		}
	})

	t.Run("GeoPackage", func(t *testing.T) {
		r, err := importer.OpenGeoPackage(context.Background(), filepath.Join(dir, "layers.gpkg"), "park_coverage_gaps")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
	})

	// Unchanged data: byte-identical XLSX and CSV (a second run, other services, a later clock).
	t.Run("reproducible", func(t *testing.T) {
		svc2 := newServices(t, pool)
		dir2 := t.TempDir()
		req2 := req
		req2.Formats = []string{"xlsx", "csv"}
		if _, _, err := report.Generate(ctx, svc2.src, req2, dir2, report.Options{Now: time.Now().Add(time.Hour)}, nil); err != nil {
			t.Fatal(err)
		}
		names, _ := filepath.Glob(filepath.Join(dir2, "*"))
		if len(names) < 5 {
			t.Fatalf("second run wrote %v", names)
		}
		for _, n := range names {
			a, err := os.ReadFile(filepath.Join(dir, filepath.Base(n)))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s differs between two runs on unchanged data", filepath.Base(n))
			}
		}
	})
}

func TestRequestNormalize(t *testing.T) {
	avail := []string{"park-coverage", "living-circle", "complete-communities", "corridors", "control-lines", "growth-diff", "outside"}
	for _, c := range []struct {
		in   report.Request
		want string // indicators after, or "error"
	}{
		{report.Request{City: "x"}, strings.Join(avail, ",")},
		{report.Request{City: "x", Indicators: []string{"checks"}}, "complete-communities,corridors,control-lines,growth-diff,outside"},
		{report.Request{City: "x", Indicators: []string{"outside,park-coverage"}}, "park-coverage,outside"},
		{report.Request{City: "x", Indicators: []string{"nope"}}, "error"},
		{report.Request{City: "x", Level: "province"}, "error"},
		{report.Request{City: "x", Lang: "fr"}, "error"},
		{report.Request{City: "x", Formats: []string{"docx"}}, "error"},
		{report.Request{City: "x", Method: "'; DROP TABLE parks; --"}, "error"},
		{report.Request{}, "error"},
	} {
		r := c.in
		err := r.Normalize(avail)
		got := strings.Join(r.Indicators, ",")
		if err != nil {
			got = "error"
		}
		if got != c.want {
			t.Errorf("%+v: got %s, want %s", c.in, got, c.want)
		}
	}
}

func TestCellText(t *testing.T) {
	for _, c := range []struct {
		cell report.Cell
		want string
	}{
		{report.Flt(99.995, 2), "100.00"},
		{report.Flt(-0.0001, 2), "0.00"},
		{report.Flt(math.NaN(), 1), "0.0"},
		{report.Flt(1234567.5, 0), "1234568"},
		{report.Num(-3), "-3"},
		{report.Yes(true), "是"},
	} {
		if got := c.cell.Text("zh"); got != c.want {
			t.Errorf("%+v: %q, want %q", c.cell, got, c.want)
		}
	}
}
