package ogcapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/citydata"
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
	// Changes, when set, lets computed collection extents be cached until an edit.
	Changes Changes
	extents *extents
}

// Routes are the service's routes: the reads (anonymous when the server allows it) and
// the Part 4 writes, for editors.
func (a *API) Routes() []httpapi.Route {
	read := func(path, op, summary string, ps []httpapi.Param, rs []httpapi.Response, hs ...gin.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: http.MethodGet, Path: Prefix + path, Access: httpapi.AnonymousRead, AnyQuery: true, OperationID: op, Summary: summary,
			Params:    append([]httpapi.Param{{Name: "f", Description: "json or html (default: by Accept)", Schema: httpapi.Enum("json", "html")}}, ps...),
			Responses: rs, Problems: []int{400}, Handlers: hs}
	}
	var ids []string
	for _, col := range a.Catalog.All() {
		ids = append(ids, col.Description().ID)
	}
	s, links := httpapi.Str, httpapi.Arr(httpapi.Ref("Link"))
	colID := httpapi.Param{Name: "collectionId", In: "path", Schema: httpapi.Enum(ids...)}
	crsP := httpapi.Param{Name: "crs", Description: "CRS of the response coordinates (OGC:CRS84 by default)"}
	props := httpapi.Param{Name: "properties", Description: "comma-separated properties to return"}
	collection := httpapi.Obj(httpapi.Schema{"id": s, "title": s, "description": s, "itemType": s, "crs": httpapi.Arr(s), "storageCrs": s, "links": links,
		"extent": httpapi.Obj(httpapi.Schema{
			"spatial":  httpapi.Obj(httpapi.Schema{"bbox": httpapi.Arr(httpapi.Schema{"type": "array", "items": httpapi.Num, "minItems": 4, "maxItems": 6}), "crs": s}, "bbox"),
			"temporal": httpapi.Obj(httpapi.Schema{"interval": httpapi.Arr(httpapi.Schema{"type": "array", "items": httpapi.Nullable(s), "minItems": 2, "maxItems": 2}), "trs": s}, "interval")})},
		"id", "links")
	const cp = "/collections/:collectionId"
	// The Part 4 writes: editors only, on the collections that implement Writer (Offered
	// keeps the others' OPTIONS to GET and HEAD; their writes answer 405).
	write := func(method, path, op, summary string, ps []httpapi.Param, body *httpapi.Body, rs []httpapi.Response, h gin.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: method, Path: Prefix + path, Access: httpapi.Editor, OperationID: op, Summary: summary, Params: ps, Body: body,
			Responses: rs, Problems: []int{400, 405, 409, 412, 415, 422}, Offered: a.writable, Handlers: []gin.HandlerFunc{a.collection, h}}
	}
	etag := map[string]string{"ETag": "the feature's version, for If-Match"}
	written := func(status int, desc string, h map[string]string) []httpapi.Response {
		return []httpapi.Response{{Status: status, Description: desc + " (the feature as stored, in OGC:CRS84)", Type: GeoJSONType, Schema: httpapi.Ref("Feature"), Headers: h}}
	}
	featureID := httpapi.Param{Name: "featureId", In: "path", Description: "the feature id", Schema: httpapi.Str}
	contentCRS := httpapi.Param{Name: "Content-Crs", In: "header", Description: "CRS of the body's coordinates, a URI in angle brackets (<http://www.opengis.net/def/crs/EPSG/0/4547>) from the collection's crs list; OGC:CRS84 when absent. EPSG:4326 and EPSG:4490 are read latitude first."}
	ifMatch := httpapi.Param{Name: "If-Match", In: "header", Description: "the ETag of the version you read; optional (without it the edit is unconditional), a stale one is 412"}
	return []httpapi.Route{
		read("", "getOGCLanding", "The OGC API – Features landing page.", nil,
			httpapi.JSON("The landing page", httpapi.Obj(httpapi.Schema{"title": s, "description": s, "links": links}, "links")), a.landing),
		read("/conformance", "getOGCConformance", "The conformance classes the service implements.", nil,
			httpapi.JSON("The conformance declaration", httpapi.Obj(httpapi.Schema{"conformsTo": httpapi.Arr(s)}, "conformsTo")), a.conformance),
		read("/api", "getOGCAPI", "The OpenAPI document of the OGC service.", nil,
			[]httpapi.Response{{Status: http.StatusOK, Description: "OpenAPI 3.0", Type: "application/vnd.oai.openapi+json", Schema: httpapi.Obj(httpapi.Schema{"openapi": s, "paths": httpapi.Obj(nil)}, "openapi", "paths")}}, a.openAPI),
		read("/collections", "getOGCCollections", "The feature collections, with their extents.", nil,
			httpapi.JSON("The collections", httpapi.Obj(httpapi.Schema{"collections": httpapi.Arr(collection), "links": links, "crs": httpapi.Arr(s)}, "collections", "links")), a.collections),
		read(cp, "getOGCCollection", "One collection's description.", []httpapi.Param{colID},
			httpapi.JSON("The collection", collection), a.collection, a.describe),
		read(cp+"/queryables", "getOGCQueryables", "The properties a CQL2 filter may use on a collection.", []httpapi.Param{colID},
			[]httpapi.Response{{Status: http.StatusOK, Description: "A JSON Schema", Type: SchemaType, Schema: httpapi.Obj(httpapi.Schema{"type": s, "properties": httpapi.Obj(nil)}, "properties")}}, a.collection, a.queryables),
		read(cp+"/items", "getOGCItems", "A collection's features, filtered (bbox, datetime, CQL2, properties as equality filters) and paged (next links carry a cursor).",
			[]httpapi.Param{colID,
				{Name: "limit", Schema: httpapi.Schema{"type": "integer", "minimum": 1, "maximum": MaxLimit, "default": DefaultLimit}},
				{Name: "offset", Schema: httpapi.Schema{"type": "integer", "minimum": 0, "default": 0}},
				{Name: "cursor", Description: "opaque: where the next page starts (as a next link gives it)"},
				{Name: "bbox"}, {Name: "bbox-crs"}, crsP, {Name: "datetime"}, {Name: "filter", Description: "CQL2-text"},
				{Name: "filter-lang", Schema: httpapi.Enum("cql2-text")}, {Name: "filter-crs"}, {Name: "sortby"}, props},
			[]httpapi.Response{{Status: http.StatusOK, Description: "A page of features", Type: GeoJSONType, Schema: httpapi.Ref("FeatureCollection")}}, a.collection, a.items),
		read(cp+"/items/:featureId", "getOGCItem", "One feature of a collection (ETag: its version).", []httpapi.Param{colID, crsP, props},
			[]httpapi.Response{{Status: http.StatusOK, Description: "The feature", Type: GeoJSONType, Schema: httpapi.Ref("Feature"), Headers: etag},
				{Status: http.StatusNotModified, Description: "If-None-Match matched"}}, a.collection, a.item),
		write(http.MethodPost, cp+"/items", "createOGCItem", "Create a feature (OGC API – Features Part 4); 405 on computed collections.",
			[]httpapi.Param{colID, contentCRS}, &httpapi.Body{Description: "a GeoJSON Feature of the collection", Types: featureTypes, Schema: httpapi.Ref("Feature")},
			written(http.StatusCreated, "Created; Location is its URL", map[string]string{"ETag": etag["ETag"], "Location": "the new feature's URL"}), a.createItem),
		write(http.MethodPut, cp+"/items/:featureId", "replaceOGCItem", "Replace a feature (Part 4); If-Match optional, 412 when stale.",
			[]httpapi.Param{colID, featureID, contentCRS, ifMatch}, &httpapi.Body{Description: "the whole new feature", Types: featureTypes, Schema: httpapi.Ref("Feature")},
			written(http.StatusOK, "Replaced", etag), a.replaceItem),
		write(http.MethodPatch, cp+"/items/:featureId", "updateOGCItem", "Update a feature with a JSON merge patch (Part 4); If-Match optional, 412 when stale.",
			[]httpapi.Param{colID, featureID, contentCRS, ifMatch}, &httpapi.Body{Description: "merge patch (RFC 7396): given properties change, null resets to the default, absent ones stay; a geometry replaces the geometry",
				Types: patchTypes, Schema: httpapi.Obj(httpapi.Schema{"type": s, "geometry": httpapi.Obj(nil), "properties": httpapi.Obj(nil)})},
			written(http.StatusOK, "Updated", etag), a.updateItem),
		write(http.MethodDelete, cp+"/items/:featureId", "deleteOGCItem", "Delete a feature (Part 4); If-Match optional, 412 when stale; its history is kept.",
			[]httpapi.Param{colID, featureID, ifMatch}, nil, []httpapi.Response{{Status: http.StatusNoContent, Description: "Deleted"}}, a.deleteItem),
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
	zones, err := citydata.MetricSRIDs(ctx, pool)
	if err != nil {
		return nil, fmt.Errorf("ogcapi: reading the cities' metric CRSs: %w", err)
	}
	cat := NewCatalog()
	for _, l := range reg.All() {
		if err := cat.Register(LayerCollection{Store: store, Layer: l, Pool: pool}); err != nil {
			return nil, err
		}
	}
	return &API{Catalog: cat, CRS: DefaultCRS(zones...), Title: "cityreach planning layers", Log: log, extents: &extents{}}, nil
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
// unknown features 404, the write path's errors as featureapi.Problem maps them (422
// naming the attribute or constraint, 409, 412); anything else is logged and 500.
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
	default:
		err = featureapi.Problem(err) // the write path's errors, as /api/v1/layers reports them
	}
	problem.Respond(c, a.Log, err)
}
