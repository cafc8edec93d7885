package ogcapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/cql2"
	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/httpapi"
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
	Log   *slog.Logger
}

// Routes are the service's routes, all reads (anonymous when the server allows it).
func (a *API) Routes() []httpapi.Route {
	read := func(path, summary string, hs ...gin.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: http.MethodGet, Path: Prefix + path, Access: httpapi.AnonymousRead, AnyQuery: true, Summary: summary, Handlers: hs}
	}
	const cp = "/collections/:collectionId"
	return []httpapi.Route{
		read("", "The OGC API – Features landing page.", a.landing),
		read("/conformance", "The conformance classes the service implements.", a.conformance),
		read("/api", "The OpenAPI document of the OGC service.", a.openAPI),
		read("/collections", "The feature collections.", a.collections),
		read(cp, "One collection's description.", a.collection, a.describe),
		read(cp+"/queryables", "The properties a CQL2 filter may use on a collection.", a.collection, a.queryables),
		read(cp+"/items", "A collection's features, filtered (bbox, datetime, CQL2) and paged.", a.collection, a.items),
		read(cp+"/items/:featureId", "One feature of a collection.", a.collection, a.item),
	}
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
func New(ctx context.Context, pool *pgxpool.Pool, store *featureapi.Store, reg *layers.Registry, log *slog.Logger) (*API, error) {
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
	return &API{Catalog: cat, CRS: DefaultCRS(zones...), Title: "cityreach planning layers", Log: log}, nil
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
