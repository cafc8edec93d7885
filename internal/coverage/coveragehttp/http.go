// Package coveragehttp holds the adapters of package coverage: the park-coverage HTTP
// routes, and the gap layer as a vector-tile source and as an OGC API – Features collection.
package coveragehttp

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/capacity/capacityhttp"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition/editionhttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/walk"
)

// Handler serves the park-coverage endpoints.
type Handler struct {
	Svc  *coverage.Service
	Pool *pgxpool.Pool // to reproject site points to EPSG:4326
	Log  *slog.Logger
	// Scenarios answers ?scenario=<id> (internal/scenario); nil refuses the parameter.
	Scenarios ScenarioSource
}

// ScenarioSource computes the indicator on baseline plus a scenario's changes.
type ScenarioSource interface {
	CoverageReport(ctx context.Context, scenario int64, q coverage.Query) (*coverage.Report, error)
	// CoverageResult is the whole result, with every parcel's gap.
	CoverageResult(ctx context.Context, scenario int64, q coverage.Query) (*coverage.Result, error)
}

// Routes are
//
//	GET /api/v1/indicators/park-coverage?city=&caliber=&method=&profile=&at=&level=&band=&scenario=&as_of=
//	GET /api/v1/indicators/park-coverage/gaps?city=&caliber=&method=&limit=&scenario=&as_of=
//	GET /api/v1/indicators/park-coverage/parcels?city=&caliber=&method=&after=&limit=&scenario=
//	GET /api/v1/indicators/park-coverage/sites?city=&caliber=&method=&n=&site_area=&scenario=&as_of=
//	GET /api/v1/indicators/park-coverage/siting?city=&caliber=&method=&k=&targets=&weight=&band=&site_area=&time_limit=
//	POST /api/v1/indicators/park-coverage/siting?… (body: drawn candidates)
func (h Handler) Routes() []httpapi.Route {
	const p = "/api/v1/indicators/park-coverage"
	common := []httpapi.Param{
		{Name: "city", Description: "city slug", Required: true, Example: "baotou"},
		{Name: "caliber", Description: "caliber id (default: the city's default caliber)"},
		{Name: "method", Description: "buffer or network (default: the caliber's)", Schema: httpapi.Enum("buffer", "network")},
		{Name: "profile", Description: "walking profile of the network method; wheelchair leaves steps out (not with scenario)", Schema: httpapi.Enum(walk.ProfileCodes()...)},
		{Name: "at", Description: "time of day HH:MM of the network method: parks are entered only through gates open then (default: at any time of day; not with scenario)", Example: "07:30"},
		httpapi.ScenarioParam,
	}
	with := func(ps ...httpapi.Param) []httpapi.Param {
		return append(append([]httpapi.Param(nil), common...), ps...)
	}
	read := func(path, op, summary string, ps []httpapi.Param, rs []httpapi.Response, hf gin.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: http.MethodGet, Path: p + path, Access: httpapi.AnonymousRead, Heavy: true, Summary: summary, OperationID: op,
			Params: ps, Responses: rs, Problems: []int{400, 404}, Handlers: []gin.HandlerFunc{hf}}
	}
	s, n := httpapi.Str, httpapi.Num
	return append([]httpapi.Route{
		read("", "getParkCoverage", "Park service-radius coverage by level for a caliber and method.",
			with(httpapi.Param{Name: "level", Description: "city, district, subdistrict or community", Schema: httpapi.Enum("city", "district", "subdistrict", "community")},
				editionhttp.AsOfParam, capacityhttp.BandParam),
			httpapi.JSON("The indicator", httpapi.Obj(httpapi.Schema{"city": s, "caliber": httpapi.Ref("Caliber"), "method": s, "caliber_from": s, "method_from": s,
				"level": s, "run": httpapi.Obj(nil), "reused": httpapi.Bool, "headline": s, "targets": httpapi.Arr(httpapi.Obj(nil)),
				"city_figure": httpapi.Obj(httpapi.Schema{"ratio": n, "population_share": n}), "areas": httpapi.Arr(httpapi.Obj(nil))}, "city", "caliber", "method", "level")), h.indicator),
		read("/gaps", "getParkCoverageGaps", "The residential parcels outside every park's service radius.",
			with(httpapi.Param{Name: "limit", Description: "at most this many pieces (0: all)", Schema: httpapi.Schema{"type": "integer", "minimum": 0, "maximum": 1000000}},
				editionhttp.AsOfParam),
			httpapi.GeoJSON("The gap pieces"), h.gaps),
		read("/parcels", "getParkCoverageParcels", "Per residential parcel, the area within a counted park's service area and its share.",
			with(httpapi.Param{Name: "after", Description: "keyset paging: parcels with an id above this one (the previous page's next)", Schema: httpapi.Int},
				httpapi.Param{Name: "limit", Description: "parcels per page", Schema: httpapi.Schema{"type": "integer", "minimum": 1, "maximum": coverage.MaxParcelPage, "default": coverage.MaxParcelPage}}),
			httpapi.GeoJSON("One polygon feature per parcel, id order"), h.parcels),
		read("/sites", "getParkSites", "Suggested park sites that close the most coverage gap.",
			with(httpapi.Param{Name: "n", Description: "how many sites", Schema: httpapi.Schema{"type": "integer", "minimum": 1, "maximum": 200, "default": 10}},
				httpapi.Param{Name: "site_area", Description: "area of a site (m²)", Schema: httpapi.Schema{"type": "integer", "minimum": coverage.MinSiteAreaM2, "maximum": coverage.MaxSiteAreaM2, "default": coverage.DefaultSiteAreaM2}},
				editionhttp.AsOfParam),
			httpapi.JSON("The sites, best first, with the coverage they add", httpapi.Obj(httpapi.Schema{"city": s, "caliber": s, "method": s,
				"park": httpapi.Obj(nil), "note": s, "candidates": httpapi.Int, "coverage_now": n, "population_share_now": n,
				"sites": httpapi.Arr(httpapi.Obj(nil))}, "city", "caliber", "method", "sites")), h.sites),
	}, h.sitingRoutes(p+"/siting", common)...)
}

func query(c *gin.Context) coverage.Query {
	return coverage.Query{City: c.Query("city"), Caliber: c.Query("caliber"), Method: c.Query("method"), Level: c.Query("level"), AsOf: c.Query("as_of"),
		Bands: capacityhttp.Bands(c), Profile: c.Query("profile"), At: c.Query("at")}
}

func intParam(c *gin.Context, name string, def, lo, hi int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badParam(name, fmt.Sprintf("%s must be an integer from %d to %d, not %q", name, lo, hi, v))
	}
	return n, nil
}

// scenarioID parses ?scenario= (httpapi.ScenarioQuery): 0 when absent.
func (h Handler) scenarioID(c *gin.Context) (int64, error) {
	return httpapi.ScenarioQuery(c, h.Scenarios != nil)
}

func (h Handler) indicator(c *gin.Context) {
	id, err := h.scenarioID(c)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	if id > 0 {
		rep, err := h.Scenarios.CoverageReport(c.Request.Context(), id, query(c))
		if err != nil {
			problem.Respond(c, h.Log, err)
			return
		}
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusOK, rep)
		return
	}
	rep, err := h.Svc.Indicator(c.Request.Context(), query(c))
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

func (h Handler) gaps(c *gin.Context) {
	limit, err := intParam(c, "limit", 0, 0, 1_000_000)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	id, err := h.scenarioID(c)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	if id > 0 {
		res, err := h.Scenarios.CoverageResult(c.Request.Context(), id, query(c))
		if err != nil {
			problem.Respond(c, h.Log, err)
			return
		}
		b, err := h.Svc.Store.ResultGapsGeoJSON(c.Request.Context(), res, limit)
		if err != nil {
			problem.Respond(c, h.Log, err)
			return
		}
		c.Header("Cache-Control", "no-store")
		c.Data(http.StatusOK, "application/geo+json", b)
		return
	}
	b, run, err := h.Svc.Gaps(c.Request.Context(), query(c), limit)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.Header("X-Coverage-Run", strconv.FormatInt(run.ID, 10))
	c.Data(http.StatusOK, "application/geo+json", b)
}

// parcels serves the per-parcel coverage, one keyset page at a time, from the result
// behind the indicator's stored run (the run id in X-Coverage-Run), or of the scenario.
func (h Handler) parcels(c *gin.Context) {
	limit, err := intParam(c, "limit", coverage.MaxParcelPage, 1, coverage.MaxParcelPage)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	var after *int64
	if v := c.Query("after"); v != "" {
		a, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			problem.Respond(c, h.Log, badParam("after", fmt.Sprintf("after must be a parcel id, not %q", v)))
			return
		}
		after = &a
	}
	id, err := h.scenarioID(c)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	ctx := c.Request.Context()
	var res *coverage.Result
	if id > 0 {
		res, err = h.Scenarios.CoverageResult(ctx, id, query(c))
		c.Header("Cache-Control", "no-store")
	} else {
		var run *coverage.Run
		if res, run, err = h.Svc.ParcelResult(ctx, query(c)); err == nil {
			c.Header("X-Coverage-Run", strconv.FormatInt(run.ID, 10))
		}
	}
	var b []byte
	if err == nil {
		var page *coverage.ParcelPage
		if page, err = res.Parcels(after, limit); err == nil {
			b, err = h.Svc.Store.ParcelsGeoJSON(ctx, page)
		}
	}
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.Data(http.StatusOK, "application/geo+json", b)
}

func (h Handler) sites(c *gin.Context) {
	n, err := intParam(c, "n", 10, 1, 200)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	area, err := intParam(c, "site_area", coverage.DefaultSiteAreaM2, coverage.MinSiteAreaM2, coverage.MaxSiteAreaM2)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	id, err := h.scenarioID(c)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	q := query(c)
	calFrom, methodFrom := coverage.From(q.Caliber, coverage.FromCityDefault), coverage.From(q.Method, coverage.FromCaliberDefault)
	var res *coverage.Result
	if id > 0 {
		// Where the next parks would go once the scenario's changes are built.
		res, err = h.Scenarios.CoverageResult(c.Request.Context(), id, q)
	} else {
		res, err = h.Svc.Result(c.Request.Context(), q)
	}
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	plan, err := coverage.Sites(c.Request.Context(), res, n, float64(area))
	if err != nil {
		problem.Respond(c, h.Log, coverage.SitesFault(err))
		return
	}
	geoms, err := h.Svc.Store.SitePolygons(c.Request.Context(), res.Snapshot().MetricSRID, plan)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	type site struct {
		coverage.Site
		coverage.SiteGeometry
	}
	out := make([]site, len(plan.Sites))
	for i, s := range plan.Sites {
		out[i] = site{s, geoms[i]}
	}
	type body struct {
		City        string `json:"city"`
		CaliberFrom string `json:"caliber_from"`
		MethodFrom  string `json:"method_from"`
		*coverage.SitePlan
		Sites []site `json:"sites"`
	}
	b, err := json.Marshal(body{City: res.Snapshot().City, CaliberFrom: calFrom, MethodFrom: methodFrom, SitePlan: plan, Sites: out})
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.Data(http.StatusOK, "application/json", b)
}

// badParam is the 400 of an invalid parameter name.
func badParam(name, detail string) error {
	return problem.BadRequest(detail).With("parameter", name)
}
