package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/migrate"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/migrations"
)

// outcome is one request of the load and what it got.
type outcome struct {
	kind   string // "write", "read" or "ready"
	name   string // the park a write created
	status int
	ctype  string
	retry  string
	id     int64
	during bool // sent while the server was down
}

// TestPostgresRestartUnderLoad is the fault test of docs/security.md: a server of the
// real engine and layers API on a PostgreSQL cluster of its own, read and write load
// (feature creates over the API) running, and the cluster shut down in fast mode and
// started again mid-load. It checks that every write answered 201 is in the database, that
// nothing answered 500 (writes 201 or 503, reads 200 or 503, each 503 a problem with
// Retry-After where the API answered), and that /readyz returns to 200 by itself.
func TestPostgresRestartUnderLoad(t *testing.T) {
	pg := testdb.NewCluster(t)
	ctx := context.Background()
	setup, err := db.Open(ctx, pg.URL, db.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.New(setup, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(ctx, nil); err != nil {
		t.Fatalf("migrations on the test cluster: %v\n%s", err, pg.Log())
	}
	var city int64
	if err := setup.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid, geom)
		VALUES ('baotou', '包头市', '150200', 4546, ST_Multi(ST_MakeEnvelope(109.5, 40.3, 110.5, 41.0, 4326))) RETURNING id`).Scan(&city); err != nil {
		t.Fatal(err)
	}
	_, token, err := (&auth.Store{Pool: setup}).Create(ctx, "loader", auth.Editor)
	if err != nil {
		t.Fatal(err)
	}

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pool, err := db.Open(ctx, pg.URL, db.Options{MaxConns: 6, StatementTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	api, err := featureapi.New(ctx, pool, layers.Default(), 1<<20, log)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	mr, err := migrate.New(pool, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: 1 << 20, StatementTimeout: 10 * time.Second,
		Policy: httpapi.Policy{Tokens: &auth.Store{Pool: pool}, AnonymousRead: true}},
		httpapi.Health{Pool: pool, Migrations: mr, Version: "test"}, api)))
	defer srv.Close()
	client := &http.Client{Timeout: 20 * time.Second}

	var (
		mu       sync.Mutex
		outcomes []outcome
		down     bool
	)
	record := func(o outcome) {
		mu.Lock()
		defer mu.Unlock()
		o.during = o.during || down
		outcomes = append(outcomes, o)
	}
	send := func(kind, method, path string, body []byte) (outcome, []byte) {
		mu.Lock()
		wasDown := down
		mu.Unlock()
		req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if body != nil {
			req.Header.Set("Content-Type", "application/geo+json")
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", method, path, err)
			return outcome{kind: kind}, nil
		}
		defer resp.Body.Close() //nolint:errcheck // test clean-up
		b, _ := io.ReadAll(resp.Body)
		return outcome{kind: kind, status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), retry: resp.Header.Get("Retry-After"), during: wasDown}, b
	}

	// The load stops when told to, and each client after maxRequests whatever happens.
	const maxRequests = 5000
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < maxRequests; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("fault-%d-%d", w, i)
				lon, lat := 109.8+0.002*float64(w), 40.6+0.0005*float64(i%400)
				f := map[string]any{"type": "Feature", "properties": map[string]any{"city_id": city, "name": name, "park_class": "community"},
					"geometry": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{lon, lat}, {lon + 0.0004, lat}, {lon + 0.0004, lat + 0.0004}, {lon, lat}}}}}
				body, _ := json.Marshal(f)
				o, b := send("write", http.MethodPost, "/api/v1/layers/parks/features", body)
				o.name = name
				if o.status == http.StatusCreated {
					var created struct{ ID int64 }
					_ = json.Unmarshal(b, &created)
					o.id = created.ID
				}
				record(o)
				if o.status == http.StatusServiceUnavailable {
					time.Sleep(20 * time.Millisecond) // a client backing off, if less than Retry-After
				}
			}
		}(w)
	}
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for i := 0; i < maxRequests; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if i%2 == 0 {
					o, _ := send("read", http.MethodGet, fmt.Sprintf("/api/v1/layers/parks/features?limit=5&offset=%d", i%20), nil)
					record(o)
				} else {
					o, _ := send("ready", http.MethodGet, "/readyz", nil)
					record(o)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}(r)
	}

	// Load, then a fast shutdown held for a second (so the load meets the outage), then
	// the start, then load again.
	time.Sleep(1500 * time.Millisecond)
	mu.Lock()
	down = true
	mu.Unlock()
	if err := pg.Stop(); err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := pg.Start(); err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()

	// /readyz comes back by itself (the pool replaces its dead connections).
	deadline := time.Now().Add(15 * time.Second)
	for {
		o, b := send("ready", http.MethodGet, "/readyz", nil)
		if o.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after the restart: %s", o.status, b)
		}
		time.Sleep(200 * time.Millisecond)
	}

	counts := map[string]map[int]int{}
	var acked []string
	ackedIDs := map[string]int64{}
	outageAnswers := 0
	for _, o := range outcomes {
		if counts[o.kind] == nil {
			counts[o.kind] = map[int]int{}
		}
		counts[o.kind][o.status]++
		ok := map[string]int{"write": 201, "read": 200, "ready": 200}[o.kind]
		if o.status != ok && o.status != http.StatusServiceUnavailable {
			t.Errorf("%s answered %d (during the outage: %v); only %d or 503 are honest", o.kind, o.status, o.during, ok)
		}
		if o.status == http.StatusServiceUnavailable {
			outageAnswers++
			if o.kind != "ready" && (o.ctype != "application/problem+json" || o.retry != "5") {
				t.Errorf("%s 503 without a problem document and Retry-After: %q %q", o.kind, o.ctype, o.retry)
			}
		}
		if o.kind == "write" && o.status == 201 {
			acked = append(acked, o.name)
			ackedIDs[o.name] = o.id
		}
	}
	if outageAnswers == 0 {
		t.Fatalf("no request met the outage; the test proves nothing: %v", counts)
	}
	if counts["write"][201] == 0 {
		t.Fatalf("no write was acknowledged: %v", counts)
	}
	// Every acknowledged write is in the database, under the id the API answered.
	found := testdb.Pairs[string, int64](ctx, t, setup, `SELECT name, id FROM parks WHERE name = ANY($1)`, acked)
	for _, name := range acked {
		if found[name] != ackedIDs[name] {
			t.Errorf("acknowledged write %s (id %d) is not in the database (found id %d)", name, ackedIDs[name], found[name])
		}
	}
	var total int
	if err := setup.QueryRow(ctx, `SELECT count(*) FROM parks WHERE name LIKE 'fault-%'`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	t.Logf("answers %v; %d writes acknowledged, all present; %d fault parks stored (a write answered 503 may or may not have committed)", counts, len(acked), total)
}
