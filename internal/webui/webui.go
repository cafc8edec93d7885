// Package webui serves the embedded web map: index.html at / (never cached, so a new
// build is picked up at once), the content-hashed bundles under /assets/ (cached for a
// year, immutable, gzipped by the build for clients that accept it), and the glyph PBFs
// for the map's Chinese labels under /glyphs/.
//
// Only those paths are claimed: anything else, /api and /tiles included, falls through to
// the engine's 404 problem, so a missing endpoint never answers with the page.
package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

// contentSecurityPolicy keeps the page on its own origin: every script, style, image,
// worker and fetch comes from the service itself (blob: for MapLibre's workers, data: for
// its control icons). It backs the rule that the map makes no external request.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; worker-src 'self' blob:; child-src 'self' blob:; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"

const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheGlyphs    = "public, max-age=604800"
	cacheNone      = "no-cache"
)

// types are the content types the build produces, so they never depend on the host's
// mime tables.
var types = map[string]string{
	".html":  "text/html; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".json":  "application/json",
	".map":   "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".wasm":  "application/wasm",
	".pbf":   "application/x-protobuf",
	".txt":   "text/plain; charset=utf-8",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := types[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

var (
	glyphRange = regexp.MustCompile(`^[0-9]{1,5}-[0-9]{1,5}\.pbf$`)
	fontName   = regexp.MustCompile(`^[A-Za-z0-9 _-]{1,100}$`)
)

// Mounter serves the SPA from FS (the dist folder of the frontend build).
type Mounter struct {
	FS fs.FS
}

// BuildFileSummary describes the routes of the build's top-level files, which depend on
// the build (docs/security.md lists them as one family).
const BuildFileSummary = "A top-level file of the web map's build (a favicon, say)."

// opName turns a file name into an operationId suffix: favicon.svg → FaviconSvg.
func opName(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if up && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

// Routes are /, /index.html, /assets/*, /glyphs/:fontstack/:range and each other
// top-level file of the build, all public (the page asks for a token itself when the
// server's anonymous reads are off); the engine answers HEAD on each.
func (m Mounter) Routes() []httpapi.Route {
	page := func(path, op, summary, typ string, h gin.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: http.MethodGet, Path: path, Access: httpapi.Public, AnyQuery: true, Summary: summary, OperationID: op,
			Responses: []httpapi.Response{{Status: http.StatusOK, Description: summary, Type: typ}}, Handlers: []gin.HandlerFunc{h}}
	}
	// A binary built without the frontend answers the page with 503 and a note.
	unbuilt := func(rt httpapi.Route) httpapi.Route {
		rt.Responses = append(rt.Responses, httpapi.Response{Status: http.StatusServiceUnavailable, Description: "The web map is not built into this binary", Type: "text/html"})
		return rt
	}
	idx := m.index()
	rs := []httpapi.Route{
		unbuilt(page("/", "getWebMap", "The web map.", "text/html", idx)),
		unbuilt(page("/index.html", "getWebMapIndex", "The web map.", "text/html", idx)),
		page("/assets/*file", "getWebAsset", "The web map's scripts, styles and images.", "application/octet-stream", m.assets()),
		page("/glyphs/:fontstack/:range", "getGlyphs", "The map's font glyphs.", "application/x-protobuf", m.glyphs()),
	}
	// Files Vite copies from public/ into the root of dist (a favicon, say).
	entries, _ := fs.ReadDir(m.FS, ".")
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || name == "index.html" || strings.HasPrefix(name, ".") {
			continue
		}
		rs = append(rs, page("/"+name, "getWebFile"+opName(name), BuildFileSummary, "application/octet-stream", m.file(name, cacheNone)))
	}
	return rs
}

func (m Mounter) index() gin.HandlerFunc {
	body, err := fs.ReadFile(m.FS, "index.html")
	if err != nil {
		return func(c *gin.Context) {
			c.Header("Cache-Control", cacheNone)
			c.Data(http.StatusServiceUnavailable, "text/html; charset=utf-8",
				[]byte("<!doctype html><meta charset=utf-8><title>cityreach</title><p>The web map is not built into this binary. Run <code>make build</code> (it runs scripts/build-frontend.sh) and start the server again. The API is served as usual.</p>"))
		}
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	return func(c *gin.Context) {
		c.Header("Cache-Control", cacheNone)
		c.Header("ETag", etag)
		c.Header("Content-Security-Policy", contentSecurityPolicy)
		c.Header("X-Content-Type-Options", "nosniff")
		c.Header("Referrer-Policy", "same-origin")
		if match := c.GetHeader("If-None-Match"); match != "" && match == etag {
			c.Status(http.StatusNotModified)
			return
		}
		c.Data(http.StatusOK, "text/html; charset=utf-8", body)
	}
}

// clean turns a request path below a prefix into an fs.FS name, or "" when it is not one.
func clean(prefix, p string) string {
	name := prefix + strings.TrimPrefix(p, "/")
	if !fs.ValidPath(name) || strings.Contains(name, "\\") {
		return ""
	}
	return name
}

func (m Mounter) assets() gin.HandlerFunc {
	return func(c *gin.Context) {
		name := clean("assets/", c.Param("file"))
		if name == "" {
			problem.Write(c, http.StatusNotFound, "no such asset", nil)
			return
		}
		m.serve(c, name, cacheImmutable)
	}
}

func (m Mounter) file(name, cache string) gin.HandlerFunc {
	return func(c *gin.Context) { m.serve(c, name, cache) }
}

// serve answers with the file name, or with its gzipped twin name.gz (written by the build
// for the bundles) when the client accepts gzip.
func (m Mounter) serve(c *gin.Context, name, cache string) {
	if strings.HasSuffix(name, ".gz") { // the twins are not files of their own
		problem.Write(c, http.StatusNotFound, "no such file: "+c.Request.URL.Path, nil)
		return
	}
	body, err := fs.ReadFile(m.FS, name)
	if err != nil {
		problem.Write(c, http.StatusNotFound, "no such file: "+c.Request.URL.Path, nil)
		return
	}
	c.Header("Cache-Control", cache)
	c.Header("X-Content-Type-Options", "nosniff")
	if zipped, err := fs.ReadFile(m.FS, name+".gz"); err == nil {
		c.Header("Vary", "Accept-Encoding")
		if acceptsGzip(c.GetHeader("Accept-Encoding")) {
			c.Header("Content-Encoding", "gzip")
			c.Data(http.StatusOK, contentType(name), zipped)
			return
		}
	}
	c.Data(http.StatusOK, contentType(name), body)
}

// glyphs serves {fontstack}/{start}-{end}.pbf from the gzipped files the build writes.
// MapLibre asks for a comma-separated stack; the first font of it that the build has wins.
func (m Mounter) glyphs() gin.HandlerFunc {
	return func(c *gin.Context) {
		rng := c.Param("range")
		if !glyphRange.MatchString(rng) {
			problem.Write(c, http.StatusBadRequest, "a glyph range is {start}-{end}.pbf", nil)
			return
		}
		var body []byte
		for _, font := range strings.Split(c.Param("fontstack"), ",") {
			font = strings.TrimSpace(font)
			if !fontName.MatchString(font) {
				continue
			}
			if b, err := fs.ReadFile(m.FS, "glyphs/"+font+"/"+rng+".gz"); err == nil {
				body = b
				break
			}
		}
		if body == nil {
			// MapLibre then draws these glyphs with the browser's own fonts.
			problem.Write(c, http.StatusNotFound, "no glyphs for this font stack and range", nil)
			return
		}
		c.Header("Cache-Control", cacheGlyphs)
		c.Header("Vary", "Accept-Encoding")
		c.Header("X-Content-Type-Options", "nosniff")
		if acceptsGzip(c.GetHeader("Accept-Encoding")) {
			c.Header("Content-Encoding", "gzip")
			c.Data(http.StatusOK, "application/x-protobuf", body)
			return
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err == nil {
			body, err = io.ReadAll(zr)
		}
		if err != nil {
			problem.Write(c, http.StatusInternalServerError, "a glyph file of the build is damaged", nil)
			return
		}
		c.Data(http.StatusOK, "application/x-protobuf", body)
	}
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip (q=0 refuses it).
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		fields := strings.Split(strings.TrimSpace(part), ";")
		enc := strings.ToLower(strings.TrimSpace(fields[0]))
		if enc != "gzip" && enc != "*" {
			continue
		}
		refused := false
		for _, p := range fields[1:] {
			p = strings.ReplaceAll(strings.TrimSpace(p), " ", "")
			if p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000" {
				refused = true
			}
		}
		if !refused {
			return true
		}
	}
	return false
}
