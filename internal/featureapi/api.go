package featureapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/problem"
)

// GeoJSONType is the media type of GeoJSON responses (RFC 7946).
const GeoJSONType = "application/geo+json"

// API serves /api/v1 and the OpenAPI document. It is an httpapi.Mounter; who may call
// which route is declared in Routes and enforced by the engine.
type API struct {
	Store  *Store
	Layers *layers.Registry
	// MaxBodyBytes bounds request bodies; larger bodies get 413.
	MaxBodyBytes int64
	Log          *slog.Logger
	// Imports runs POST /layers/{layer}/import and its background jobs (import.go).
	Imports *Imports
}

// Routes are the API's routes: its documentation page for everyone, reads for anyone allowed to
// read, writes and imports for editors, an import's status for the editor that started it
// or an admin (others get the 404 of an unknown import).
func (a *API) Routes() []httpapi.Route {
	// Feature routes check their own parameters (any attribute is a filter; map= repeats);
	// the documentation and layer descriptions take exactly what they declare (none).
	route := func(method, path string, access httpapi.Access, op, summary string, hs ...gin.HandlerFunc) httpapi.Route {
		strict := op == "getLayersAPIDocs" || op == "listLayers" || op == "getLayer"
		return httpapi.Route{Method: method, Path: path, Access: access, AnyQuery: !strict, OperationID: op, Summary: summary, Handlers: hs}
	}
	const (
		read  = httpapi.AnonymousRead
		write = httpapi.Editor
		lp    = "/api/v1/layers/:layer"
	)
	var ids []string
	for _, l := range a.Layers.All() {
		ids = append(ids, l.ID)
	}
	layer := httpapi.Param{Name: "layer", In: "path", Description: "the layer, as /api/v1/layers lists it", Schema: httpapi.Enum(ids...)}
	id := httpapi.Param{Name: "id", In: "path", Description: "the feature id", Schema: obj{"type": "integer", "minimum": 1}}
	crsP := httpapi.Param{Name: "crs", Description: "EPSG:4326 (default), EPSG:4490, EPSG:3857, CGCS2000 Gauss-Kruger EPSG:4491-4554; on writes also GCJ-02 (input only). Names the CRS of the body and of the response."}
	ifMatch := httpapi.Param{Name: "If-Match", In: "header", Required: true, Description: "the ETag of the version you read"}
	repair := httpapi.Param{Name: "repair", Description: "repair an invalid geometry with ST_MakeValid instead of refusing it", Schema: httpapi.Bool}
	list := []httpapi.Param{layer,
		{Name: "bbox", Description: "minLon,minLat,maxLon,maxLat in WGS 84"},
		{Name: "limit", Schema: obj{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}},
		{Name: "offset", Schema: obj{"type": "integer", "minimum": 0, "default": 0}},
		{Name: "sortby", Description: "comma-separated sortable attributes, '-' for descending"},
		crsP,
		{Name: "at", Description: "growth_boundaries: only the edition valid on this day", Schema: obj{"type": "string", "format": "date"}},
	}
	etag := map[string]string{"ETag": "the feature's version, for If-Match"}
	geo := func(status int, desc string, s httpapi.Schema, h map[string]string) []httpapi.Response {
		return []httpapi.Response{{Status: status, Description: desc, Type: GeoJSONType, Schema: s, Headers: h}}
	}
	feature, newFeature := a.anyLayer("Feature"), a.anyLayer("NewFeature")
	with := func(rt httpapi.Route, ps []httpapi.Param, body *httpapi.Body, rs []httpapi.Response, problems ...int) httpapi.Route {
		rt.Params, rt.Body, rt.Responses, rt.Problems = ps, body, rs, problems
		return rt
	}
	q := func(name, desc string) httpapi.Param { return httpapi.Param{Name: name, Description: desc} }
	importStatus := httpapi.JSON("The job", httpapi.Ref("ImportJob"))
	return []httpapi.Route{
		with(route(http.MethodGet, "/api/docs", httpapi.Public, "getLayersAPIDocs", "The layers API's documentation page.", a.docs), nil, nil,
			[]httpapi.Response{{Status: http.StatusOK, Description: "HTML", Type: "text/html"}}),
		with(route(http.MethodGet, "/api/v1/layers", read, "listLayers", "The planning layers and their attributes.", a.listLayers), nil, nil,
			httpapi.JSON("The layers", httpapi.Obj(obj{"layers": httpapi.Arr(httpapi.Ref("Layer")), "links": httpapi.Arr(httpapi.Ref("Link"))}, "layers"))),
		with(route(http.MethodGet, lp, read, "getLayer", "One layer's description.", a.layer, a.getLayer), []httpapi.Param{layer}, nil,
			httpapi.JSON("The layer's schema", httpapi.Ref("Layer"))),
		with(route(http.MethodGet, lp+"/features", read, "listFeatures", "A layer's features as GeoJSON, filtered and paged (any attribute is an equality filter: ?pocket=true).", a.layer, a.list),
			list, nil, geo(http.StatusOK, "A page of features", a.anyLayer("FeatureCollection"), nil), 400),
		with(route(http.MethodPost, lp+"/features", write, "createFeature", "Create a feature.", a.layer, a.bodyLimit, a.create),
			[]httpapi.Param{layer, crsP, repair}, &httpapi.Body{Description: "a GeoJSON Feature of the layer", Types: []string{GeoJSONType, "application/json"}, Schema: newFeature},
			geo(http.StatusCreated, "Created", feature, etag), 409, 415, 422),
		with(route(http.MethodGet, lp+"/features/:id", read, "getFeature", "One feature as GeoJSON.", a.layer, a.get),
			[]httpapi.Param{layer, id, crsP}, nil, append(geo(http.StatusOK, "The feature", feature, etag),
				httpapi.Response{Status: http.StatusNotModified, Description: "If-None-Match matched"}), 400),
		with(route(http.MethodPut, lp+"/features/:id", write, "replaceFeature", "Replace a feature (If-Match).", a.layer, a.bodyLimit, a.replace),
			[]httpapi.Param{layer, id, ifMatch, crsP, repair}, &httpapi.Body{Description: "the whole new feature", Types: []string{GeoJSONType, "application/json"}, Schema: newFeature},
			geo(http.StatusOK, "Replaced", feature, etag), 409, 412, 415, 422, 428),
		with(route(http.MethodPatch, lp+"/features/:id", write, "patchFeature", "Change some of a feature's attributes or its geometry (If-Match).", a.layer, a.bodyLimit, a.patch),
			[]httpapi.Param{layer, id, ifMatch, crsP, repair}, &httpapi.Body{Description: "merge patch: given properties change, null resets to the default; a geometry replaces the geometry",
				Types: []string{"application/merge-patch+json", GeoJSONType}, Schema: a.anyLayer("Patch")},
			geo(http.StatusOK, "Changed", feature, etag), 409, 412, 415, 422, 428),
		with(route(http.MethodDelete, lp+"/features/:id", write, "deleteFeature", "Delete a feature (If-Match).", a.layer, a.remove),
			[]httpapi.Param{layer, id, ifMatch}, nil, []httpapi.Response{{Status: http.StatusNoContent, Description: "Deleted (its history is kept)"}}, 412, 428),
		with(route(http.MethodGet, lp+"/features/:id/history", read, "getFeatureHistory", "A feature's versions.", a.layer, a.history),
			[]httpapi.Param{layer, id}, nil, httpapi.JSON("The versions, oldest first", httpapi.Obj(obj{"layer": str(), "id": httpapi.Int,
				"versions": httpapi.Arr(httpapi.Ref("HistoryEntry")), "links": httpapi.Arr(httpapi.Ref("Link"))}, "versions")), 400),
		with(route(http.MethodGet, lp+"/features/:id/history/:version", read, "getFeatureVersion", "One version of a feature.", a.layer, a.version),
			[]httpapi.Param{layer, id, {Name: "version", In: "path", Schema: obj{"type": "integer", "minimum": 1}}, crsP}, nil,
			geo(http.StatusOK, "The feature at that version", feature, nil), 400, 410),
		with(route(http.MethodPost, lp+"/import", write, "importFeatures", "Import GeoJSON, a zipped Shapefile or a GeoPackage into a layer (429 beyond the background-import quotas).", a.layer, a.importFile),
			[]httpapi.Param{layer, {Name: "city", Required: true, Description: "city slug"}, q("map", "attribute=FIELD, repeatable"), q("crs", "input CRS, e.g. EPSG:4546 or GCJ-02"),
				q("dry_run", "true: report only, write nothing"), q("skip_invalid", "true: set invalid features aside"),
				q("upsert", "key attribute: update matching rows"), q("async", "true: run as a background job")},
			&httpapi.Body{Description: "the file", Types: []string{GeoJSONType, "application/zip", "application/geopackage+sqlite3"}, Schema: obj{"type": "object"}},
			[]httpapi.Response{{Status: http.StatusOK, Description: "Dry-run report", Type: httpapi.JSONType, Schema: httpapi.Obj(nil)},
				{Status: http.StatusCreated, Description: "Import report", Type: httpapi.JSONType, Schema: httpapi.Obj(nil)},
				{Status: http.StatusAccepted, Description: "Started as a job; poll the Location", Type: httpapi.JSONType, Schema: httpapi.Ref("ImportJob"), Headers: map[string]string{"Location": "the job's URL"}}},
			409, 415, 422, 429),
		{Method: http.MethodGet, Path: "/api/v1/imports/:id", Access: httpapi.Editor, Owner: httpapi.OwnerOrAdminHidden, OperationID: "getImport",
			OwnerOf: a.importOwner, Missing: noSuchImport, Summary: "A background import's state and report.", Responses: importStatus, Handlers: []gin.HandlerFunc{a.importStatus}},
		{Method: http.MethodDelete, Path: "/api/v1/imports/:id", Access: httpapi.Editor, Owner: httpapi.OwnerOrAdminHidden, OperationID: "cancelImport",
			OwnerOf: a.importOwner, Missing: noSuchImport, Summary: "Cancel a running background import (rolled back) or forget a finished one.",
			Responses: append(httpapi.JSON("The cancelled job's final status", httpapi.Ref("ImportJob")), httpapi.Response{Status: http.StatusNoContent, Description: "The finished job was forgotten"}),
			Handlers:  []gin.HandlerFunc{a.cancelImport}},
	}
}

const layerKey = "cityreach.layer"

// layer resolves :layer against the registry; unknown names are 404 before any handler runs.
func (a *API) layer(c *gin.Context) {
	l := a.Layers.Lookup(c.Param("layer"))
	if l == nil {
		problem.Write(c, http.StatusNotFound, "no layer called "+clipQuote(c.Param("layer"))+"; GET /api/v1/layers lists them", nil)
		return
	}
	c.Set(layerKey, l)
	c.Next()
}

func clipQuote(s string) string { return `"` + clip(s) + `"` }

func layerOf(c *gin.Context) *layers.Layer { return c.MustGet(layerKey).(*layers.Layer) }

// bodyLimit bounds the body of writes (the engine bounds it too; this one is the API's own
// limit, reported as 413 by the decoder) and checks the media type.
func (a *API) bodyLimit(c *gin.Context) {
	ct := c.ContentType()
	switch ct {
	case GeoJSONType, "application/json", "application/merge-patch+json", "":
	default:
		problem.Write(c, http.StatusUnsupportedMediaType, "send GeoJSON as application/geo+json", nil)
		return
	}
	if a.limitBody(c) {
		c.Next()
	}
}

// limitBody answers 413 when the declared length exceeds the API's limit and otherwise
// bounds what can be read; it reports whether the request may go on.
func (a *API) limitBody(c *gin.Context) bool {
	if a.MaxBodyBytes > 0 {
		if c.Request.ContentLength > a.MaxBodyBytes {
			problem.Write(c, http.StatusRequestEntityTooLarge, "the body exceeds the limit", map[string]any{"limit": a.MaxBodyBytes})
			return false
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, a.MaxBodyBytes)
	}
	return true
}

// fail sends err as a problem document.
func (a *API) fail(c *gin.Context, err error) { problem.Respond(c, a.Log, toProblem(err)) }

// linkTo returns the absolute path of p with query q.
func linkTo(p string, q url.Values) string {
	if len(q) == 0 {
		return p
	}
	return p + "?" + q.Encode()
}

// New builds the API over pool: the feature store (which checks the registry against the
// schema) and the import runner (Close stops its jobs), whose uploads are spooled in
// importer.DefaultSpoolDir() and bounded by importer.DefaultLimits(maxBody).
func New(ctx context.Context, pool *pgxpool.Pool, reg *layers.Registry, maxBody int64, log *slog.Logger) (*API, error) {
	st, err := NewStore(ctx, pool, reg)
	if err != nil {
		return nil, err
	}
	im, err := NewImports(pool, "", maxBody, log)
	if err != nil {
		return nil, err
	}
	// This process's worker of the background imports (any process's may run any import).
	im.Jobs.Registry, im.Jobs.Dir = reg, im.Spool.Dir
	im.Jobs.Run(ctx, 0)
	return &API{Store: st, Layers: reg, MaxBodyBytes: maxBody, Log: log, Imports: im}, nil
}
