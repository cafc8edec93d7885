package ogcapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/edition"
)

// TestItemsAsOf: a planning layer read as_of an edition or an instant gives the rows as
// they stood then — a renamed and moved park under its old name and outline, a deleted
// park present, a park added since absent — while the same request without as_of gives
// today's rows. The expectation is the seed itself (twelve parks 公园1…公园12, park i a
// 0.001° square at 109.82 + 0.002 i), not cityreach_as_of's output.
func TestItemsAsOf(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	var t0 time.Time
	if err := e.db.Pool.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&t0); err != nil {
		t.Fatal(err)
	}
	if _, err := (edition.Store{Pool: e.db.Pool}).Create(ctx, edition.New{City: "baotou", Name: "2024 现状", AsOf: &t0}, "test"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	e.exec(`UPDATE parks SET name = '新公园1', geom = ST_Multi(ST_MakeEnvelope(109.9, 40.6, 109.901, 40.601, 4326)) WHERE name = '公园1'`)
	e.exec(`DELETE FROM parks WHERE name = '公园2'`)
	e.exec(`INSERT INTO parks (city_id, name, park_class, pocket, geom) VALUES ($1, '公园13', 'garden', true, ST_Multi(ST_MakeEnvelope(109.7, 40.6, 109.701, 40.601, 4326)))`, e.city)

	type park struct {
		name string
		minX float64
	}
	read := func(q string) ([]park, float64) {
		t.Helper()
		r := e.get("/ogc/collections/parks/items?limit=100&" + q)
		if r.Code != 200 {
			t.Fatalf("%s: %d %s", q, r.Code, r.Body)
		}
		doc := r.JSON(t)
		var out []park
		for _, f := range doc["features"].([]any) {
			f := f.(map[string]any)
			ring := f["geometry"].(map[string]any)["coordinates"].([]any)[0].([]any)[0].([]any)
			minX := 1e9
			for _, p := range ring {
				x, _ := p.([]any)[0].(json.Number).Float64()
				minX = min(minX, x)
			}
			out = append(out, park{f["properties"].(map[string]any)["name"].(string), minX})
		}
		slices.SortFunc(out, func(a, b park) int { return strings.Compare(a.name, b.name) })
		m, _ := doc["numberMatched"].(json.Number).Float64()
		return out, m
	}
	var then, now []park
	for i := 1; i <= 12; i++ {
		then = append(then, park{"公园" + strconv.Itoa(i), 109.82 + float64(i)*0.002})
		if i > 2 {
			now = append(now, park{"公园" + strconv.Itoa(i), 109.82 + float64(i)*0.002})
		}
	}
	now = append(now, park{"公园13", 109.7}, park{"新公园1", 109.9})
	slices.SortFunc(then, func(a, b park) int { return strings.Compare(a.name, b.name) })
	slices.SortFunc(now, func(a, b park) int { return strings.Compare(a.name, b.name) })
	same := func(q string, got []park, matched float64, want []park) {
		t.Helper()
		if len(got) != len(want) || int(matched) != len(want) {
			t.Fatalf("%s: %d features (numberMatched %v), want %d", q, len(got), matched, len(want))
		}
		for i := range want {
			if got[i].name != want[i].name || got[i].minX-want[i].minX > 1e-9 || want[i].minX-got[i].minX > 1e-9 {
				t.Errorf("%s: feature %d is %v, want %v", q, i, got[i], want[i])
			}
		}
	}
	for _, q := range []string{
		"as_of=" + url.QueryEscape("2024 现状"),
		"as_of=" + url.QueryEscape(t0.Format(time.RFC3339Nano)),
		"as_of=" + url.QueryEscape("2024 现状") + "&city_id=" + strconv.FormatInt(e.city, 10),
	} {
		got, n := read(q)
		same(q, got, n, then)
	}
	got, n := read("")
	same("now", got, n, now)

	// A filter applies to the past rows: the park renamed since is found by its old name.
	got, n = read("as_of=" + url.QueryEscape("2024 现状") + "&name=" + url.QueryEscape("公园1"))
	same("old name", got, n, then[:1])

	for _, c := range []struct{ q, param string }{
		{"as_of=2024%20%E6%97%A0", "as_of"}, // an edition the city does not have
		{"as_of=", "as_of"},
		{"as_of=" + url.QueryEscape("2024 现状") + "&city_id=999", "city_id"},
	} {
		r := e.get("/ogc/collections/parks/items?" + c.q)
		if r.Code != 400 || r.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(r.Body), `"`+c.param+`"`) {
			t.Errorf("%s: %d %s %s, want a 400 problem naming %s", c.q, r.Code, r.Header.Get("Content-Type"), r.Body, c.param)
		}
	}
}
