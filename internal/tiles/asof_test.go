package tiles

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/tiles/mvtread"
)

// decodeLayer decodes a served tile body and returns its layer called name (nil when absent).
func decodeLayer(t *testing.T, body []byte, name string) *mvtread.Layer {
	t.Helper()
	if len(body) == 0 {
		return nil
	}
	ls, err := mvtread.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ls {
		if ls[i].Name == name {
			return &ls[i]
		}
	}
	return nil
}

// featuresByID is a layer's features keyed by their MVT id.
func featuresByID(l *mvtread.Layer) map[uint64]mvtread.Feature {
	out := map[uint64]mvtread.Feature{}
	if l != nil {
		for _, f := range l.Features {
			out[f.ID] = f
		}
	}
	return out
}

func names(l *mvtread.Layer) []string {
	var out []string
	if l != nil {
		for _, f := range l.Features {
			out = append(out, f.Props["name"].(string))
		}
	}
	slices.Sort(out)
	return out
}

// TestAsOfTileShowsTheEditionAndMatchesCityreachAsOf edits parks and a residential parcel
// after an edition is made: the as_of tile shows the rows as they were (compared feature
// by feature with ST_AsMVT computed in SQL over cityreach_as_of, migration 0019, with the
// geometry transformed there), the current tile the new ones; zoom 12 bypasses the
// residential blocks; as_of enters the cache key; without a city in a two-city database
// as_of is refused.
func TestAsOfTileShowsTheEditionAndMatchesCityreachAsOf(t *testing.T) {
	f := newFixture(t, Options{CacheBytes: 16 << 20})
	ctx := context.Background()
	city := f.cityID(t)
	var parcel int64
	if err := f.db.Pool.QueryRow(ctx, `INSERT INTO residential_land (city_id, population, households, geom)
		VALUES ($1, 120, 40, ST_GeomFromText('MULTIPOLYGON(((109.826 40.651,109.829 40.651,109.829 40.654,109.826 40.654,109.826 40.651)))', 4326)) RETURNING id`, city).Scan(&parcel); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	ed, err := edition.Store{Pool: f.db.Pool}.Create(ctx, edition.New{City: "baotou", Name: "2024 现状"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	// Alpha is renamed and moved within the tile; Delta is deleted; Zeta is new; the parcel
	// leaves for a tile far away.
	for _, q := range []string{
		`UPDATE parks SET name = 'Alpha moved', geom = ST_Translate(geom, 0.002, 0.001) WHERE name = 'Alpha'`,
		`DELETE FROM parks WHERE name = 'Delta'`,
		`INSERT INTO parks (city_id, name, park_class, geom) SELECT city_id, 'Zeta', park_class,
			ST_GeomFromText('MULTIPOLYGON(((109.835 40.651,109.836 40.651,109.836 40.652,109.835 40.652,109.835 40.651)))', 4326) FROM parks WHERE name = 'Beta'`,
		`UPDATE residential_land SET geom = ST_Translate(geom, 1, 1)`,
	} {
		if _, err := f.db.Pool.Exec(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	asOf := "?as_of=" + url.QueryEscape(ed.Name)
	here := tilePath("parks", tz, tx, ty)

	rec := f.get(t, here+asOf)
	if rec.Code != 200 || rec.Header().Get("X-Cache") != "miss" {
		t.Fatalf("as_of tile: %d %s %s", rec.Code, rec.Header().Get("X-Cache"), rec.Body)
	}
	old := decodeLayer(t, rec.Body.Bytes(), "parks")
	if got := names(old); !slices.Equal(got, []string{"Alpha", "Beta", "Delta", "Epsilon"}) {
		t.Fatalf("as_of tile names %v, want the edition's Alpha, Beta, Delta, Epsilon", got)
	}
	if got := names(decodeLayer(t, f.get(t, here).Body.Bytes(), "parks")); !slices.Equal(got, []string{"Alpha moved", "Beta", "Epsilon", "Zeta"}) {
		t.Fatalf("current tile names %v", got)
	}
	// The same tile made by PostGIS alone over the edition's rows: same ids, names and
	// geometry commands.
	var want []byte
	if err := f.db.Pool.QueryRow(ctx, `SELECT ST_AsMVT(q, 'parks', 4096, 'geom', 'id') FROM (
		SELECT p.id, p.name, ST_AsMVTGeom(ST_Transform(p.geom, 3857), ST_TileEnvelope($3, $4, $5), 4096, 256, true) AS geom
		FROM cityreach_as_of(NULL::parks, $1, (SELECT as_of FROM data_editions WHERE city_id = $1 AND name = $2)) p
		WHERE ST_Transform(p.geom, 3857) && ST_TileEnvelope($3, $4, $5, margin => 256.0 / 4096)) q WHERE q.geom IS NOT NULL`,
		city, ed.Name, tz, tx, ty).Scan(&want); err != nil {
		t.Fatal(err)
	}
	wl := decodeLayer(t, want, "parks")
	gotF, wantF := featuresByID(old), featuresByID(wl)
	if len(gotF) != len(wantF) || len(wantF) != 4 {
		t.Fatalf("as_of tile has %v, SQL %v", names(old), names(wl))
	}
	for id, w := range wantF {
		g, ok := gotF[id]
		if !ok || g.Props["name"] != w.Props["name"] || g.Type != w.Type || !slices.Equal(g.Geometry, w.Geometry) {
			t.Fatalf("feature %d: served %v %v, SQL %v %v", id, g.Props["name"], g.Geometry, w.Props["name"], w.Geometry)
		}
	}
	// The feature ids are the table's: Alpha keeps its id and the edition's geometry.
	if now := featuresByID(decodeLayer(t, f.get(t, here).Body.Bytes(), "parks")); len(now) != 4 {
		t.Fatalf("current tile has %d features", len(now))
	} else {
		for id, w := range wantF {
			if w.Props["name"] == "Alpha" && (now[id].Props["name"] != "Alpha moved" || slices.Equal(now[id].Geometry, w.Geometry)) {
				t.Fatalf("current feature %d: %v %v, edition's geometry %v", id, now[id].Props["name"], now[id].Geometry, w.Geometry)
			}
		}
	}
	// TileJSON keeps as_of in its tile URL and says what it reads.
	body := f.get(t, "/tiles/parks.json"+asOf).Body.String()
	if !strings.Contains(body, `{y}.mvt?as_of=2024+%E7%8E%B0%E7%8A%B6"`) || !strings.Contains(body, "as of 2024 现状 ("+ed.AsOf.Format(time.RFC3339)+")") {
		t.Fatalf("TileJSON of as_of: %s", body)
	}
	if rec := f.get(t, "/tiles/parks.json?as_of=2023%20%E7%8E%B0%E7%8A%B6"); rec.Code != 400 || !strings.Contains(rec.Body.String(), "no edition") {
		t.Fatalf("TileJSON of an edition the city lacks: %d %s", rec.Code, rec.Body)
	}
	// as_of is part of the cache key: the same tile now and then are two entries.
	if c := f.get(t, here+asOf).Header().Get("X-Cache"); c != "hit" {
		t.Fatalf("second as_of request: X-Cache %q", c)
	}
	// The date of tomorrow (Beijing) lies in the future, and the day before the edition
	// before the city's first edition: neither past is known (edition.Store.ResolvePast).
	tomorrow := time.Now().In(edition.Beijing).AddDate(0, 0, 1).Format(time.DateOnly)
	before := ed.AsOf.In(edition.Beijing).AddDate(0, 0, -1).Format(time.DateOnly)
	for _, d := range []string{tomorrow, before} {
		if rec := f.get(t, here+"?as_of="+d); rec.Code != 400 || !strings.Contains(rec.Body.String(), `"parameter":"as_of"`) {
			t.Fatalf("as_of %s: %d %s", d, rec.Code, rec.Body)
		}
	}

	// Zoom 12: residential_land is drawn from blocks, which hold the current parcel only
	// (moved away); as_of reads the edition's parcel instead, with features = 1.
	z12 := tilePath("residential_land", 12, tx>>2, ty>>2)
	if l := decodeLayer(t, f.get(t, z12).Body.Bytes(), "residential_land"); l != nil && len(l.Features) > 0 {
		t.Fatalf("current z12 tile holds %d blocks, want none (the parcel moved away)", len(l.Features))
	}
	l := decodeLayer(t, f.get(t, z12+asOf+"&properties=population").Body.Bytes(), "residential_land")
	if l == nil || len(l.Features) != 1 || l.Features[0].ID != uint64(parcel) {
		t.Fatalf("as_of z12 tile: %+v, want parcel %d", l, parcel)
	}
	if p := l.Features[0].Props; toFloat(p["population"]) != 120 || toFloat(p[FeaturesField]) != 1 {
		t.Fatalf("as_of z12 parcel properties %v", p)
	}

	// A second city: as_of then needs city=.
	if _, err := f.db.Pool.Exec(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('hohhot', '呼和浩特', '150100', 4546)`); err != nil {
		t.Fatal(err)
	}
	rec = f.get(t, here+asOf)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "as_of") || !strings.Contains(rec.Body.String(), "city=") {
		t.Fatalf("as_of without a city among two: %d %s", rec.Code, rec.Body)
	}
	if got := names(decodeLayer(t, f.get(t, here+asOf+"&city=baotou").Body.Bytes(), "parks")); !slices.Equal(got, []string{"Alpha", "Beta", "Delta", "Epsilon"}) {
		t.Fatalf("as_of with city=baotou: %v", got)
	}
	for _, q := range []string{"&city=hohhot", "&city=nowhere"} {
		if rec := f.get(t, here+asOf+q); rec.Code != 400 {
			t.Fatalf("edition name in %s: %d %s", q, rec.Code, rec.Body)
		}
	}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return -1
}
