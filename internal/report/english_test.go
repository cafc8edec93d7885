package report_test

import (
	"context"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/seed"
)

// cjk matches what an English page must not print: Han characters, CJK symbols and
// punctuation (、。「」 and the ideographic space) and the full-width forms (：；（）).
var cjk = regexp.MustCompile(`[\p{Han}\x{3000}-\x{303F}\x{FF00}-\x{FFEF}]+`)

// pageText is the text a reader of an HTML page sees or hears: every text node (SVG labels
// included) and the aria-label, title and alt attributes, entities unescaped. Style sheets
// and data: URIs are left out.
func pageText(page string) string {
	page = regexp.MustCompile(`(?s)<style>.*?</style>`).ReplaceAllString(page, "\n")
	var b strings.Builder
	for _, m := range regexp.MustCompile(`(?:aria-label|title|alt)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		b.WriteString(m[1] + "\n")
	}
	b.WriteString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, "\n"))
	return html.UnescapeString(b.String())
}

// dataNames are the proper names of a city as its data holds them, the one thing an English
// report may print in Chinese: the names of districts, 街道, communities, parks and other
// features, and the citations of real (not generated) data sources. The city's own name is
// not among them when an English name is stored.
func dataNames(t *testing.T, pool *pgxpool.Pool, cityID int) []string {
	t.Helper()
	ctx := context.Background()
	var names []string
	collect := func(sql string) {
		t.Helper()
		rows, err := pool.Query(ctx, sql, cityID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			if cjk.MatchString(s) {
				names = append(names, s)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, table := range []string{"districts", "subdistricts", "communities", "parks", "park_entrances", "facilities",
		"eco_corridors", "eco_redlines", "basic_farmland"} {
		collect(`SELECT DISTINCT name FROM ` + pgx.Identifier{table}.Sanitize() + ` WHERE city_id = $1 AND name IS NOT NULL`)
	}
	collect(`SELECT DISTINCT unnest(ARRAY[data_source, attribution]) FROM city_layers WHERE city_id = $1 AND NOT synthetic`)
	collect(`SELECT name FROM cities WHERE id = $1 AND coalesce(name_en, '') = ''`)
	// Longest first, so a name is removed whole before a shorter one inside it.
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	return names
}

// untranslated returns every run of CJK text left in text once the allowed names are
// removed, with the line it stands in.
func untranslated(text string, allowed []string) map[string]string {
	found := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		rest := line
		for _, n := range allowed {
			rest = strings.ReplaceAll(rest, n, " ")
		}
		for _, m := range cjk.FindAllString(rest, -1) {
			if _, ok := found[m]; !ok {
				found[m] = strings.TrimSpace(line)
			}
		}
	}
	return found
}

func TestUntranslatedFinder(t *testing.T) {
	allowed := []string{"昆都仑区", "昆都仑河生态廊道"}
	got := untranslated("Table 3-1　Coverage（district）\n昆都仑河生态廊道 green\n昆都仑区 89.5 %\n示例数据 / synthetic", allowed)
	want := []string{"　", "（", "）", "示例数据"}
	if len(got) != len(want) {
		t.Errorf("found %v, want %v", got, want)
	}
	for _, w := range want {
		if _, ok := got[w]; !ok {
			t.Errorf("%q not found in %v", w, got)
		}
	}
}

// The English report prints English only: every heading, label, legend, table header, note
// and separator is translated; Chinese is left only in the proper names the data holds.
func TestEnglishReport(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	pool := demo(t)
	svc := newServices(t, pool)
	ctx := context.Background()
	dir := t.TempDir()
	req := report.Request{City: seed.Slug, Level: "district", Lang: "en", Formats: []string{"html"}}
	if _, _, err := report.Generate(ctx, svc.src, req, dir, report.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	var cityID int
	var nameEN string
	if err := pool.QueryRow(ctx, `SELECT id, coalesce(name_en, '') FROM cities WHERE slug = $1`, seed.Slug).Scan(&cityID, &nameEN); err != nil {
		t.Fatal(err)
	}
	text := pageText(string(page))
	if nameEN != "" && !strings.Contains(text, nameEN) {
		t.Errorf("the English report does not name the city %q", nameEN)
	}
	// Districts with an English name are named in English: in the tables, the bar charts and
	// the map labels, never by their Chinese name.
	//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	rows, err := pool.Query(ctx, `SELECT name, name_en FROM districts WHERE city_id = $1 AND name_en <> ''`, cityID)
	if err != nil {
		t.Fatal(err)
	}
	var zhNames, enNames []string
	var zh, en string
	if _, err := pgx.ForEachRow(rows, []any{&zh, &en}, func() error { zhNames, enNames = append(zhNames, zh), append(enNames, en); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(enNames) == 0 {
		t.Fatal("no district of the demo data has an English name: the check would prove nothing")
	}
	for k, en := range enNames {
		if !strings.Contains(text, html.UnescapeString(en)) {
			t.Errorf("the English report does not name district %s as %q", zhNames[k], en)
		}
		if strings.Contains(text, zhNames[k]) {
			t.Errorf("the English report names district %q in Chinese although it is %q in English", zhNames[k], en)
		}
	}
	names := dataNames(t, pool, cityID)
	if len(names) == 0 {
		t.Fatal("no Chinese names in the demo data: the check would prove nothing")
	}
	for run, line := range untranslated(text, names) {
		t.Errorf("untranslated %q in %q", run, line)
	}
}
