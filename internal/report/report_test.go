package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image/png"
	"log/slog"
	"maps"
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
	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/capacity/capacityhttp"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/checks/checkshttp"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/coverage/coveragehttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/importer"
	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
	"github.com/cityreach/cityreach/internal/walk/walkhttp"
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

// demoEditions seeds the demo city with the two published editions `cityreach seed
// baotou` makes (2024 现状 and 2025 现状) and returns the pool and the city's id.
func demoEditions(t testing.TB) (*pgxpool.Pool, int) {
	t.Helper()
	pool := demo(t)
	ctx := context.Background()
	var cityID int
	if err := pool.QueryRow(ctx, `SELECT id FROM cities WHERE slug = $1`, seed.Slug).Scan(&cityID); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Editions(ctx, pool, cityID); err != nil {
		t.Fatal(err)
	}
	return pool, cityID
}

// cellNum reads a raw XLSX cell as a number.
func cellNum(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("cell %q is not a number", s)
	}
	return v
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
	ages := capacity.Ages{Store: capacity.Store{Pool: pool}}
	ws.Ages = ages
	src := &report.Sources{
		Store:    report.Store{Pool: pool},
		Coverage: &coverage.Service{Store: coverage.Store{Pool: pool}, Calibers: reg, Log: log, Ages: ages},
		Checks:   &checks.Service{Store: &checks.Store{Pool: pool}, Config: checks.DefaultConfig(), Reach: checks.NetworkReach{Walk: ws}},
		Walk:     ws,
		Capacity: &capacity.Service{Walk: ws, Store: capacity.Store{Pool: pool}},
	}
	eng := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}},
		coveragehttp.Handler{Svc: src.Coverage, Pool: pool, Log: log},
		capacityhttp.Handler{Svc: src.Capacity, Log: log},
		walkhttp.Handler{Svc: ws, Log: log},
		checkshttp.Handler{Service: src.Checks, Log: log}))
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

// pdfText returns the text of every page of a PDF (pdftotext -layout), from page 1.
func pdfText(t *testing.T, pdf string) []string {
	t.Helper()
	out, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := strings.Split(string(out), "\f")
	if len(pages) > 0 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}

func squash(s string) string { return strings.Join(strings.Fields(s), "") }

// englishAllowed are the Latin words a Chinese report may print: standard codes and units.
// Appendix and layer letters (附录A, 图层A) and the citations of real (not generated) data
// sources, read from city_layers by the test, are allowed too.
var englishAllowed = map[string]bool{"GB": true, "T": true, "TD": true, "m": true, "km": true, "ha": true, "A": true, "B": true}

func TestReportDemoCity(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	for _, tool := range []string{"pdftoppm", "pdftotext", "pdffonts"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed (scripts/install-test-deps.sh)", tool)
			}
			t.Skipf("%s not installed (scripts/install-test-deps.sh)", tool)
		}
	}
	if _, err := report.Chromium(""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	pool := demo(t)
	svc := newServices(t, pool)
	ctx := context.Background()
	dir := t.TempDir()
	req := report.Request{City: seed.Slug, Level: "district"}
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
	if len(rep.Sections) != 8 {
		t.Errorf("%d sections, want every indicator (8)", len(rep.Sections))
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenFile(filepath.Join(dir, "report.xlsx"), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close() //nolint:errcheck // test clean-up
	var cityID int
	if err := pool.QueryRow(ctx, `SELECT id FROM cities WHERE slug = $1`, seed.Slug).Scan(&cityID); err != nil {
		t.Fatal(err)
	}

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
		// Only the level asked for: no community table in a district report.
		if strings.Contains(string(page), `data-table="complete-communities-community"`) {
			t.Error("a district report lists communities")
		}
	})

	// Park coverage: the API and the HTML give every district the same figure, both under
	// the city's default caliber and its method (GB/T 51346-2019 for Baotou, migration
	// 0015), neither named in the request.
	t.Run("park coverage agrees", func(t *testing.T) {
		var api struct {
			Areas []struct {
				Name  string  `json:"name"`
				Ratio float64 `json:"ratio"`
				Total float64 `json:"total_m2"`
			} `json:"areas"`
		}
		getJSON(t, svc.engine, "/api/v1/indicators/park-coverage?city=baotou&level=district", &api)
		hrows := htmlTable(t, string(page), "park-coverage-district")
		byName := map[string][]string{}
		for _, h := range hrows {
			byName[h[1]] = h
		}
		for _, a := range api.Areas {
			h, ok := byName[a.Name]
			if !ok {
				continue // outside any district
			}
			want := "—"
			if a.Total > 0 {
				want = report.Format(100*a.Ratio, 2, 100, true)
			}
			if h[5] != want {
				t.Errorf("%s: HTML coverage %s, API %s", a.Name, h[5], want)
			}
		}
	})

	pdf := filepath.Join(dir, "report.pdf")
	pages := pdfText(t, pdf)
	t.Run("PDF pages", func(t *testing.T) {
		if len(pages) < 10 {
			t.Fatalf("%d pages", len(pages))
		}
		// A cover: title, city, 示例数据, no page number.
		cover := squash(pages[0])
		for _, want := range []string{"公共服务覆盖评估报告", "包头市", "区县级评估", "数据版本", "示例数据", "北京时间"} {
			if !strings.Contains(cover, want) {
				t.Errorf("the cover lacks %q", want)
			}
		}
		if strings.Contains(cover, "第1页") {
			t.Error("the cover carries a page number")
		}
		// A page number on every other page.
		for i := 1; i < len(pages); i++ {
			if !strings.Contains(squash(pages[i]), fmt.Sprintf("第%d页", i+1)) {
				t.Errorf("page %d has no page number", i+1)
			}
		}
		// The 目录: every entry's page holds its heading.
		toc := pages[1]
		if !strings.Contains(squash(toc), "目录") {
			t.Fatal("page 2 is not the 目录")
		}
		re := regexp.MustCompile(`(?m)^\s*((?:\d+(?:\.\d+)?|附录A)\s+\S.*?)\s+(\d+)\s*$`)
		n := 0
		for _, m := range re.FindAllStringSubmatch(toc, -1) {
			p, _ := strconv.Atoi(m[2])
			if p < 2 || p > len(pages) {
				t.Errorf("目录 entry %q points at page %d of %d", m[1], p, len(pages))
				continue
			}
			n++
			if !strings.Contains(squash(pages[p-1]), squash(m[1])) {
				t.Errorf("目录 says %q is on page %d; it is not there", m[1], p)
			}
		}
		if n < 10 {
			t.Errorf("only %d 目录 entries with pages:\n%s", n, toc)
		}
		// Chinese only, but for standard codes, units and data citations.
		allowed := maps.Clone(englishAllowed)
		cites, err := pool.Query(ctx, `SELECT data_source || ' ' || attribution FROM city_layers WHERE city_id = $1 AND NOT synthetic`, cityID)
		if err != nil {
			t.Fatal(err)
		}
		for cites.Next() {
			var c string
			if err := cites.Scan(&c); err != nil {
				t.Fatal(err)
			}
			for _, w := range regexp.MustCompile(`[A-Za-z]+`).FindAllString(c, -1) {
				allowed[w] = true
			}
		}
		if err := cites.Err(); err != nil {
			t.Fatal(err)
		}
		words := map[string]int{}
		for _, pg := range pages {
			pg = strings.ReplaceAll(pg, rep.Data.Hash, "")
			for _, w := range regexp.MustCompile(`[A-Za-z]+`).FindAllString(pg, -1) {
				if !allowed[w] {
					words[w]++
				}
			}
		}
		if len(words) > 0 {
			t.Errorf("English words in the Chinese report: %v", words)
		}
		// One data version, the report's.
		versions := map[string]bool{}
		for _, pg := range pages {
			for _, v := range regexp.MustCompile(`\b[0-9a-f]{16}\b`).FindAllString(pg, -1) {
				versions[v] = true
			}
		}
		if len(versions) != 1 || !versions[rep.Data.Hash] {
			t.Errorf("data versions printed %v, want only %s", versions, rep.Data.Hash)
		}
	})

	// Fonts embedded as subsets of TrueType outlines, no Type 3: Chromium prints a CFF font
	// (Noto Sans CJK), synthetic bold and stroked text as Type 3 glyph outlines, and dashed
	// strokes as one path per dash; together they made this report (scale 0.05) 12.8 MB over
	// 29 pages, 441 KB a page, and the scale-1 demo 13.7 MB; without them they are 0.94 MB
	// (32 KB a page) and 1.49 MB (51 KB a page). The bound sits between, at twice the page of
	// the larger fixed report.
	t.Run("PDF fonts and size", func(t *testing.T) {
		out, err := exec.Command("pdffonts", pdf).Output()
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) < 3 {
			t.Fatalf("pdffonts lists no font:\n%s", out)
		}
		// Columns: name, type, encoding, emb, sub, uni, object id. A name is "[none]" or one word.
		for _, l := range lines[2:] {
			if strings.Contains(l, "Type 3") {
				t.Errorf("a Type 3 font: %s", l)
				continue
			}
			f := strings.Fields(l)
			if n := len(f); n < 7 || f[n-5] != "yes" || f[n-4] != "yes" {
				t.Errorf("a font not embedded as a subset: %s", l)
			}
		}
		st, err := os.Stat(pdf)
		if err != nil {
			t.Fatal(err)
		}
		const perPage = 100 << 10
		if st.Size() > int64(len(pages))*perPage {
			t.Errorf("%d bytes over %d pages: %d a page, more than %d", st.Size(), len(pages), st.Size()/int64(len(pages)), perPage)
		}
		t.Logf("%d bytes, %d pages, %d fonts", st.Size(), len(pages), len(lines)-2)
		// The text is text: every district's name is found in the PDF's text.
		all := squash(strings.Join(pages, ""))
		rows, err := pool.Query(ctx, `SELECT name FROM districts WHERE city_id = $1`, cityID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			n++
			if !strings.Contains(all, name) {
				t.Errorf("district %s not found in the PDF's text", name)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("no districts")
		}
	})

	// No table or figure wider than its page: every word lies within its page's box.
	t.Run("nothing outside the page", func(t *testing.T) {
		out, err := exec.Command("pdftotext", "-bbox", pdf, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		rePage := regexp.MustCompile(`<page width="([\d.]+)" height="([\d.]+)">`)
		reWord := regexp.MustCompile(`<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)</word>`)
		var w, h float64
		pageNo, outside := 0, 0
		for _, line := range strings.Split(string(out), "\n") {
			if m := rePage.FindStringSubmatch(line); m != nil {
				w, _ = strconv.ParseFloat(m[1], 64)
				h, _ = strconv.ParseFloat(m[2], 64)
				pageNo++
				continue
			}
			if m := reWord.FindStringSubmatch(line); m != nil {
				x0, _ := strconv.ParseFloat(m[1], 64)
				x1, _ := strconv.ParseFloat(m[3], 64)
				y1, _ := strconv.ParseFloat(m[4], 64)
				// 10 mm is the least margin of any page.
				if x0 < 28 || x1 > w-28 || y1 > h {
					outside++
					if outside < 5 {
						t.Errorf("page %d: %q at x %.0f–%.0f of %.0f pt: outside the text area", pageNo, m[5], x0, x1, w)
					}
				}
			}
		}
	})

	t.Run("pages render", func(t *testing.T) {
		stem := filepath.Join(t.TempDir(), "page")
		if out, err := exec.Command("pdftoppm", "-r", "30", "-png", pdf, stem).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
		matches, _ := filepath.Glob(stem + "*.png")
		if len(matches) != len(pages) {
			t.Fatalf("pdftoppm rendered %d of %d pages", len(matches), len(pages))
		}
		for _, m := range matches {
			f, err := os.Open(m)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(f)
			f.Close() //nolint:errcheck // test clean-up
			if err != nil {
				t.Fatal(err)
			}
			b, ink := img.Bounds(), 0
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					r, g, bl, _ := img.At(x, y).RGBA()
					if r>>8 < 200 || g>>8 < 200 || bl>>8 < 200 {
						ink++
					}
				}
			}
			if ink < b.Dx()*b.Dy()/400 {
				t.Errorf("%s is blank (%d inked pixels)", filepath.Base(m), ink)
			}
		}
	})

	t.Run("XLSX", func(t *testing.T) {
		han := regexp.MustCompile(`\p{Han}`)
		for _, sh := range wb.GetSheetList() {
			if !han.MatchString(sh) {
				t.Errorf("sheet %q is not named in Chinese", sh)
			}
			panes, err := wb.GetPanes(sh)
			if err != nil {
				t.Fatal(err)
			}
			if !panes.Freeze || panes.YSplit != 1 {
				t.Errorf("sheet %s: header row not frozen (%+v)", sh, panes)
			}
		}
		rows, err := wb.GetRows("公园覆盖率-区县")
		if err != nil {
			t.Fatal(err)
		}
		last := rows[len(rows)-1]
		if last[2] != "全市合计" {
			t.Fatalf("no 全市合计 row: %v", last)
		}
		if rows[0][1] != "代码" || rows[0][4] != "居住用地面积（公顷）" {
			t.Errorf("header %v", rows[0])
		}
		// 公顷 = m² / 10 000 of PostGIS's own area of the city's residential land.
		var resHa float64
		if err := pool.QueryRow(ctx, `SELECT round((sum(ST_Area(geom_m)) / 10000)::numeric, 2) FROM residential_land WHERE city_id = $1`, cityID).Scan(&resHa); err != nil {
			t.Fatal(err)
		}
		got, _ := strconv.ParseFloat(last[4], 64)
		if math.Abs(got-resHa) > 0.005 {
			t.Errorf("全市 residential land %v ha, SQL %v ha", got, resHa)
		}
		// The city's coverage is area-weighted: Σ covered / Σ residential of the rows.
		var sumRes, sumCov float64
		codes := map[string]string{}
		crow, err := pool.Query(ctx, `SELECT name, adcode FROM districts WHERE city_id = $1`, cityID)
		if err != nil {
			t.Fatal(err)
		}
		for crow.Next() {
			var n, c string
			if err := crow.Scan(&n, &c); err != nil {
				t.Fatal(err)
			}
			codes[n] = c
		}
		if err := crow.Err(); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows[1 : len(rows)-1] {
			a, _ := strconv.ParseFloat(r[4], 64)
			c, _ := strconv.ParseFloat(r[5], 64)
			sumRes += a
			sumCov += c
			if want, ok := codes[r[2]]; ok && r[1] != want {
				t.Errorf("%s: code %q, districts.adcode %q", r[2], r[1], want)
			}
		}
		cov, _ := strconv.ParseFloat(last[6], 64)
		if sumRes > 0 && math.Abs(cov-100*sumCov/sumRes) > 0.011 {
			t.Errorf("全市 coverage %v %%, rows give %v %%", cov, 100*sumCov/sumRes)
		}
		about, err := wb.GetRows("说明")
		if err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		for _, r := range about {
			text.WriteString(strings.Join(r, " ") + "\n")
		}
		if !strings.Contains(text.String(), rep.Data.Hash) || !strings.Contains(text.String(), " 是") {
			t.Errorf("About sheet lacks the data version or 是/否:\n%s", text.String())
		}
	})

	t.Run("GeoPackage", func(t *testing.T) {
		r, err := importer.OpenGeoPackage(context.Background(), filepath.Join(dir, "layers.gpkg"), "park_coverage_gaps")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close() //nolint:errcheck // test clean-up
	})

	// Unchanged data: byte-identical XLSX and CSV (a second run, other services, a later clock).
	t.Run("reproducible", func(t *testing.T) {
		svc2 := newServices(t, pool) //nolint:contextcheck // builds middleware; each request runs with its own context
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

// A shortfall is never shown as met; thousands are grouped.
func TestFormat(t *testing.T) {
	for _, c := range []struct {
		v     float64
		dec   int
		limit float64
		group bool
		want  string
	}{
		{99.985, 1, 100, false, "99.9"},
		{99.985, 2, 100, false, "99.99"},
		{99.9951, 2, 100, false, "99.99"},
		{99.9999999, 2, 100, false, "99.99"},
		{100, 2, 100, false, "100.00"},
		{99.985, 1, math.Inf(1), false, "100.0"},
		{1234567.891, 2, math.Inf(1), true, "1,234,567.89"},
		{-1234.5, 1, math.Inf(1), true, "-1,234.5"},
		{999, 0, math.Inf(1), true, "999"},
		{12.3, 0, 100, true, "12"},
	} {
		if got := report.Format(c.v, c.dec, c.limit, c.group); got != c.want {
			t.Errorf("Format(%v, %d, %v, %v) = %q, want %q", c.v, c.dec, c.limit, c.group, got, c.want)
		}
	}
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
		{report.NA(), ""},
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
