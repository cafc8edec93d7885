package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/webui"
)

// probe is a route group that counts the requests its handlers see, so a test can tell
// that a refused request never reached one.
type probe struct{ calls int }

func (p *probe) Routes() []httpapi.Route {
	var rs httpapi.Routes
	add := func(method, path string, h gin.HandlerFunc) {
		access := httpapi.Public
		if method != http.MethodGet {
			access = httpapi.Editor // serve sends probeToken
		}
		rs = append(rs, httpapi.Route{Method: method, Path: path, Access: access, AnyQuery: true, Summary: path, Handlers: []gin.HandlerFunc{h}})
	}
	add(http.MethodGet, "/json", func(c *gin.Context) { p.calls++; c.JSON(200, gin.H{"q": c.Query("park_class")}) })
	add(http.MethodGet, "/html", func(c *gin.Context) { p.calls++; c.Data(200, "text/html; charset=utf-8", []byte("<p>hi")) })
	add(http.MethodGet, "/own-csp", func(c *gin.Context) {
		p.calls++
		c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		c.Data(200, "text/html; charset=utf-8", []byte("<p>hi"))
	})
	add(http.MethodGet, "/vary", func(c *gin.Context) {
		p.calls++
		c.Header("Vary", "Accept-Encoding")
		c.Data(200, "application/vnd.mapbox-vector-tile", []byte{1})
	})
	add(http.MethodGet, "/empty", func(c *gin.Context) { p.calls++; c.Status(http.StatusNoContent) })
	add(http.MethodPost, "/json", func(c *gin.Context) {
		p.calls++
		raw, err := problem.ReadJSON(c.Request.Body, 0)
		if err != nil {
			problem.Respond(c, nil, err)
			return
		}
		c.JSON(201, gin.H{"bytes": len(raw)})
	})
	return rs
}

func engine(t *testing.T, o httpapi.Options, mounts ...httpapi.Mounter) http.Handler {
	t.Helper()
	if o.MaxBody == 0 {
		o.MaxBody = 1 << 20
	}
	o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	o.Policy = httpapi.Policy{AnonymousRead: true, Tokens: auth.Static{probeToken: {Name: "probe", Role: auth.Editor}}}
	return httpapi.Must(httpapi.NewEngine(o, mounts...))
}

// probeToken is the editor token serve sends, so that the probe's writes are let through.
const probeToken = "crk_probe"

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	if req.Method != http.MethodOptions {
		req.Header.Set("Authorization", "Bearer "+probeToken)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// problemOf checks that rec is a problem document with status and returns its members.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder, status int) map[string]any {
	t.Helper()
	if rec.Code != status || rec.Header().Get("Content-Type") != problem.ContentType {
		t.Fatalf("got %d %q %s, want %d problem+json", rec.Code, rec.Header().Get("Content-Type"), rec.Body, status)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body["status"] != float64(status) {
		t.Fatalf("status member %v, want %d", body["status"], status)
	}
	return body
}

func TestSemicolonInQueryRefusedBeforeHandler(t *testing.T) {
	p := &probe{}
	h := engine(t, httpapi.Options{}, p)
	for _, tc := range []struct{ query, param string }{
		{"park_class=garden;x", "park_class"},
		{"dry_run=true;", "dry_run"},
		{"a=1&b;c=2", "b"},
		{"x%20y;=1", "x y"},
	} {
		body := problemOf(t, serve(h, httptest.NewRequest(http.MethodGet, "/json?"+tc.query, nil)), 400)
		if body["parameter"] != tc.param || !strings.Contains(body["detail"].(string), "%3B") {
			t.Errorf("%q: %v, want parameter %q", tc.query, body, tc.param)
		}
	}
	// A POST with a ';' does not reach its handler either (the import's dry_run=true; case).
	req := httptest.NewRequest(http.MethodPost, "/json?dry_run=true;", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	problemOf(t, serve(h, req), 400)
	if p.calls != 0 {
		t.Fatalf("a handler ran %d times for refused requests", p.calls)
	}
	// %3B is a semicolon inside a value, which is fine.
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/json?park_class=a%3Bb", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"a;b"`) {
		t.Fatalf("escaped semicolon: %d %s", rec.Code, rec.Body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	p := &probe{}
	index := []byte("<!doctype html><script src=/assets/app.js></script>")
	ui := webui.Mounter{FS: fstest.MapFS{"index.html": {Data: index}, "assets/app.js": {Data: []byte("1")}}}
	h := engine(t, httpapi.Options{}, p, ui)
	for _, tc := range []struct{ path, csp string }{
		{"/json", "frame-ancestors 'none'"},
		{"/html", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
		{"/own-csp", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"},
		{"/empty", "frame-ancestors 'none'"},
		{"/nope", "frame-ancestors 'none'"}, // the engine's own 404 problem
		{"/assets/app.js", "frame-ancestors 'none'"},
	} {
		rec := serve(h, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", tc.path, got)
		}
		if got := rec.Header().Get("Content-Security-Policy"); got != tc.csp {
			t.Errorf("%s: CSP %q, want %q", tc.path, got, tc.csp)
		}
	}
	// The web map keeps its own policy, which lets MapLibre run its blob: workers and
	// draws its data: icons; it may be framed by its own origin only.
	rec := serve(h, httptest.NewRequest(http.MethodGet, "/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "worker-src 'self' blob:", "img-src 'self' data: blob:", "frame-ancestors 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("web map CSP %q lacks %q", csp, want)
		}
	}
	if strings.Count(csp, "frame-ancestors") != 1 {
		t.Errorf("web map CSP %q: frame-ancestors twice", csp)
	}
	// A 304 of the page (no body) has the headers too.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec = serve(h, req)
	if rec.Code != 304 || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("304: %d %v", rec.Code, rec.Header())
	}
}

func TestCORS(t *testing.T) {
	preflight := func(h http.Handler, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodOptions, "/json", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		return serve(h, req)
	}
	// The default: no origin is allowed, no CORS header is ever sent.
	h := engine(t, httpapi.Options{}, &probe{})
	rec := preflight(h, "https://planning.example.cn")
	problemOf(t, rec, 403)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS header without a policy: %v", rec.Header())
	}
	req := httptest.NewRequest(http.MethodGet, "/json", nil)
	req.Header.Set("Origin", "https://planning.example.cn")
	if rec := serve(h, req); rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "" || varies(rec, "Origin") {
		t.Fatalf("simple request without a policy: %d %v", rec.Code, rec.Header())
	}

	policy, err := httpapi.ParseCORSOrigins([]string{"https://Planning.Example.cn", "http://localhost:5173/"})
	if err != nil {
		t.Fatal(err)
	}
	p := &probe{}
	h = engine(t, httpapi.Options{CORS: policy}, p)
	rec = preflight(h, "https://planning.example.cn")
	if rec.Code != 204 || rec.Header().Get("Access-Control-Allow-Origin") != "https://planning.example.cn" ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "PATCH") ||
		!strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), "Authorization") ||
		rec.Header().Get("Access-Control-Max-Age") != "600" || !varies(rec, "Origin") {
		t.Fatalf("allowed preflight: %d %v", rec.Code, rec.Header())
	}
	if p.calls != 0 {
		t.Fatal("a preflight reached a handler")
	}
	rec = preflight(h, "https://evil.example")
	problemOf(t, rec, 403)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("refused preflight has CORS headers: %v", rec.Header())
	}
	// An actual request: the allowed origin is echoed and Vary lists Origin even where the
	// handler set Vary itself (tiles vary by Accept-Encoding).
	req = httptest.NewRequest(http.MethodGet, "/vary", nil)
	req.Header.Set("Origin", "http://localhost:5173")
	rec = serve(h, req)
	if rec.Header().Get("Access-Control-Allow-Origin") != "http://localhost:5173" || !varies(rec, "Origin") || !varies(rec, "Accept-Encoding") ||
		!strings.Contains(rec.Header().Get("Access-Control-Expose-Headers"), "ETag") {
		t.Fatalf("allowed request: %v", rec.Header())
	}
	req = httptest.NewRequest(http.MethodGet, "/vary", nil)
	req.Header.Set("Origin", "https://evil.example")
	if rec := serve(h, req); rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin: %d %v", rec.Code, rec.Header())
	}
	if _, err := httpapi.ParseCORSOrigins([]string{"planning.example.cn"}); err == nil {
		t.Fatal("an origin without a scheme was accepted")
	}
	if _, err := httpapi.ParseCORSOrigins([]string{"https://a.example/path"}); err == nil {
		t.Fatal("an origin with a path was accepted")
	}
}

func varies(rec *httptest.ResponseRecorder, name string) bool {
	for _, v := range rec.Header().Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return true
			}
		}
	}
	return false
}

func TestBodiesNeedContentTypeAndStayWithinLimits(t *testing.T) {
	p := &probe{}
	h := engine(t, httpapi.Options{MaxBody: 1024}, p)
	req := httptest.NewRequest(http.MethodPost, "/json", strings.NewReader(`{"a":1}`))
	problemOf(t, serve(h, req), 415)
	if p.calls != 0 {
		t.Fatal("the handler saw a body without a Content-Type")
	}
	// No body at all needs no Content-Type.
	if rec := serve(h, httptest.NewRequest(http.MethodPost, "/json", nil)); rec.Code != 201 {
		t.Fatalf("empty POST: %d %s", rec.Code, rec.Body)
	}
	// A chunked body (no Content-Length) over the limit is cut by the engine's
	// MaxBytesReader inside the handler: still a 413 problem naming the limit.
	req = httptest.NewRequest(http.MethodPost, "/json", io.MultiReader(strings.NewReader(`{"a":"`), strings.NewReader(strings.Repeat("x", 2000)), strings.NewReader(`"}`)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	if body := problemOf(t, serve(h, req), 413); body["limit"] != float64(1024) {
		t.Fatalf("413 body %v, want limit 1024", body)
	}
	// A declared length over the limit is refused before the handler.
	p.calls = 0
	req = httptest.NewRequest(http.MethodPost, "/json", strings.NewReader(strings.Repeat(" ", 2000)))
	req.Header.Set("Content-Type", "application/json")
	problemOf(t, serve(h, req), 413)
	if p.calls != 0 {
		t.Fatal("the handler saw an oversized body")
	}
	// Malformed JSON is 400; invalid UTF-8 in a string is 422 naming the member.
	for body, want := range map[string]int{`{"a":`: 400, "{\"name\":\"\xff\"}": 422} {
		req = httptest.NewRequest(http.MethodPost, "/json", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		got := problemOf(t, serve(h, req), want)
		if want == 422 && got["pointer"] != "/name" {
			t.Fatalf("422 %v, want pointer /name", got)
		}
	}
}

func TestOversizedHeadersAreProblemJSON(t *testing.T) {
	p := &probe{}
	h := engine(t, httpapi.Options{}, p)
	req := httptest.NewRequest(http.MethodGet, "/json", nil)
	req.Header.Set("X-Big", strings.Repeat("a", httpapi.MaxHeaderBytes))
	if body := problemOf(t, serve(h, req), 431); body["limit"] != float64(httpapi.MaxHeaderBytes) {
		t.Fatalf("431 body %v", body)
	}
	if p.calls != 0 {
		t.Fatal("the handler saw oversized headers")
	}
	// Over the server's hard limit Go answers itself, in plain text, before any handler:
	// that is documented, and the limit is 16 times the engine's.
	if httpapi.ServerMaxHeaderBytes < 16*httpapi.MaxHeaderBytes {
		t.Fatal("the server's hard limit should be well above the engine's")
	}
}
