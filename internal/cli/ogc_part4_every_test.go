package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/tiles/mvtread"
)

// TestPart4OnEveryEditableCollection runs Part 4's create, replace, update, stale update
// and delete on every collection of /ogc/collections whose OPTIONS offers POST (found
// from the service, not listed here, so a new layer cannot be left out), on the server as
// `cityreach serve` builds it. For each one it copies an existing feature (its writable
// properties as the queryables mark them, its geometry shifted by a few metres, its
// unique attributes — found in pg_index — given values no row has) and checks each step
// in SQL against what was sent: the row's properties (to_jsonb of the row), its geometry
// ST_Equals the GeoJSON sent (parsed by PostGIS), a stale If-Match is 412 and changes
// nothing, DELETE removes the row, feature_history holds insert, update, update, delete
// by the editor; and, for the layers /tiles serves, the z16 tile holding a point of the
// new feature (ST_PointOnSurface) shows its id after the create and not after the delete.
func TestPart4OnEveryEditableCollection(t *testing.T) {
	db, h := demoServer(t)
	const editor = "qc-editor"
	send := editorSender(t, db, h, editor, "application/json")
	getJSON := func(path string, v any) {
		t.Helper()
		r := send(http.MethodGet, path, "")
		if r.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.Code, r.Body)
		}
		if err := json.Unmarshal(r.Body.Bytes(), v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}

	// The writable collections, as a client finds them.
	var cols struct{ Collections []struct{ ID string } }
	getJSON("/ogc/collections", &cols)
	var writable []string
	for _, c := range cols.Collections {
		r := send(http.MethodOptions, "/ogc/collections/"+c.ID+"/items", "")
		if slices.Contains(strings.Split(strings.ReplaceAll(r.Header().Get("Allow"), " ", ""), ","), http.MethodPost) {
			writable = append(writable, c.ID)
		}
	}
	reg := layers.Default()
	for _, want := range []string{"parks", "residential_land", "facilities", "communities"} {
		if !slices.Contains(writable, want) {
			t.Errorf("OPTIONS does not offer POST on %s (writable: %v)", want, writable)
		}
	}
	// Every registry layer is writable (docs/ogcapi.md); a writable collection that is no
	// registry layer fails its subtest.
	for _, l := range reg.All() {
		if !slices.Contains(writable, l.ID) {
			t.Errorf("layer %s is not among the writable collections %v", l.ID, writable)
		}
	}
	var tileIndex struct{ Layers []struct{ Name string } }
	getJSON("/tiles/index.json", &tileIndex)
	tiled := map[string]bool{}
	for _, s := range tileIndex.Layers {
		tiled[s.Name] = true
	}

	for _, id := range writable {
		t.Run(id, func(t *testing.T) {
			l := reg.Lookup(id)
			if l == nil {
				t.Fatalf("collection %s takes writes but is no layer of the registry (no table to check)", id)
			}
			part4Round(t, db, send, l, tiled[id], editor)
		})
	}
}

// part4Round is one collection's round of TestPart4OnEveryEditableCollection.
func part4Round(t *testing.T, db *testdb.DB, send sender, l *layers.Layer, tiled bool, editor string) {
	ctx := context.Background()
	items := "/ogc/collections/" + l.ID + "/items"
	table := pgx.Identifier{l.ID}.Sanitize()
	decode := func(r *httptest.ResponseRecorder, v any) {
		t.Helper()
		if err := json.Unmarshal(r.Body.Bytes(), v); err != nil {
			t.Fatalf("%v: %s", err, r.Body)
		}
	}
	// The row as PostGIS has it, or nil when there is none.
	row := func(fid int64) map[string]any {
		t.Helper()
		var b []byte
		err := db.Pool.QueryRow(ctx, `SELECT to_jsonb(t) - 'geom' - 'geom_m' - 'geom_3857' - 'geom_3857_clearance' - 'geom_3857_z14' FROM `+table+` t WHERE id = $1`, fid).Scan(&b)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	// Every non-null property sent is the row's value (nulls take the column default).
	stored := func(step string, fid int64, props map[string]any) map[string]any {
		t.Helper()
		got := row(fid)
		if got == nil {
			t.Fatalf("%s: no row %d in %s", step, fid, l.ID)
		}
		for k, v := range props {
			if v != nil && !reflect.DeepEqual(got[k], v) {
				t.Errorf("%s: %s.%s is %#v in SQL, %#v was sent", step, l.ID, k, got[k], v)
			}
		}
		return got
	}

	// Which properties a client may write: the queryables' readOnly.
	var q struct {
		Properties map[string]struct {
			ReadOnly bool `json:"readOnly"`
		}
	}
	decode(send(http.MethodGet, "/ogc/collections/"+l.ID+"/queryables", ""), &q)
	var page struct {
		Features []struct {
			ID         json.Number
			Geometry   json.RawMessage
			Properties map[string]any
		}
	}
	decode(send(http.MethodGet, items+"?limit=1", ""), &page)
	if len(page.Features) != 1 {
		t.Fatalf("GET %s?limit=1: %d features", items, len(page.Features))
	}
	src := page.Features[0]
	props := map[string]any{}
	for k, v := range src.Properties {
		p, ok := q.Properties[k]
		if !ok {
			t.Errorf("property %s of a feature is not among the queryables", k)
		}
		if !p.ReadOnly {
			props[k] = v
		}
	}
	// Unique attributes (beside the city) get a value no row has: a number of the same
	// digits when the value is digits (the codes' formats), else a suffix.
	uniq, err := db.Pool.Query(ctx, `SELECT DISTINCT a.attname FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		WHERE i.indrelid = $1::regclass AND i.indisunique AND NOT i.indisprimary AND a.attname NOT IN ('city_id', 'id')`, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(uniq, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cols {
		old, ok := props[c].(string)
		if !ok {
			t.Fatalf("unique column %s.%s is %#v in the feature read: no rule to make a new value", l.ID, c, props[c])
		}
		props[c] = freshValue(t, db, l, c, old)
		t.Logf("unique %s: %q → %q", c, old, props[c])
	}
	// The geometry, shifted 0.00005° east and 0.00003° north (4 m and 3 m).
	var g map[string]any
	if err := json.Unmarshal(src.Geometry, &g); err != nil {
		t.Fatal(err)
	}
	g["coordinates"] = shift(g["coordinates"], 0.00005, 0.00003)
	geom, _ := json.Marshal(g)
	feature := func(p map[string]any) string {
		b, _ := json.Marshal(map[string]any{"type": "Feature", "geometry": json.RawMessage(geom), "properties": p})
		return string(b)
	}
	var moved bool
	if err := db.Pool.QueryRow(ctx, `SELECT NOT ST_Equals(ST_GeomFromGeoJSON($1), ST_GeomFromGeoJSON($2))`, string(src.Geometry), string(geom)).Scan(&moved); err != nil || !moved {
		t.Fatalf("the shifted geometry is the original one (%v)", err)
	}
	sameGeom := func(fid int64) bool {
		var eq bool
		if err := db.Pool.QueryRow(ctx, `SELECT ST_Equals(geom, ST_SetSRID(ST_GeomFromGeoJSON($2), 4326)) FROM `+table+` WHERE id = $1`, fid, string(geom)).Scan(&eq); err != nil {
			t.Fatal(err)
		}
		return eq
	}

	// The tile holding a point of the new geometry, drawn once before the create (so the
	// cache holds it when the edits come).
	var tilePath string
	tileIDs := func() []uint64 {
		t.Helper()
		r := send(http.MethodGet, tilePath, "")
		if r.Code == http.StatusNoContent {
			return nil
		}
		if r.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", tilePath, r.Code, r.Body)
		}
		ls, err := mvtread.Decode(r.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, ml := range ls {
			if ml.Name != l.ID {
				t.Errorf("tile %s has a layer %q", tilePath, ml.Name)
			}
			for _, f := range ml.Features {
				ids = append(ids, f.ID)
			}
		}
		return ids
	}
	if tiled {
		var lon, lat float64
		if err := db.Pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM ST_PointOnSurface(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)) p`, string(geom)).Scan(&lon, &lat); err != nil {
			t.Fatal(err)
		}
		x, y := tileOf(lon, lat, 16)
		tilePath = fmt.Sprintf("/tiles/%s/16/%d/%d.mvt", l.ID, x, y)
		// The copied feature, 5 m away, is within the tile or its buffer.
		if srcID, err := strconv.ParseUint(src.ID.String(), 10, 64); err != nil || !slices.Contains(tileIDs(), srcID) {
			t.Fatalf("tile %s, before the create, does not show the feature %s copied (%v)", tilePath, src.ID, err)
		}
	} else {
		t.Logf("%s has no tile layer", l.ID)
	}

	// 1. Create.
	r := send(http.MethodPost, items, feature(props))
	loc := r.Header().Get("Location")
	at := strings.LastIndex(loc, "/items/")
	if r.Code != http.StatusCreated || at < 0 {
		t.Fatalf("POST %s: %d Location %q %s", items, r.Code, loc, r.Body)
	}
	fid, err := strconv.ParseInt(loc[at+len("/items/"):], 10, 64)
	if err != nil {
		t.Fatalf("Location %q: %v", loc, err)
	}
	item := fmt.Sprintf("%s/%d", items, fid)
	stored("create", fid, props)
	if !sameGeom(fid) {
		t.Errorf("the created %s %d is not ST_Equals the geometry sent", l.ID, fid)
	}
	if tiled {
		if ids := tileIDs(); !slices.Contains(ids, uint64(fid)) {
			t.Errorf("after the create, tile %s does not show %d", tilePath, fid)
		} else {
			t.Logf("tile %s: %d features with %d", tilePath, len(ids), fid)
		}
	}

	// 2. Replace with a changed text or number, then merge-patch another attribute.
	putKey, put := changed(l, props)
	props[putKey] = put
	if r := send(http.MethodPut, item, feature(props), "If-Match", `"1"`); r.Code != http.StatusOK || r.Header().Get("ETag") != `"2"` {
		t.Fatalf("PUT %s (%s=%v): %d ETag %s %s", item, putKey, put, r.Code, r.Header().Get("ETag"), r.Body)
	}
	stored("PUT", fid, props)
	if !sameGeom(fid) {
		t.Errorf("PUT %s changed the geometry", item)
	}
	var patchKey string
	var patch any = "qc-part4"
	if patchKey = "data_source"; putKey == patchKey {
		on, _ := props["synthetic"].(bool)
		patchKey, patch = "synthetic", !on
	}
	pb, _ := json.Marshal(map[string]any{"properties": map[string]any{patchKey: patch}})
	if r := send(http.MethodPatch, item, string(pb), "If-Match", `"2"`); r.Code != http.StatusOK || r.Header().Get("ETag") != `"3"` {
		t.Fatalf("PATCH %s: %d ETag %s %s", item, r.Code, r.Header().Get("ETag"), r.Body)
	}
	props[patchKey] = patch
	before := stored("PATCH", fid, props)
	if before["version"] != float64(3) || before["updated_by"] != editor {
		t.Errorf("after PATCH: version %v updated_by %v", before["version"], before["updated_by"])
	}

	// 3. A stale If-Match changes nothing.
	if r := send(http.MethodPatch, item, `{"properties":{"data_source":"stale"}}`, "If-Match", `"2"`); r.Code != http.StatusPreconditionFailed {
		t.Errorf("PATCH with a stale If-Match: %d %s", r.Code, r.Body)
	}
	if r := send(http.MethodDelete, item, "", "If-Match", `"1"`); r.Code != http.StatusPreconditionFailed {
		t.Errorf("DELETE with a stale If-Match: %d %s", r.Code, r.Body)
	}
	if after := row(fid); !reflect.DeepEqual(after, before) {
		t.Errorf("the refused writes changed the row:\n%v\n%v", before, after)
	}

	// 4. Delete.
	if r := send(http.MethodDelete, item, "", "If-Match", `"3"`); r.Code != http.StatusNoContent {
		t.Fatalf("DELETE %s: %d %s", item, r.Code, r.Body)
	}
	if row(fid) != nil {
		t.Errorf("after DELETE %s %d is still in the table", l.ID, fid)
	}
	if r := send(http.MethodGet, item, ""); r.Code != http.StatusNotFound {
		t.Errorf("GET after DELETE: %d", r.Code)
	}
	hist, err := db.Pool.Query(ctx, `SELECT op || ':' || actor FROM feature_history WHERE layer = $1 AND feature_id = $2 ORDER BY id`, l.ID, fid)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := pgx.CollectRows(hist, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("insert:%[1]s update:%[1]s update:%[1]s delete:%[1]s", editor)
	if got := strings.Join(ops, " "); got != want {
		t.Errorf("feature_history: %q, want %q", got, want)
	}
	if tiled && slices.Contains(tileIDs(), uint64(fid)) {
		t.Errorf("after the delete, tile %s still shows %d", tilePath, fid)
	}
}

// changed picks the attribute a PUT changes and its new value: the name (a suffix), else
// the first number that is not a reference (one more), else data_source.
func changed(l *layers.Layer, props map[string]any) (string, any) {
	if l.Attr("name") != nil {
		s, _ := props["name"].(string)
		return "name", s + "（改）"
	}
	for _, a := range l.Writable() {
		if (a.Type == layers.Number || a.Type == layers.Integer) && !strings.HasSuffix(a.Name, "_id") && a.Name != "source" && a.Name != "target" {
			if v, ok := props[a.Name].(float64); ok {
				return a.Name, v + 1
			}
		}
	}
	return "data_source", "qc-put"
}

// freshValue is a value of column c of l that no row has, made from old.
func freshValue(t *testing.T, db *testdb.DB, l *layers.Layer, c, old string) string {
	t.Helper()
	n, err := strconv.ParseUint(old, 10, 64)
	for i := uint64(1); i < 1000; i++ {
		v := old + "-qc" + strconv.FormatUint(i, 10)
		if err == nil {
			v = fmt.Sprintf("%0*d", len(old), n+i)
		}
		var taken bool
		if err := db.Pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{l.ID}.Sanitize()+` WHERE `+pgx.Identifier{c}.Sanitize()+` = $1)`, v).Scan(&taken); err != nil {
			t.Fatal(err)
		}
		if !taken {
			return v
		}
	}
	t.Fatalf("no free value of %s.%s near %q", l.ID, c, old)
	return ""
}

// shift moves every position of GeoJSON coordinates by dx, dy.
func shift(c any, dx, dy float64) any {
	a, ok := c.([]any)
	if !ok {
		return c
	}
	if len(a) >= 2 {
		if x, ok := a[0].(float64); ok {
			out := slices.Clone(a)
			out[0], out[1] = x+dx, a[1].(float64)+dy
			return out
		}
	}
	out := make([]any, len(a))
	for i, e := range a {
		out[i] = shift(e, dx, dy)
	}
	return out
}
