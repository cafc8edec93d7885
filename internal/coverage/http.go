package coverage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

// Handler serves the park-coverage endpoints.
type Handler struct {
	Svc  *Service
	Pool *pgxpool.Pool // to reproject site points to EPSG:4326
	Log  *slog.Logger
	// Scenarios answers ?scenario=<id> (internal/scenario); nil refuses the parameter.
	Scenarios ScenarioSource
}

// ScenarioSource computes the indicator on baseline plus a scenario's changes.
type ScenarioSource interface {
	CoverageReport(ctx context.Context, scenario int64, q Query) (*Report, error)
	// CoverageResult is the whole result, with every parcel's gap.
	CoverageResult(ctx context.Context, scenario int64, q Query) (*Result, error)
}

// Routes are
//
//	GET /api/v1/indicators/park-coverage?city=&caliber=&method=&level=&scenario=
//	GET /api/v1/indicators/park-coverage/gaps?city=&caliber=&method=&limit=&scenario=
//	GET /api/v1/indicators/park-coverage/sites?city=&caliber=&method=&n=&site_area=&scenario=
func (h Handler) Routes() []httpapi.Route {
	const p = "/api/v1/indicators/park-coverage"
	read := func(path, summary string, query []string, hf gin.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: http.MethodGet, Path: p + path, Access: httpapi.AnonymousRead, Query: query, Heavy: true, Summary: summary, Handlers: []gin.HandlerFunc{hf}}
	}
	return []httpapi.Route{
		read("", "Park service-radius coverage by level for a caliber and method.", []string{"city", "caliber", "method", "level", "scenario"}, h.indicator),
		read("/gaps", "The residential parcels outside every park's service radius.", []string{"city", "caliber", "method", "limit", "scenario"}, h.gaps),
		read("/sites", "Suggested park sites that close the most coverage gap.", []string{"city", "caliber", "method", "n", "site_area", "scenario"}, h.sites),
	}
}

func query(c *gin.Context) Query {
	return Query{City: c.Query("city"), Caliber: c.Query("caliber"), Method: c.Query("method"), Level: c.Query("level")}
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

// scenarioID parses ?scenario=: 0 when absent; an error when malformed or when this server
// has no scenarios.
func (h Handler) scenarioID(c *gin.Context) (int64, error) {
	v := c.Query("scenario")
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 || h.Scenarios == nil {
		return 0, badParam("scenario", "scenario must be a scenario id")
	}
	return id, nil
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

func (h Handler) sites(c *gin.Context) {
	n, err := intParam(c, "n", 10, 1, 200)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	area, err := intParam(c, "site_area", DefaultSiteAreaM2, MinSiteAreaM2, MaxSiteAreaM2)
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
	calFrom, methodFrom := From(q.Caliber, FromCityDefault), From(q.Method, FromCaliberDefault)
	var res *Result
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
	plan, err := Sites(c.Request.Context(), res, n, float64(area))
	if err != nil {
		problem.Respond(c, h.Log, SitesProblem(err))
		return
	}
	geoms, err := h.Svc.Store.SitePolygons(c.Request.Context(), res.snapshot.MetricSRID, plan)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	type site struct {
		Site
		SiteGeometry
	}
	out := make([]site, len(plan.Sites))
	for i, s := range plan.Sites {
		out[i] = site{s, geoms[i]}
	}
	type body struct {
		City        string `json:"city"`
		CaliberFrom string `json:"caliber_from"`
		MethodFrom  string `json:"method_from"`
		*SitePlan
		Sites []site `json:"sites"`
	}
	b, err := json.Marshal(body{City: res.snapshot.City, CaliberFrom: calFrom, MethodFrom: methodFrom, SitePlan: plan, Sites: out})
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.Data(http.StatusOK, "application/json", b)
}

// SitesProblem turns an error of Sites into the 400 problem naming the parameter at fault,
// or leaves it as it is.
func SitesProblem(err error) error {
	switch {
	case errors.Is(err, ErrSiteArea):
		return badParam("site_area", strings.TrimPrefix(err.Error(), "coverage: "))
	case errors.Is(err, ErrNoSiteSize):
		return badParam("caliber", strings.TrimPrefix(err.Error(), "coverage: "))
	}
	return err
}
