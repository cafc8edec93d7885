package webui

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cityreach/cityreach/frontend"
	"github.com/cityreach/cityreach/internal/httpapi"
)

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func site(t *testing.T) fs.FS {
	return fstest.MapFS{
		".keep":                         {Data: nil},
		"index.html":                    {Data: []byte("<!doctype html><title>map</title>")},
		"favicon.svg":                   {Data: []byte("<svg/>")},
		"assets/index-abc123.js":        {Data: []byte("console.log(1)")},
		"assets/index-abc123.css":       {Data: []byte("body{}")},
		"assets/index-abc123.css.gz":    {Data: gz(t, []byte("body{}"))},
		"assets/worker-def456.mjs":      {Data: []byte("self.onmessage=null")},
		"glyphs/Noto Sans/0-255.pbf.gz": {Data: gz(t, []byte("PBF-0"))},
		"glyphs/.stamp":                 {Data: []byte("x")},
	}
}

func serve(t *testing.T, fsys fs.FS, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, Mounter{FS: fsys}))
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestServesFilesWithTypesAndCaching(t *testing.T) {
	fsys := site(t)
	cases := []struct {
		target, status, ctype, cache, body string
	}{
		{"/", "200", "text/html; charset=utf-8", "no-cache", "<!doctype html><title>map</title>"},
		{"/index.html", "200", "text/html; charset=utf-8", "no-cache", "<!doctype html><title>map</title>"},
		{"/assets/index-abc123.js", "200", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "console.log(1)"},
		{"/assets/index-abc123.css", "200", "text/css; charset=utf-8", "public, max-age=31536000, immutable", "body{}"},
		{"/assets/worker-def456.mjs", "200", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "self.onmessage=null"},
		{"/favicon.svg", "200", "image/svg+xml", "no-cache", "<svg/>"},
	}
	for _, c := range cases {
		rec := serve(t, fsys, http.MethodGet, c.target, nil)
		if got := http.StatusText(rec.Code); rec.Code != 200 {
			t.Errorf("%s: status %d %s", c.target, rec.Code, got)
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != c.ctype {
			t.Errorf("%s: Content-Type %q, want %q", c.target, ct, c.ctype)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != c.cache {
			t.Errorf("%s: Cache-Control %q, want %q", c.target, cc, c.cache)
		}
		if rec.Body.String() != c.body {
			t.Errorf("%s: body %q", c.target, rec.Body.String())
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", c.target)
		}
	}
}

func TestGzippedTwins(t *testing.T) {
	fsys := site(t)
	rec := serve(t, fsys, http.MethodGet, "/assets/index-abc123.css", map[string]string{"Accept-Encoding": "gzip"})
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Content-Type") != "text/css; charset=utf-8" || rec.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("gzip twin: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != "body{}" {
		t.Errorf("inflated %q", b)
	}
	if rec := serve(t, fsys, http.MethodGet, "/assets/index-abc123.css", nil); rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != "body{}" {
		t.Errorf("identity: %v %q", rec.Header(), rec.Body.String())
	}
	if rec := serve(t, fsys, http.MethodGet, "/assets/index-abc123.css.gz", nil); rec.Code != http.StatusNotFound {
		t.Errorf("twin served as a file: %d", rec.Code)
	}
}

func TestIndexCarriesPolicyAndRevalidates(t *testing.T) {
	fsys := site(t)
	rec := serve(t, fsys, http.MethodGet, "/", nil)
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "connect-src 'self'", "worker-src 'self' blob:"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on index.html")
	}
	if rec := serve(t, fsys, http.MethodGet, "/", map[string]string{"If-None-Match": etag}); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if rec := serve(t, fsys, http.MethodHead, "/", nil); rec.Code != 200 {
		t.Errorf("HEAD /: %d", rec.Code)
	}
}

func TestClaimsOnlyItsOwnPaths(t *testing.T) {
	fsys := site(t)
	for _, target := range []string{
		"/api/v1/indicators/park-coverage", "/tiles/parks/1/0/0.mvt", "/nope.html", "/.keep",
		"/assets/missing.js", "/assets/../index.html", "/assets/%2e%2e/index.html", "/assets/..%2findex.html",
		"/assets/", "/glyphs/.stamp",
	} {
		rec := serve(t, fsys, http.MethodGet, target, nil)
		if rec.Code == 200 {
			t.Errorf("%s: served %q, want an error", target, rec.Body.String())
			continue
		}
		if strings.Contains(rec.Body.String(), "<title>map</title>") {
			t.Errorf("%s: answered with the page", target)
		}
		if rec.Code == http.StatusNotFound && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: 404 as %q", target, rec.Header().Get("Content-Type"))
		}
	}
}

func TestGlyphs(t *testing.T) {
	fsys := site(t)
	rec := serve(t, fsys, http.MethodGet, "/glyphs/Noto%20Sans/0-255.pbf", map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("gzip glyphs: %d %v", rec.Code, rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != "PBF-0" {
		t.Errorf("glyph body %q", b)
	}
	if rec.Header().Get("Vary") != "Accept-Encoding" || !strings.Contains(rec.Header().Get("Cache-Control"), "max-age=") {
		t.Errorf("glyph headers %v", rec.Header())
	}
	// Without gzip (or with gzip refused) the server inflates.
	for _, ae := range []string{"", "identity", "gzip;q=0", "br"} {
		rec := serve(t, fsys, http.MethodGet, "/glyphs/Noto%20Sans/0-255.pbf", map[string]string{"Accept-Encoding": ae})
		if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != "PBF-0" {
			t.Errorf("Accept-Encoding %q: %d %q %q", ae, rec.Code, rec.Header().Get("Content-Encoding"), rec.Body.String())
		}
	}
	// A stack of several fonts: the first one the build has.
	if rec := serve(t, fsys, http.MethodGet, "/glyphs/Other,Noto%20Sans/0-255.pbf", nil); rec.Code != 200 {
		t.Errorf("font stack fallback: %d", rec.Code)
	}
	for target, want := range map[string]int{
		"/glyphs/Noto%20Sans/256-511.pbf": 404, // not built: MapLibre draws these locally
		"/glyphs/Nope/0-255.pbf":          404,
		"/glyphs/Noto%20Sans/0-255.txt":   400,
		"/glyphs/Noto%20Sans/..%2f..pbf":  404, // decoded to a path no route has
		"/glyphs/..%2F..%2Fetc/0-255.pbf": 404,
	} {
		if rec := serve(t, fsys, http.MethodGet, target, nil); rec.Code != want {
			t.Errorf("%s: %d, want %d", target, rec.Code, want)
		}
	}
}

func TestUnbuiltFrontend(t *testing.T) {
	rec := serve(t, fstest.MapFS{".keep": {}}, http.MethodGet, "/", nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "make build") {
		t.Errorf("unbuilt: %d %q", rec.Code, rec.Body.String())
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"gzip": true, "GZIP": true, "deflate, gzip;q=1.0": true, "*": true, "gzip;q=0.5": true,
		"": false, "identity": false, "gzip;q=0": false, "gzip; q=0.000": false, "br, deflate": false,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v", h, got)
		}
	}
}

// The embedded build, whatever state it is in, mounts without conflicting with itself.
func TestEmbeddedBuildMounts(t *testing.T) {
	rec := serve(t, frontend.Dist(), http.MethodGet, "/", nil)
	if rec.Code != 200 && rec.Code != http.StatusServiceUnavailable {
		t.Errorf("GET / on the embedded build: %d", rec.Code)
	}
}
