package tiles

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
)

// TestZoomsMetadataAndStyle: the TileJSON maxzoom comes from the data. The fixture's
// smallest park (Epsilon, 0.0002° × 0.001° at 40.65°N: 22.3 m × 146.7 m of Mercator,
// √ = 57.2 m, detail 57.2/64 = 0.89 m) needs the zoom whose tile unit 40075016.7 m /
// 2^z / 4096 is under 0.89 m: 2^z ≥ 10,950, z = 14. Facilities are points: 1 m of detail,
// 2^z ≥ 9,784, z = 14 as well. Twenty 0.00005° parks (5.6 m × 7.3 m, √ = 6.4 m, detail
// 0.1 m: 2^z ≥ 97,800, z = 17) make the 5th percentile one of them, and the next
// TileJSON says 17: the edit notification invalidates the cached zoom. metadata.json
// carries the same numbers as text for GDAL, and style.json draws parks from the
// server's own TileJSON.
func TestZoomsMetadataAndStyle(t *testing.T) {
	f := newFixture(t, Options{CacheBytes: 16 << 20})
	tj := func(path string) TileJSON {
		t.Helper()
		rec := f.get(t, path)
		var doc TileJSON
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &doc) != nil {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		return doc
	}
	doc := tj("/tiles/parks,facilities.json")
	if doc.MinZoom != 0 || doc.MaxZoom != 14 || doc.VectorLayers[0].MaxZoom != 14 || doc.VectorLayers[1].MaxZoom != 14 {
		t.Errorf("zooms %d–%d, layers %+v; want 0–14", doc.MinZoom, doc.MaxZoom, doc.VectorLayers)
	}
	if !strings.Contains(doc.Name, "公园") || !strings.Contains(doc.Name, "Parks") {
		t.Errorf("name %q lacks the Chinese or the English title", doc.Name)
	}
	if _, err := f.db.Pool.Exec(context.Background(), `INSERT INTO parks (city_id, name, park_class, geom)
		SELECT $1, 'tiny' || i, 'garden', ST_Multi(ST_MakeEnvelope(109.9 + i * 0.001, 40.6, 109.90005 + i * 0.001, 40.60005, 4326))
		FROM generate_series(1, 20) i`, f.cityID(t)); err != nil {
		t.Fatal(err)
	}
	if doc := tj("/tiles/parks.json"); doc.MaxZoom != 17 {
		t.Errorf("after the tiny parks: maxzoom %d, want 17", doc.MaxZoom)
	}
	// Tiles beyond maxzoom are still served (clients overzoom; the handler takes up to MaxZoom).
	if rec := f.get(t, tilePath("parks", MaxZoom, 0, 0)); rec.Code != http.StatusNoContent && rec.Code != http.StatusOK {
		t.Errorf("a tile at zoom %d: %d", MaxZoom, rec.Code)
	}

	rec := f.get(t, "/tiles/parks/metadata.json?city=baotou")
	var md map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &md); err != nil {
		t.Fatalf("metadata.json: %v %s", err, rec.Body)
	}
	var vl struct {
		VectorLayers []VectorLayer `json:"vector_layers"`
	}
	if md["minzoom"] != "0" || md["maxzoom"] != "17" || md["format"] != "pbf" || !strings.Contains(md["name"], "公园") ||
		json.Unmarshal([]byte(md["json"]), &vl) != nil || len(vl.VectorLayers) != 1 || vl.VectorLayers[0].ID != "parks" {
		t.Errorf("metadata.json %v", md)
	}
	if b := strings.Split(md["bounds"], ","); len(b) != 4 || b[0] != "109.760000" {
		t.Errorf("bounds %q, want the westernmost park's 109.76 first", md["bounds"])
	}

	rec = f.get(t, "/tiles/parks,facilities/style.json")
	var st struct {
		Version int `json:"version"`
		Sources map[string]struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		} `json:"sources"`
		Layers []struct {
			ID, Type, Source string
			SourceLayer      string `json:"source-layer"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Version != 8 {
		t.Fatalf("style.json: %v %s", err, rec.Body)
	}
	if src := st.Sources["cityreach"]; src.Type != "vector" || src.URL != "http://example.com/tiles/parks,facilities.json" {
		t.Errorf("source %+v", st.Sources)
	}
	kinds := map[string]string{}
	for _, l := range st.Layers {
		kinds[l.SourceLayer] += l.Type + " "
	}
	if kinds["parks"] != "fill line " || kinds["facilities"] != "circle " {
		t.Errorf("style layers by source layer %v; want parks filled and outlined, facilities as circles", kinds)
	}
	if rec := f.get(t, "/tiles/nope/style.json"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown layer style: %d", rec.Code)
	}
}

// TestGDALOpensTheTileDirectory: GDAL's MVT driver opens a zoom level of the tile
// directory over HTTP, reading metadata.json for the layers and the bounds, and reads
// the fixture's parks at zoom 14 with their fields.
func TestGDALOpensTheTileDirectory(t *testing.T) {
	requireGDAL(t)
	f := newFixture(t, Options{})
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	out, err := exec.Command("ogrinfo", "-ro", "-al", "-oo", "TILE_EXTENSION=mvt", "MVT:"+srv.URL+"/tiles/parks/14").CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"Layer name: parks", "park_class (String)", "name (String) = Alpha", "name (String) = Epsilon"} {
		if !strings.Contains(s, want) {
			t.Errorf("ogrinfo does not say %q:\n%.2000s", want, s)
		}
	}
}
