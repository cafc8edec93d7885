package ogcapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/ogcapi"
)

// nextHref returns the href of the rel=next link, "" on the last page.
func nextHref(t *testing.T, doc map[string]any) string {
	t.Helper()
	if ls := links(t, doc)["next"]; len(ls) > 0 {
		return ls[0]["href"].(string)
	}
	return ""
}

// TestCursorPaging follows next links with limit=7 through the 260 parcels, plain and
// under a filter, and compares the ids with the database's in id order: every feature
// once, none twice; the first page counts the matches, the continuation pages do not.
func TestCursorPaging(t *testing.T) {
	e := newEnv(t)
	e.seed()
	for _, filter := range []string{"", "&landuse_code=0701"} {
		var want []int64
		rows, err := e.db.Pool.Query(context.Background(), `SELECT id FROM residential_land WHERE $1 = '' OR landuse_code = '0701' ORDER BY id`, filter)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			want = append(want, id)
		}
		rows.Close()
		var got []int64
		path := "/ogc/collections/residential_land/items?limit=7&properties=" + filter
		for page := 0; path != ""; page++ {
			doc := e.get(path).JSON(t)
			if _, counted := doc["numberMatched"]; counted != (page == 0) {
				t.Errorf("page %d: numberMatched present %v", page, counted)
			}
			if page == 0 && doc["numberMatched"].(json.Number).String() != strconv.Itoa(len(want)) {
				t.Errorf("numberMatched %v, want %d", doc["numberMatched"], len(want))
			}
			for _, f := range doc["features"].([]any) {
				id, _ := f.(map[string]any)["id"].(json.Number).Int64()
				got = append(got, id)
			}
			path = ""
			if h := nextHref(t, doc); h != "" {
				u, _ := url.Parse(h)
				if u.Query().Has("offset") || !u.Query().Has("cursor") || u.Query().Get("limit") != "7" {
					t.Fatalf("next link %s: want a cursor and limit=7, no offset", h)
				}
				path = u.RequestURI()
			}
			if page > 100 {
				t.Fatal("paging does not end")
			}
		}
		if len(got) != len(want) {
			t.Fatalf("filter %q: %d features, want %d", filter, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("filter %q: feature %d is %d, want %d", filter, i, got[i], want[i])
			}
		}
	}
	// A sorted list pages by offset, as before.
	doc := e.get("/ogc/collections/residential_land/items?limit=5&sortby=-population").JSON(t)
	if h := nextHref(t, doc); !strings.Contains(h, "offset=5") || strings.Contains(h, "cursor=") {
		t.Errorf("sorted next link %s", h)
	}
}

// TestCursorRefusals: a cursor the service did not make, a cursor with an offset or with
// sortby, are 400 naming the cursor.
func TestCursorRefusals(t *testing.T) {
	e := newEnv(t)
	good := ogcapi.Cursor(5)
	for _, q := range []string{"cursor=", "cursor=5", "cursor=aWQ-MA", "cursor=aWQ-LTE", "cursor=%00", "cursor=" + strings.Repeat("A", 60),
		"cursor=" + good + "&offset=3", "cursor=" + good + "&sortby=population", "cursor=" + good + "&cursor=" + good} {
		r := e.get("/ogc/collections/residential_land/items?" + q)
		if r.Code != http.StatusBadRequest || !strings.Contains(string(r.Body), `"parameter":"cursor"`) {
			t.Errorf("%s: %d %s", q, r.Code, r.Body)
		}
	}
}

// TestBooleanEquality: pocket=1 and pocket=true select the 4 pocket parks of the seed,
// pocket=0 and pocket=false the 8 others; anything else is a 400 naming pocket.
func TestBooleanEquality(t *testing.T) {
	e := newEnv(t)
	e.seed()
	for q, want := range map[string]string{"pocket=1": "4", "pocket=true": "4", "pocket=0": "8", "pocket=false": "8"} {
		doc := e.get("/ogc/collections/parks/items?" + q).JSON(t)
		if doc["numberMatched"].(json.Number).String() != want {
			t.Errorf("%s: %v matched, want %s", q, doc["numberMatched"], want)
		}
	}
	for _, q := range []string{"pocket=yes", "pocket=2", "pocket=TRUE", "pocket="} {
		if r := e.get("/ogc/collections/parks/items?" + q); r.Code != 400 || !strings.Contains(string(r.Body), `"parameter":"pocket"`) {
			t.Errorf("%s: %d %s", q, r.Code, r.Body)
		}
	}
}

// TestCollectionExtent: the spatial extent is the box of the seeded parcels worked out
// by hand (a 20 × 13 grid of 0.0008° squares every 0.001° from 109.8, 40.6), and the
// temporal extent of growth_boundaries runs from the first edition's valid_from, open at
// the end since the 2024 edition is in force.
func TestCollectionExtent(t *testing.T) {
	e := newEnv(t)
	e.seed()
	doc := e.get("/ogc/collections/residential_land").JSON(t)
	bbox := doc["extent"].(map[string]any)["spatial"].(map[string]any)["bbox"].([]any)[0].([]any)
	want := []float64{109.8, 40.6, 109.8 + 19*0.001 + 0.0008, 40.6 + 12*0.001 + 0.0008}
	for i, v := range bbox {
		f, _ := v.(json.Number).Float64()
		if d := f - want[i]; d > 1e-9 || d < -1e-9 {
			t.Errorf("bbox[%d] = %v, want %v", i, f, want[i])
		}
	}
	gb := e.get("/ogc/collections/growth_boundaries").JSON(t)
	iv := gb["extent"].(map[string]any)["temporal"].(map[string]any)["interval"].([]any)[0].([]any)
	if iv[0] != "2015-06-01T00:00:00Z" || iv[1] != nil {
		t.Errorf("temporal interval %v, want [2015-06-01T00:00:00Z, null]", iv)
	}
	// A layer with no features has no spatial extent.
	if ext, ok := e.get("/ogc/collections/basic_farmland").JSON(t)["extent"]; ok {
		t.Errorf("empty layer extent %v", ext)
	}
	cols := e.get("/ogc/collections").JSON(t)["collections"].([]any)
	for _, c := range cols {
		if c.(map[string]any)["id"] == "parks" && c.(map[string]any)["extent"] == nil {
			t.Error("the collections list gives parks no extent")
		}
	}
}

// TestOptionsOnItems: OPTIONS is 204 with Allow, without a token (TestPart4Access checks
// the items paths, which also allow the writes).
func TestOptionsOnItems(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/ogc/collections", "/ogc/collections/parks", "/ogc/conformance"} {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, httptest.NewRequest(http.MethodOptions, p, nil))
		if w.Code != http.StatusNoContent || w.Header().Get("Allow") != "GET, HEAD, OPTIONS" {
			t.Errorf("OPTIONS %s: %d Allow %q", p, w.Code, w.Header().Get("Allow"))
		}
	}
}
