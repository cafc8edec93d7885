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

// Routes are the API's routes: its description for everyone, reads for anyone allowed to
// read, writes and imports for editors, an import's status for the editor that started it
// or an admin (others get the 404 of an unknown import).
func (a *API) Routes() []httpapi.Route {
	// route's handlers check their own parameters (filters named after attributes, crs,
	// bbox, import options); plain takes none.
	route := func(method, path string, access httpapi.Access, summary string, hs ...gin.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: method, Path: path, Access: access, AnyQuery: true, Summary: summary, Handlers: hs}
	}
	plain := func(method, path string, access httpapi.Access, summary string, hs ...gin.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: method, Path: path, Access: access, Summary: summary, Handlers: hs}
	}
	const (
		read  = httpapi.AnonymousRead
		write = httpapi.Editor
		lp    = "/api/v1/layers/:layer"
	)
	return []httpapi.Route{
		// The API's description is public like the web page: it holds no data, and a client
		// reads there how to authenticate.
		plain(http.MethodGet, "/api/openapi.json", httpapi.Public, "The OpenAPI document of the layers API.", a.openAPI),
		plain(http.MethodGet, "/api/docs", httpapi.Public, "The layers API's documentation page.", a.docs),
		plain(http.MethodGet, "/api/v1/layers", read, "The planning layers and their attributes.", a.listLayers),
		plain(http.MethodGet, lp, read, "One layer's description.", a.layer, a.getLayer),
		route(http.MethodGet, lp+"/features", read, "A layer's features as GeoJSON, filtered and paged.", a.layer, a.list),
		route(http.MethodPost, lp+"/features", write, "Create a feature.", a.layer, a.bodyLimit, a.create),
		route(http.MethodGet, lp+"/features/:id", read, "One feature as GeoJSON.", a.layer, a.get),
		route(http.MethodPut, lp+"/features/:id", write, "Replace a feature (If-Match).", a.layer, a.bodyLimit, a.replace),
		route(http.MethodPatch, lp+"/features/:id", write, "Change some of a feature's attributes or its geometry (If-Match).", a.layer, a.bodyLimit, a.patch),
		route(http.MethodDelete, lp+"/features/:id", write, "Delete a feature (If-Match).", a.layer, a.remove),
		route(http.MethodGet, lp+"/features/:id/history", read, "A feature's versions.", a.layer, a.history),
		route(http.MethodGet, lp+"/features/:id/history/:version", read, "One version of a feature.", a.layer, a.version),
		route(http.MethodPost, lp+"/import", write, "Import GeoJSON, a zipped Shapefile or a GeoPackage into a layer (429 beyond the background-import quotas).", a.layer, a.importFile),
		{Method: http.MethodGet, Path: "/api/v1/imports/:id", Access: httpapi.Editor, Owner: httpapi.OwnerOrAdminHidden,
			OwnerOf: a.importOwner, Missing: noSuchImport, Summary: "A background import's state and report.", Handlers: []gin.HandlerFunc{a.importStatus}},
		{Method: http.MethodDelete, Path: "/api/v1/imports/:id", Access: httpapi.Editor, Owner: httpapi.OwnerOrAdminHidden,
			OwnerOf: a.importOwner, Missing: noSuchImport, Summary: "Cancel a running background import (rolled back) or forget a finished one.", Handlers: []gin.HandlerFunc{a.cancelImport}},
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
	return &API{Store: st, Layers: reg, MaxBodyBytes: maxBody, Log: log, Imports: im}, nil
}
