package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/testdb"
)

// The counts recorded in docs/import.md ("Checked numbers") for geodata/monaco.osm.pbf,
// which internal/osmimport's TestImportRealExtracts checks against osmium and GDAL at run
// time; here they are the expected values, not re-derived.
const (
	monacoEdges      = 5368
	monacoParks      = 31
	monacoFacilities = 281
)

func TestSeedOSMMonaco(t *testing.T) {
	db := testdb.New(t)
	t.Chdir("../..") // the default path is geodata/ under the working directory
	var out, errOut bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
		if k == "DATABASE_URL" {
			return db.URL
		}
		return ""
	}}
	if code := Main(context.Background(), env, []string{"seed", "osm", "monaco", "--quiet"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	t.Log(out.String())
	var edges, parks, facilities int
	var name string
	if err := db.Pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) FROM network_edges e JOIN cities c ON c.id = e.city_id WHERE c.slug = 'monaco'),
		(SELECT count(*) FROM parks p JOIN cities c ON c.id = p.city_id WHERE c.slug = 'monaco'),
		(SELECT count(*) FROM facilities f JOIN cities c ON c.id = f.city_id WHERE c.slug = 'monaco'),
		(SELECT name FROM cities WHERE slug = 'monaco')`).Scan(&edges, &parks, &facilities, &name); err != nil {
		t.Fatal(err)
	}
	if edges != monacoEdges || parks != monacoParks || facilities != monacoFacilities || name != "Monaco" {
		t.Errorf("monaco (%s): %d edges, %d parks, %d facilities; docs/import.md records %d, %d, %d",
			name, edges, parks, facilities, monacoEdges, monacoParks, monacoFacilities)
	}
	for _, want := range []string{"seeded city monaco", "network_edges          5368", "parks                    31", "facilities              281"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestSeedOSMRefusesUnknownCityAndMissingFile(t *testing.T) {
	env := Env{Stdout: &bytes.Buffer{}, Getenv: func(k string) string {
		if k == "DATABASE_URL" {
			return "postgres://postgres@127.0.0.1:1/none"
		}
		return ""
	}}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"seed", "osm", "atlantis"}, "use monaco or helsinki"},
		{[]string{"seed", "osm"}, "use monaco or helsinki"},
		{[]string{"seed", "osm", "helsinki"}, "geodata/helsinki_center.osm.pbf not found"}, // the test runs in internal/cli
		{[]string{"seed", "osm", "--file", "/nonexistent.osm.pbf", "monaco"}, "nonexistent.osm.pbf"},
	} {
		var errOut bytes.Buffer
		env.Stderr = &errOut
		if code := Main(context.Background(), env, c.args); code != 1 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, errOut.String(), c.want)
		}
	}
}
