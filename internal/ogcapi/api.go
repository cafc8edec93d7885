package ogcapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/cql2"
	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/problem"
)

// Prefix is where the service is mounted.
const Prefix = "/ogc"

// API serves OGC API – Features under /ogc. It is an httpapi.Mounter.
type API struct {
	Catalog *Catalog
	// CRS is the list offered for crs, bbox-crs and filter-crs; CRS[0] is the default.
	CRS   CRSList
	Title string
	// Tokens and AnonymousRead control access as in featureapi: a request with a token
	// must carry a live one; without, it reads only when AnonymousRead is set.
	Tokens        auth.Looker
	AnonymousRead bool
	Log           *slog.Logger
}

// Mount registers the routes.
func (a *API) Mount(r *gin.Engine) {
	g := r.Group(Prefix, auth.Authenticate(a.Tokens, a.Log), auth.Require(auth.Viewer, a.AnonymousRead))
	g.GET("", a.landing)
	g.GET("/conformance", a.conformance)
	g.GET("/api", a.openAPI)
	g.GET("/collections", a.collections)
	cg := g.Group("/collections/:collectionId", a.collection)
	cg.GET("", a.describe)
	cg.GET("/queryables", a.queryables)
	cg.GET("/items", a.items)
	cg.GET("/items/:featureId", a.item)
}

// DefaultCRS returns the service's CRS list: OGC:CRS84 (the default), EPSG:4326,
// EPSG:4490, the given Gauss–Krüger zones of the cities served, and EPSG:3857.
func DefaultCRS(zones ...int) CRSList {
	l := CRSList{}
	for _, s := range []string{"OGC:CRS84", "EPSG:4326", "EPSG:4490"} {
		c, _ := crs.ParseCRS(s)
		l = append(l, c)
	}
	for _, z := range zones {
		if c, err := crs.FromSRID(z); err == nil && !c.IsGeographic() && z != 3857 {
			l = append(l, c)
		}
	}
	wm, _ := crs.ParseCRS("EPSG:3857")
	return append(l, wm)
}

// New builds the service over the registry layers, read through store. The CRS list
// holds the metric zones of the cities in the database (cities.metric_srid). Further
// collections are added with a.Catalog.Register before the server starts.
func New(ctx context.Context, pool *pgxpool.Pool, store *featureapi.Store, reg *layers.Registry, anonymousRead bool, log *slog.Logger) (*API, error) {
	var zones []int
	rows, err := pool.Query(ctx, `SELECT DISTINCT metric_srid FROM cities ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("ogcapi: reading the cities' metric CRSs: %w", err)
	}
	for rows.Next() {
		var z int
		if err := rows.Scan(&z); err != nil {
			return nil, err
		}
		zones = append(zones, z)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cat := NewCatalog()
	for _, l := range reg.All() {
		if err := cat.Register(LayerCollection{Store: store, Layer: l}); err != nil {
			return nil, err
		}
	}
	return &API{Catalog: cat, CRS: DefaultCRS(zones...), Title: "cityreach planning layers",
		Tokens: &auth.Store{Pool: pool}, AnonymousRead: anonymousRead, Log: log}, nil
}

const collectionKey = "cityreach.ogc.collection"

// collection resolves :collectionId; unknown ids are 404 before any handler runs.
func (a *API) collection(c *gin.Context) {
	col := a.Catalog.Lookup(c.Param("collectionId"))
	if col == nil {
		problem.Write(c, http.StatusNotFound, "no collection called \""+clip(c.Param("collectionId"))+"\"; GET "+Prefix+"/collections lists them", nil)
		return
	}
	c.Set(collectionKey, col)
	c.Next()
}

func collectionOf(c *gin.Context) Collection { return c.MustGet(collectionKey).(Collection) }

// fail maps err to a problem document: parameter errors are 400 naming the parameter,
// unknown features 404, anything else is logged and 500.
func (a *API) fail(c *gin.Context, err error) {
	var ie *InvalidError
	var se *cql2.SyntaxError
	var ce *cql2.Error
	switch {
	case errors.As(err, &ie):
		err = problem.BadRequest(ie.Msg).With("parameter", ie.Param)
	case errors.As(err, &se), errors.As(err, &ce):
		err = problem.BadRequest(err.Error()).With("parameter", "filter")
	case errors.Is(err, ErrNotFound):
		err = problem.NotFound("no such feature")
	}
	problem.Respond(c, a.Log, err)
}
