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
//	GET /tiles/{layer}/metadata.json      metadata.json of the tile directory (GDAL's MVT driver)
//	GET /tiles/{layer}/style.json         a MapLibre style of the layers
//	GET /tiles/{layer}/{z}/{x}/{y}.mvt    a tile ({a},{b},{c}/… for a composite)
func (h Handler) Routes() []httpapi.Route {
	layers := httpapi.Param{Name: "layers", In: "path", Description: "a layer, or comma-separated layers, as /tiles/index.json lists them"}
	opts := []httpapi.Param{layers,
		{Name: "properties", Description: "comma-separated fields to carry (default: the layer's own)"},
		{Name: "limit", Description: "most features per layer and tile", Schema: httpapi.Schema{"type": "integer", "minimum": 1, "default": DefaultLimit}},
		{Name: "city", Description: "only this city's features (and its bounds)"},
		{Name: AsOfParam, Description: asOfParam.Description}}
	s, n := httpapi.Str, httpapi.Num
	vl := httpapi.Obj(httpapi.Schema{"id": s, "description": s, "minzoom": httpapi.Int, "maxzoom": httpapi.Int, "fields": httpapi.Obj(nil), "geometry_type": s}, "id", "fields")
	tileJSON := httpapi.Obj(httpapi.Schema{"tilejson": httpapi.Enum("3.0.0"), "name": s, "description": s, "scheme": s, "tiles": httpapi.Arr(s),
		"minzoom": httpapi.Schema{"type": "integer", "minimum": 0, "maximum": MaxZoom}, "maxzoom": httpapi.Schema{"type": "integer", "minimum": 0, "maximum": MaxZoom},
		"bounds": httpapi.Arr(n), "center": httpapi.Arr(n), "vector_layers": httpapi.Arr(vl)}, "tilejson", "tiles", "minzoom", "maxzoom", "vector_layers")
	index := httpapi.Obj(httpapi.Schema{"layers": httpapi.Arr(httpapi.Obj(httpapi.Schema{"name": s, "title": s, "geometry_type": s, "tilejson": s, "tiles": s}, "name", "tilejson", "tiles"))}, "layers")
	str := func(ks ...string) httpapi.Schema {
		p := httpapi.Schema{}
		for _, k := range ks {
			p[k] = s
		}
		return httpapi.Obj(p, ks...)
	}
	return []httpapi.Route{
		{Method: http.MethodGet, Path: "/tiles/:layers", Access: httpapi.AnonymousRead, AnyQuery: true, OperationID: "getTileJSON",
			Summary:   "The tile layer index (index.json) or a layer's TileJSON ({layer}.json).",
			Params:    append([]httpapi.Param{{Name: "layers", In: "path", Description: "index.json, or {layers}.json"}}, opts[1:]...),
			Responses: httpapi.JSON("TileJSON 3.0.0 of the layers, or the index", httpapi.Schema{"anyOf": []any{tileJSON, index}}),
			Problems:  []int{400}, Handlers: []gin.HandlerFunc{h.document}},
		{Method: http.MethodGet, Path: "/tiles/:layers/metadata.json", Access: httpapi.AnonymousRead, AnyQuery: true, OperationID: "getTileMetadata",
			Summary: "The metadata.json of the layers' tile directory, for GDAL's MVT driver.", Params: opts,
			Responses: httpapi.JSON("name, description, format, bounds, center, minzoom, maxzoom as text; json holds vector_layers",
				str("name", "description", "format", "bounds", "center", "minzoom", "maxzoom", "json")),
			Problems: []int{400}, Handlers: []gin.HandlerFunc{h.metadata}},
		{Method: http.MethodGet, Path: "/tiles/:layers/style.json", Access: httpapi.AnonymousRead, AnyQuery: true, OperationID: "getTileStyle",
			Summary: "A MapLibre style drawing the layers from this server's tiles (QGIS styleUrl=).", Params: opts,
			Responses: httpapi.JSON("A MapLibre GL style, version 8", httpapi.Obj(httpapi.Schema{"version": httpapi.Schema{"const": 8}, "name": s,
				"sources": httpapi.Obj(nil), "layers": httpapi.Arr(httpapi.Obj(httpapi.Schema{"id": s, "type": s, "source": s, "source-layer": s}, "id", "type", "source", "source-layer"))}, "version", "sources", "layers")),
			Problems: []int{400}, Handlers: []gin.HandlerFunc{h.style}},
		{Method: http.MethodGet, Path: "/tiles/:layers/:z/:x/:y", Access: httpapi.AnonymousRead, AnyQuery: true, OperationID: "getTile",
			Summary: "One Mapbox Vector Tile of one or more layers.",
			Params: append(opts, httpapi.Param{Name: "z", In: "path", Schema: httpapi.Schema{"type": "integer", "minimum": 0, "maximum": MaxZoom}},
				httpapi.Param{Name: "x", In: "path", Schema: httpapi.Schema{"type": "integer", "minimum": 0}},
				httpapi.Param{Name: "y", In: "path", Description: "the row, with the suffix .mvt", Schema: httpapi.Schema{"type": "string", "pattern": "^[0-9]+\\.mvt$"}}),
			Responses: []httpapi.Response{{Status: http.StatusOK, Description: "The tile (gzip when accepted)", Type: MediaType, Headers: map[string]string{"ETag": "the tile's content hash"}},
				{Status: http.StatusNoContent, Description: "No feature in this tile"}, {Status: http.StatusNotModified, Description: "If-None-Match matched"}},
			Problems: []int{400}, Handlers: []gin.HandlerFunc{h.tile}},
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
