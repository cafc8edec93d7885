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

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/migrate"
	"github.com/cityreach/cityreach/internal/problem"
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
	t.Cleanup(func() { ln.Close(); p.setDown(true) }) //nolint:errcheck // test clean-up
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
			c.Close() //nolint:errcheck // test clean-up
			continue
		}
		b, err := net.Dial("tcp", p.backend)
		if err != nil {
			p.mu.Unlock()
			c.Close() //nolint:errcheck // test clean-up
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
			c.Close() //nolint:errcheck // test clean-up
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

// sleeper runs pg_sleep(?s=) on Pool, or a plain query, and answers failures with
// problem.Respond, as every handler does.
type sleeper struct {
	pool interface {
		Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	}
}

func (s sleeper) Routes() []httpapi.Route {
	return httpapi.Routes{{Method: http.MethodGet, Path: "/sleep", Access: httpapi.Public, Params: []httpapi.Param{{Name: "s", Schema: httpapi.Num}}, Summary: "pg_sleep", Handlers: []gin.HandlerFunc{func(c *gin.Context) {
		if _, err := s.pool.Exec(c.Request.Context(), "SELECT pg_sleep($1::float8)", c.DefaultQuery("s", "0")); err != nil {
			problem.Respond(c, nil, err)
			return
		}
		c.JSON(200, gin.H{"ok": true})
	}}}}
}

func TestDatabaseFailuresAre503And504(t *testing.T) {
	tdb := testdb.New(t)
	u, err := url.Parse(tdb.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	ctx := context.Background()
	const limit = 300 * time.Millisecond
	pool, err := db.Open(ctx, u.String(), db.Options{MaxConns: 2, StatementTimeout: limit})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 1 << 20, StatementTimeout: limit}, sleeper{pool}))
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	if rec := get("/sleep?s=0"); rec.Code != 200 {
		t.Fatalf("database up: %d %s", rec.Code, rec.Body)
	}
	// A statement longer than statement_timeout: 504 naming the configured limit.
	rec := get("/sleep?s=2")
	if rec.Code != http.StatusGatewayTimeout || !strings.Contains(rec.Body.String(), `"statement_timeout":"300ms"`) ||
		rec.Header().Get("Content-Type") != problem.ContentType {
		t.Fatalf("statement timeout: %d %s", rec.Code, rec.Body)
	}
	// The database goes away: 503 with Retry-After, never 500, for new connections and
	// for the pooled ones the proxy cut.
	p.setDown(true)
	for i := 0; i < 3; i++ {
		rec := get("/sleep?s=0")
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "5" || rec.Header().Get("Content-Type") != problem.ContentType {
			t.Fatalf("database down, request %d: %d %v %s", i, rec.Code, rec.Header(), rec.Body)
		}
	}
	p.setDown(false)
	deadline := time.Now().Add(10 * time.Second)
	for get("/sleep?s=0").Code != 200 {
		if time.Now().After(deadline) {
			t.Fatal("database back, requests still fail")
		}
		time.Sleep(100 * time.Millisecond)
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
