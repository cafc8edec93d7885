package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/migrate"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/migrations"
)

// proxy forwards TCP to a backend and can cut every connection and refuse new ones,
// which is what an unreachable database looks like to the pool.
type proxy struct {
	ln      net.Listener
	backend string
	mu      sync.Mutex
	down    bool
	conns   []net.Conn
}

func newProxy(t *testing.T, backend string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, backend: backend}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.setDown(true) })
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		b, err := net.Dial("tcp", p.backend)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns = append(p.conns, c, b)
		p.mu.Unlock()
		go func() { io.Copy(b, c); b.Close() }() //nolint:errcheck
		go func() { io.Copy(c, b); c.Close() }() //nolint:errcheck
	}
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

func TestReadyzFollowsTheDatabase(t *testing.T) {
	tdb := testdb.New(t)
	u, err := url.Parse(tdb.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	ctx := context.Background()
	pool, err := db.Open(ctx, u.String(), db.Options{MaxConns: 2, StatementTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := migrate.New(pool, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, httpapi.Health{Pool: pool, Migrations: m, Version: "test"}))
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"ready"`) {
		t.Fatalf("database up: %d %s", code, body)
	}
	p.setDown(true)
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "unreachable") {
		t.Fatalf("database down: %d %s", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz while the database is down: %d, want 200 (the process is alive)", code)
	}
	p.setDown(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get("/readyz")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database back, still not ready: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A schema behind the binary is not ready either.
	if _, err := pool.Exec(ctx, "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)"); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "not current") {
		t.Fatalf("migrations behind: %d %s", code, body)
	}
}

func TestUnknownRouteIsProblemJSON(t *testing.T) {
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nope", nil))
	if rec.Code != 404 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := strings.NewReader(strings.Repeat("x", 2<<20))
	req := httptest.NewRequest(http.MethodPost, "/nope", body)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d", rec.Code)
	}
}

// TestReadyzReportsWarm: with a Warm probe, /readyz says "warm" and answers 200 either way;
// /readyz?warm=1 answers 503 "warming" until the probe says warm, then 200.
func TestReadyzReportsWarm(t *testing.T) {
	tdb := testdb.New(t)
	if tdb == nil {
		t.FailNow()
	}
	m, err := migrate.New(tdb.Pool, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	var warm atomic.Bool
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}},
		httpapi.Health{Pool: tdb.Pool, Migrations: m, Version: "test", Warm: warm.Load}))
	get := func(path string) (int, map[string]any) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s: %v: %s", path, err, rec.Body.String())
		}
		return rec.Code, out
	}
	for _, c := range []struct {
		warm   bool
		path   string
		code   int
		status string
	}{
		{false, "/readyz", 200, "ready"},
		{false, "/readyz?warm=1", 503, "warming"},
		{true, "/readyz", 200, "ready"},
		{true, "/readyz?warm=1", 200, "ready"},
	} {
		warm.Store(c.warm)
		code, body := get(c.path)
		if code != c.code || body["status"] != c.status || body["warm"] != c.warm {
			t.Errorf("warm=%v %s: %d %v, want %d status %q warm %v", c.warm, c.path, code, body, c.code, c.status, c.warm)
		}
	}
}
