package featureapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/problem"
)

// GeoJSONType is the media type of GeoJSON responses (RFC 7946).
const GeoJSONType = "application/geo+json"

// API serves /api/v1 and the OpenAPI document. It is an httpapi.Mounter.
type API struct {
	Store  *Store
	Layers *layers.Registry
	Tokens auth.Looker
	// AnonymousRead lets requests without a token read.
	AnonymousRead bool
	// MaxBodyBytes bounds request bodies; larger bodies get 413.
	MaxBodyBytes int64
	Log          *slog.Logger
	// Imports runs POST /layers/{layer}/import and its background jobs (import.go).
	Imports *Imports
}

// Mount registers the routes.
func (a *API) Mount(r *gin.Engine) {
	none := problem.Params() // the routes that read no query parameter
	r.GET("/api/openapi.json", none, a.openAPI)
	r.GET("/api/docs", none, a.docs)
	v1 := r.Group("/api/v1", auth.Authenticate(a.Tokens, a.Log))
	read := auth.Require(auth.Viewer, a.AnonymousRead)
	write := auth.Require(auth.Editor, false)
	v1.GET("/layers", read, none, a.listLayers)
	lg := v1.Group("/layers/:layer", a.layer)
	lg.GET("", read, none, a.getLayer)
	lg.GET("/features", read, a.list)
	lg.POST("/features", write, a.bodyLimit, a.create)
	lg.GET("/features/:id", read, a.get)
	lg.PUT("/features/:id", write, a.bodyLimit, a.replace)
	lg.PATCH("/features/:id", write, a.bodyLimit, a.patch)
	lg.DELETE("/features/:id", write, a.remove)
	lg.GET("/features/:id/history", read, a.history)
	lg.GET("/features/:id/history/:version", read, a.version)
	lg.POST("/import", write, a.importFile)
	v1.GET("/imports/:id", write, none, a.importStatus)
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
// schema), the token store and the import runner (Close stops its jobs).
func New(ctx context.Context, pool *pgxpool.Pool, reg *layers.Registry, anonymousRead bool, maxBody int64, log *slog.Logger) (*API, error) {
	st, err := NewStore(ctx, pool, reg)
	if err != nil {
		return nil, err
	}
	return &API{Store: st, Layers: reg, Tokens: &auth.Store{Pool: pool}, AnonymousRead: anonymousRead, MaxBodyBytes: maxBody, Log: log, Imports: NewImports(pool)}, nil
}
