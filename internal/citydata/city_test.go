package citydata

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/testdb"
)

// TestCityLookup checks every lookup against the rows the test inserted: alpha with every
// column given, beta with the column defaults of migrations 0002 and 0015 (name_en ”,
// default_caliber gbt50563-2010) and no outline.
func TestCityLookup(t *testing.T) {
	db := testdb.New(t)
	if db == nil {
		t.FailNow()
	}
	ctx := context.Background()
	var alpha, beta City
	alpha = City{Slug: "alpha", Name: "阿尔法", NameEN: "Alpha", MetricSRID: 4546, DefaultCaliber: "gb55014-2021", Adcode: "150200"}
	if err := db.Pool.QueryRow(ctx, `INSERT INTO cities (slug, name, name_en, adcode, metric_srid, default_caliber, geom)
		VALUES ('alpha', '阿尔法', 'Alpha', '150200', 4546, 'gb55014-2021', `+poly+`) RETURNING id`).Scan(&alpha.ID); err != nil {
		t.Fatal(err)
	}
	beta = City{Slug: "beta", Name: "Beta", MetricSRID: 32650, DefaultCaliber: "gbt50563-2010", Adcode: "110000"}
	if err := db.Pool.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('beta', 'Beta', '110000', 32650) RETURNING id`).
		Scan(&beta.ID); err != nil {
		t.Fatal(err)
	}
	for _, ins := range []struct {
		city  int
		table string
	}{{alpha.ID, "residential_land"}, {alpha.ID, "network_edges"}, {beta.ID, "residential_land"}, {beta.ID, "communities"}} {
		var id int64
		if err := db.Pool.QueryRow(ctx, inserts(0)[ins.table], ins.city).Scan(&id); err != nil {
			t.Fatalf("%s: %v", ins.table, err)
		}
	}

	for _, want := range []City{alpha, beta} {
		got, err := BySlug(ctx, db.Pool, want.Slug)
		if err != nil || got != want {
			t.Errorf("BySlug(%q) = %+v, %v; want %+v", want.Slug, got, err, want)
		}
		if got, err = ByID(ctx, db.Pool, want.ID); err != nil || got != want {
			t.Errorf("ByID(%d) = %+v, %v; want %+v", want.ID, got, err, want)
		}
		for _, ref := range []string{want.Slug, strconv.Itoa(want.ID)} {
			if got, err = Resolve(ctx, db.Pool, ref); err != nil || got != want {
				t.Errorf("Resolve(%q) = %+v, %v; want %+v", ref, got, err, want)
			}
		}
	}

	// An unknown city: the problem every door answered before (detail and member).
	long := strings.Repeat("x", 70)
	unknown := map[string]func() error{
		`no city "nowhere"`:            func() error { _, err := BySlug(ctx, db.Pool, "nowhere"); return err },
		`no city "9999"`:               func() error { _, err := ByID(ctx, db.Pool, 9999); return err },
		`no city "0"`:                  func() error { _, err := Resolve(ctx, db.Pool, "0"); return err },
		`no city "-3"`:                 func() error { _, err := Resolve(ctx, db.Pool, "-3"); return err },
		`no city "8888"`:               func() error { _, err := Resolve(ctx, db.Pool, "8888"); return err },
		`no city "` + long[:64] + `…"`: func() error { _, err := BySlug(ctx, db.Pool, long); return err },
	}
	for detail, call := range unknown {
		fe := fault.As(call())
		if fe == nil || fe.Kind != fault.KindNotFound || fe.Detail != detail || len(fe.Extra) != 1 || fe.Extra["parameter"] != "city" {
			t.Errorf("%s: got %#v", detail, fe)
		}
		inv := fault.As(UnknownAsInvalid(fe))
		if inv == nil || inv.Kind != fault.KindInvalid || inv.Detail != detail || inv.Extra["parameter"] != "city" {
			t.Errorf("UnknownAsInvalid(%s) = %#v", detail, inv)
		}
	}
	other := errors.New("boom")
	if !errors.Is(UnknownAsInvalid(other), other) || UnknownAsInvalid(nil) != nil {
		t.Error("UnknownAsInvalid changed an error that is no unknown city")
	}

	// In a transaction, a city the transaction created.
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // test
	gamma := City{Slug: "gamma", Name: "G", MetricSRID: 4546, DefaultCaliber: "gbt50563-2010", Adcode: "1"}
	if err := tx.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('gamma', 'G', '1', 4546) RETURNING id`).Scan(&gamma.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := BySlug(ctx, tx, "gamma"); err != nil || got != gamma {
		t.Errorf("in the transaction: %+v, %v; want %+v", got, err, gamma)
	}
	if _, err := BySlug(ctx, db.Pool, "gamma"); fault.KindOf(err) != fault.KindNotFound {
		t.Errorf("outside the transaction: %v, want not found", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	check := func(name string, got []City, err error, want ...City) {
		t.Helper()
		if err != nil || len(got) != len(want) {
			t.Errorf("%s = %+v, %v; want %+v", name, got, err, want)
			return
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s[%d] = %+v; want %+v", name, i, got[i], want[i])
			}
		}
	}
	got, err := List(ctx, db.Pool)
	check("List", got, err, alpha, beta)
	got, err = Having(ctx, db.Pool, "residential_land")
	check("Having(residential_land)", got, err, alpha, beta)
	got, err = Having(ctx, db.Pool, "residential_land", "network_edges")
	check("Having(residential_land, network_edges)", got, err, alpha)
	got, err = Having(ctx, db.Pool, "communities")
	check("Having(communities)", got, err, beta)
	if _, err := Having(ctx, db.Pool, "facility_categories"); err == nil {
		t.Error("Having accepted a table without city_id")
	}
	// alpha's outline is 109.80–109.81 E, 40.60–40.61 N; beta has none and is not alone.
	got, err = At(ctx, db.Pool, 109.805, 40.605)
	check("At(inside alpha)", got, err, alpha)
	got, err = At(ctx, db.Pool, 116.4, 39.9)
	check("At(outside)", got, err)
	zones, err := MetricSRIDs(ctx, db.Pool)
	if err != nil || len(zones) != 2 || zones[0] != 4546 || zones[1] != 32650 {
		t.Errorf("MetricSRIDs = %v, %v", zones, err)
	}
	// The only city, outline or not, is the city of any point.
	if _, err := db.Pool.Exec(ctx, `DELETE FROM cities WHERE id = $1`, alpha.ID); err != nil {
		t.Fatal(err)
	}
	got, err = At(ctx, db.Pool, 109.805, 40.605)
	check("At(the only city)", got, err, beta)
}

// writers are the files outside this package allowed to read cities, with the reason: they
// create and update city rows in the transaction that reads them.
var writers = map[string]string{
	"internal/seed/load.go":   "locks the demo city's row (FOR UPDATE) before updating or inserting it",
	"internal/seed/layers.go": "derives the synthetic layers from the outline the same transaction stored",
}

var fromCities = regexp.MustCompile(`(?i)\bfrom\s+cities\b`)

// TestCitiesAreReadOnlyHere keeps the city lookup in one place (issue 18): no string literal
// of a non-test Go file under cmd/ and internal/ selects FROM cities, except in this
// package and the writers above. A JOIN of cities for a row's slug is not a lookup.
func TestCitiesAreReadOnlyHere(t *testing.T) {
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(self), "..", "..")
	var found []string
	for _, dir := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && fromCities.MatchString(lit.Value) {
					found = append(found, rel)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, rel := range found {
		seen[rel] = true
		if !strings.HasPrefix(rel, "internal/citydata/") && writers[rel] == "" {
			t.Errorf("%s reads FROM cities: look the city up with internal/citydata (BySlug, ByID, Resolve, List, Having, At)", rel)
		}
	}
	for w := range writers {
		if !seen[w] {
			t.Errorf("%s no longer reads cities: take it off the writers", w)
		}
	}
	if !seen["internal/citydata/city.go"] {
		sort.Strings(found)
		t.Errorf("the scan found no lookup in internal/citydata/city.go (found %v): the test is blind", found)
	}
}
