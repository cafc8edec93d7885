package httpapi

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/zstd"
)

// compressEngine serves a large GeoJSON answer with an ETag, a small JSON answer, a
// pre-gzipped body (as tiles are stored) and a PNG.
func compressEngine(t *testing.T) (http.Handler, []byte, []byte) {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range 200 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"Feature","id":%d,"properties":{"name":"公园 %d"},"geometry":{"type":"Point","coordinates":[109.8%d,40.6%d]}}`, i, i, i, i)
	}
	b.WriteString(`]}`)
	big := []byte(b.String())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(big)
	_ = zw.Close()
	pre := gz.Bytes()
	route := func(path string, h gin.HandlerFunc) Route {
		return Route{Method: http.MethodGet, Path: path, Access: Public, Summary: path, Handlers: []gin.HandlerFunc{h}}
	}
	h, err := NewEngine(Options{Log: slog.New(slog.DiscardHandler), MaxBody: 1 << 20}, Routes{
		route("/big", func(c *gin.Context) {
			c.Header("ETag", `"7"`)
			c.Data(http.StatusOK, "application/geo+json", big)
		}),
		route("/small", func(c *gin.Context) { c.Data(http.StatusOK, "application/json", []byte(`{"ok":true}`)) }),
		route("/tile", func(c *gin.Context) {
			c.Header("Content-Encoding", "gzip")
			c.Data(http.StatusOK, "application/vnd.mapbox-vector-tile", pre)
		}),
		route("/png", func(c *gin.Context) { c.Data(http.StatusOK, "image/png", big) }),
	})
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := Compress(h)
	if err != nil {
		t.Fatal(err)
	}
	return wrapped, big, pre
}

func get(h http.Handler, path, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if accept != "" {
		req.Header.Set("Accept-Encoding", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestCompressAnswers(t *testing.T) {
	h, big, pre := compressEngine(t)

	t.Run("gzip", func(t *testing.T) {
		rec := get(h, "/big", "gzip")
		if rec.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding %q", rec.Header().Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, big) {
			t.Fatalf("gunzipped body differs from the answer (%d vs %d bytes, %v)", len(got), len(big), err)
		}
		if rec.Body.Len() >= len(big)/3 {
			t.Errorf("compressed %d of %d bytes", rec.Body.Len(), len(big))
		}
		if !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
			t.Errorf("Vary %q", rec.Header().Get("Vary"))
		}
		if rec.Header().Get("ETag") != `"7"` {
			t.Errorf("ETag changed to %q; If-Match depends on it", rec.Header().Get("ETag"))
		}
		if rec.Header().Get("Content-Type") != "application/geo+json" {
			t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
		}
	})
	t.Run("zstd preferred on a tie", func(t *testing.T) {
		rec := get(h, "/big", "gzip, zstd")
		if rec.Header().Get("Content-Encoding") != "zstd" {
			t.Fatalf("Content-Encoding %q", rec.Header().Get("Content-Encoding"))
		}
		zr, err := zstd.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, big) {
			t.Fatalf("decoded body differs (%d vs %d bytes, %v)", len(got), len(big), err)
		}
	})
	t.Run("identity", func(t *testing.T) {
		for _, accept := range []string{"", "identity", "br"} {
			rec := get(h, "/big", accept)
			if rec.Header().Get("Content-Encoding") != "" || !bytes.Equal(rec.Body.Bytes(), big) {
				t.Errorf("Accept-Encoding %q: encoded as %q", accept, rec.Header().Get("Content-Encoding"))
			}
		}
	})
	t.Run("small answers and other types stay as they are", func(t *testing.T) {
		if rec := get(h, "/small", "gzip"); rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != `{"ok":true}` {
			t.Errorf("small: %q %q", rec.Header().Get("Content-Encoding"), rec.Body.String())
		}
		if rec := get(h, "/png", "gzip"); rec.Header().Get("Content-Encoding") != "" || !bytes.Equal(rec.Body.Bytes(), big) {
			t.Errorf("png: encoded as %q", rec.Header().Get("Content-Encoding"))
		}
	})
	t.Run("a pre-gzipped tile is not compressed twice", func(t *testing.T) {
		rec := get(h, "/tile", "gzip, zstd")
		if rec.Header().Get("Content-Encoding") != "gzip" || !bytes.Equal(rec.Body.Bytes(), pre) {
			t.Errorf("tile: %q, %d bytes (stored %d)", rec.Header().Get("Content-Encoding"), rec.Body.Len(), len(pre))
		}
	})
	t.Run("problems are compressed too", func(t *testing.T) {
		rec := get(h, "/"+strings.Repeat("x", 3000), "gzip")
		if rec.Code != http.StatusNotFound || rec.Header().Get("Content-Encoding") != "gzip" {
			t.Errorf("404 of a long path: %d %q", rec.Code, rec.Header().Get("Content-Encoding"))
		}
	})
}
