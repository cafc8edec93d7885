package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/tiles/mvtread"
)

// TestServerOnAReplica serves the whole server with --replica-url set to the test
// server's streaming replica (scripts/replica.sh): a park written through the API carries
// the commit position in X-Cityreach-LSN and a cookie; reads that present it — the feature,
// the OGC items — see the park and are served by the replica; the park's tile shows it,
// and once it is deleted the tile no longer does, though tiles are rendered on the replica
// and cached (the cache follows the change log read on the replica; the tile requests
// carry the writes' tokens, as a browser's cookie does). The expectations are the
// park the test wrote and the tile the slippy-map formula puts it in.
func TestServerOnAReplica(t *testing.T) {
	tdb := testdb.New(t)
	replicaURL := testdb.ReplicaURL(t, tdb, false)
	t.Setenv("CITYREACH_JOBS_DIR", t.TempDir())
	ctx := context.Background()
	var city int64
	if err := tdb.Pool.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('baotou', '包头市', '150200', 4546) RETURNING id`).Scan(&city); err != nil {
		t.Fatal(err)
	}
	app, do := replicaServer(t, tdb, replicaURL)
	before, err := app.Replicas.CommitLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	park := fmt.Sprintf(`{"type":"Feature","properties":{"city_id":%d,"name":"读写一致公园","park_class":"garden"},
		"geometry":{"type":"Polygon","coordinates":[[[109.80,40.60],[109.81,40.60],[109.81,40.61],[109.80,40.61],[109.80,40.60]]]}}`, city)
	rec := do("POST", "/api/v1/layers/parks/features", park, nil)
	if rec.Code != 201 {
		t.Fatalf("POST park: %d %s", rec.Code, rec.Body)
	}
	tok := rec.Header().Get(LSNHeader)
	lsn, err := db.ParseLSN(tok)
	if err != nil || lsn <= before {
		t.Fatalf("write answered %s=%q (%v); want a position past %s", LSNHeader, tok, err, before)
	}
	if ck := rec.Header().Get("Set-Cookie"); !strings.Contains(ck, LSNCookie+"="+tok) {
		t.Fatalf("write set no %s cookie: %q", LSNCookie, ck)
	}
	var created struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &created)
	st0 := app.Replicas.Stats()

	// Read-your-writes through the header, then through the cookie.
	rec = do("GET", fmt.Sprintf("/api/v1/layers/parks/features/%d", created.ID), "", map[string]string{LSNHeader: tok})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "读写一致公园") {
		t.Fatalf("GET the new park with its token: %d %s", rec.Code, rec.Body)
	}
	etag := rec.Header().Get("ETag")
	rec = do("GET", "/ogc/collections/parks/items?limit=10", "", map[string]string{"Cookie": LSNCookie + "=" + tok})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "读写一致公园") {
		t.Fatalf("OGC items with the token cookie: %d %s", rec.Code, rec.Body)
	}

	x, y := tileOf(109.805, 40.605, 14)
	tilePath := fmt.Sprintf("/tiles/parks/14/%d/%d.mvt", x, y)
	// The tile requests carry the last write's token in the cookie, as a browser's do.
	tileIDs := func(tok string) []uint64 {
		t.Helper()
		rec := do("GET", tilePath, "", map[string]string{"Cookie": LSNCookie + "=" + tok})
		if rec.Code == http.StatusNoContent {
			return nil
		}
		if rec.Code != 200 {
			t.Fatalf("GET %s: %d %s", tilePath, rec.Code, rec.Body)
		}
		ls, err := mvtread.Decode(rec.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, l := range ls {
			for _, f := range l.Features {
				ids = append(ids, f.ID)
			}
		}
		return ids
	}
	if ids := tileIDs(tok); len(ids) != 1 || ids[0] != uint64(created.ID) {
		t.Fatalf("tile %s holds features %v; want the new park %d", tilePath, ids, created.ID)
	}
	_ = tileIDs(tok) // now cached
	st1 := app.Replicas.Stats()
	if got := st1.ReplicaReads - st0.ReplicaReads; got < 3 || st1.PrimaryReads != st0.PrimaryReads {
		t.Fatalf("reads after the write: %d on the replica, %d on the primary; want at least 3 (feature, items, tile) all on the replica",
			got, st1.PrimaryReads-st0.PrimaryReads)
	}

	// The edit: delete the park on the primary. With the delete's token, the tile must not
	// show it: the cache follows the change log read on the replica (a poll at or past the
	// token, or a render at the token), whatever the primary's notification did.
	rec = do("DELETE", fmt.Sprintf("/api/v1/layers/parks/features/%d", created.ID), "", map[string]string{"If-Match": etag})
	delTok := rec.Header().Get(LSNHeader)
	if rec.Code != 204 || delTok == "" {
		t.Fatalf("DELETE: %d %q %s", rec.Code, delTok, rec.Body)
	}
	for i := range 3 {
		if ids := tileIDs(delTok); len(ids) != 0 {
			t.Fatalf("request %d after the delete: tile %s still holds %v", i+1, tilePath, ids)
		}
	}
	if st := app.Replicas.Stats(); st.ReplicaReads == st1.ReplicaReads {
		t.Fatalf("the tile after the delete was not rendered on the replica: %+v", st)
	}
	// A failed write carries no token.
	if rec := do("POST", "/api/v1/layers/parks/features", `{"type":"Feature"}`, nil); rec.Code < 400 || rec.Header().Get(LSNHeader) != "" {
		t.Fatalf("refused write: %d with %s %q", rec.Code, LSNHeader, rec.Header().Get(LSNHeader))
	}
}

// replicaServer builds the whole server on tdb with --replica-url replicaURL and returns
// it with a function that sends it one request as an admin (a body is GeoJSON unless hdr
// says otherwise). The replica serves reads from the start.
func replicaServer(t *testing.T, tdb *testdb.DB, replicaURL string) (*App, func(method, path, body string, hdr map[string]string) *httptest.ResponseRecorder) {
	t.Helper()
	ctx := context.Background()
	_, admin, err := (&auth.Store{Pool: tdb.Pool}).Create(ctx, "root", auth.Admin)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.ReplicaURLs = []string{replicaURL}
	cfg.ReplicaWait = 10 * time.Second // a loaded CI machine must not send these reads to the primary
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := buildApp(ctx, &cfg, tdb.Pool, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	if app.Replicas == nil || len(app.Replicas.Healthy()) != 1 {
		t.Fatalf("the replica does not serve reads after start-up")
	}
	h, err := engine(&cfg, tdb.Pool, nil, app, log)
	if err != nil {
		t.Fatal(err)
	}
	return app, func(method, path, body string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		if body != "" {
			req.Header.Set("Content-Type", "application/geo+json")
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
}
