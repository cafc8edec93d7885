package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/testdb"
)

// TestOGCPart4OnTheServer: on the server as `cityreach serve` builds it, the computed
// park-coverage gaps refuse Part 4 writes with 405 and offer only reads in OPTIONS, while a
// park edited through /ogc is the same feature, version and history /api/v1/layers shows.
func TestOGCPart4OnTheServer(t *testing.T) {
	db, h := demoServer(t)
	ctx := context.Background()
	send := editorSender(t, db, h, "planner", "application/merge-patch+json")
	gaps := "/ogc/collections/park_coverage_gaps/items"
	if r := send(http.MethodOptions, gaps, ""); r.Header().Get("Allow") != "GET, HEAD, OPTIONS" {
		t.Errorf("OPTIONS %s: Allow %q", gaps, r.Header().Get("Allow"))
	}
	if r := send(http.MethodPatch, gaps+"/1", `{"properties":{"area_m2":0}}`); r.Code != http.StatusMethodNotAllowed || r.Header().Get("Allow") != "GET, HEAD, OPTIONS" {
		t.Errorf("PATCH a gap: %d Allow %q %s", r.Code, r.Header().Get("Allow"), r.Body)
	}

	var id int64
	var version int32
	var name string
	if err := db.Pool.QueryRow(ctx, `SELECT id, version, name FROM parks ORDER BY id LIMIT 1`).Scan(&id, &version, &name); err != nil {
		t.Fatal(err)
	}
	item := fmt.Sprintf("/ogc/collections/parks/items/%d", id)
	if r := send(http.MethodGet, item, ""); r.Header().Get("ETag") != fmt.Sprintf(`"%d"`, version) {
		t.Fatalf("GET %s: ETag %q, the table says version %d", item, r.Header().Get("ETag"), version)
	}
	r := send(http.MethodPatch, item, `{"properties":{"name":"`+name+`（改）"}}`, "If-Match", fmt.Sprintf(`"%d"`, version))
	if r.Code != http.StatusOK {
		t.Fatalf("PATCH %s: %d %s", item, r.Code, r.Body)
	}
	rest := send(http.MethodGet, fmt.Sprintf("/api/v1/layers/parks/features/%d", id), "")
	var f struct{ Properties map[string]any }
	if err := json.Unmarshal(rest.Body.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	if rest.Header().Get("ETag") != r.Header().Get("ETag") || f.Properties["name"] != name+"（改）" {
		t.Errorf("/api/v1 shows ETag %s name %v after the OGC edit (ETag %s)", rest.Header().Get("ETag"), f.Properties["name"], r.Header().Get("ETag"))
	}
	var actor string
	if err := db.Pool.QueryRow(ctx, `SELECT actor FROM feature_history WHERE layer = 'parks' AND feature_id = $1 AND version = $2`, id, version+1).Scan(&actor); err != nil || actor != "planner" {
		t.Errorf("history of version %d: actor %q, %v", version+1, actor, err)
	}
}

// sender sends a request to the handler as one token; hdr are header name, value pairs.
type sender func(method, path, body string, hdr ...string) *httptest.ResponseRecorder

// editorSender makes an editor token called name and returns a sender that presents it,
// with contentType on every request that has a body.
func editorSender(t *testing.T, db *testdb.DB, h http.Handler, name, contentType string) sender {
	t.Helper()
	secret := editorSecret(t, db, name)
	return func(method, path, body string, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		if body != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
}
