package tiles

import (
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

// MediaType is the media type of Mapbox Vector Tiles.
const MediaType = "application/vnd.mapbox-vector-tile"

// cacheControl lets browsers and proxies keep a tile but makes them revalidate it (a 304
// costs a few bytes) every time, so no client holds a tile an edit has changed.
const cacheControl = "public, max-age=0, must-revalidate"

// Handler serves the tile routes.
type Handler struct {
	Tiles *Service
	Log   *slog.Logger
}

// Routes are:
//
//	GET /tiles/index.json                 the layers, with their TileJSON URLs
//	GET /tiles/{layer}.json               TileJSON 3.0.0 ({a},{b}.json for a composite)
//	GET /tiles/{layer}/{z}/{x}/{y}.mvt    a tile ({a},{b},{c}/… for a composite)
func (h Handler) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: http.MethodGet, Path: "/tiles/:layers", Access: httpapi.AnonymousRead, AnyQuery: true,
			Summary: "The tile layer index (index.json) or a layer's TileJSON ({layer}.json).", Handlers: []gin.HandlerFunc{h.document}},
		{Method: http.MethodGet, Path: "/tiles/:layers/:z/:x/:y", Access: httpapi.AnonymousRead, AnyQuery: true,
			Summary: "One Mapbox Vector Tile of one or more layers.", Handlers: []gin.HandlerFunc{h.tile}},
	}
}

func (h Handler) tile(c *gin.Context) {
	names, err := h.Tiles.parseSources(c.Param("layers"))
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	t, err := ParseTile(c.Param("z"), c.Param("x"), c.Param("y"))
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	o, err := h.Tiles.parseOptions(c.Request.URL.Query(), names)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	res, err := h.Tiles.Tile(c.Request.Context(), TileRequest{Sources: names, Tile: t, Properties: o.Properties, Limit: o.Limit, City: o.City, Params: o.Params})
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	hd := c.Writer.Header()
	hd.Set("Cache-Control", cacheControl)
	hd.Set("Vary", "Accept-Encoding")
	hd.Set("ETag", res.ETag)
	hd.Set("X-Cache", string(res.Status))
	if etagMatches(c.GetHeader("If-None-Match"), res.ETag) {
		c.Status(http.StatusNotModified)
		return
	}
	if res.Empty {
		// No feature in this tile: 204, documented in docs/tiles.md. MapLibre and
		// OpenLayers treat it as an empty tile.
		c.Status(http.StatusNoContent)
		return
	}
	gz := acceptsGzip(c.GetHeader("Accept-Encoding"))
	body, err := res.Body(gz)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	if gz {
		hd.Set("Content-Encoding", "gzip")
	}
	c.Data(http.StatusOK, MediaType, body)
}

// etagMatches implements If-None-Match's weak comparison: "*" or any listed tag equal to
// ours once W/ is ignored.
func etagMatches(header, tag string) bool {
	if header == "" {
		return false
	}
	if strings.TrimSpace(header) == "*" {
		return true
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == tag {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether Accept-Encoding lists gzip (or *) without q=0.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "x-gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			return false
		}
		return true
	}
	return false
}

var hostRE = regexp.MustCompile(`^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)

// baseURL is the scheme and host the client used, so TileJSON tile URLs work behind the
// same name; an implausible Host gives relative URLs instead.
func baseURL(r *http.Request) string {
	if !hostRE.MatchString(r.Host) {
		return ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host
}
