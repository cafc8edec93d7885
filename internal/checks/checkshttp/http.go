// Package checkshttp is the HTTP adapter of package checks: one GET route per check, with
// the city, the editions, the threshold overrides and an optional scenario as parameters.
package checkshttp

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/edition/editionhttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

// GeoJSONType is the media type of the geometric results.
const GeoJSONType = "application/geo+json"

// Handler serves the check routes.
type Handler struct {
	Service *checks.Service
	Log     *slog.Logger
	// Scenarios answers ?scenario=<id> (internal/scenario); nil refuses the parameter.
	Scenarios ScenarioLayers
}

// ScenarioLayers loads a city's layers with a scenario's changes overlaid.
type ScenarioLayers = checks.ScenarioLayers

// Routes are, each with ?city= (required) and ?format=json|geojson:
//
//	GET /api/v1/checks/corridors                widths, narrow places, breaks, encroachment
//	GET /api/v1/checks/control-lines            &date= or &edition=: overlaps of the three control lines
//	GET /api/v1/checks/growth-boundary/diff     &from=&to= (edition names or dates): added and removed
//	GET /api/v1/checks/outside-boundary         &date= or &edition=: residential land and facilities outside
//	GET /api/v1/checks/complete-communities     the complete-community scorecard
//
// and the threshold overrides named in Overridable (e.g. &min_width_m=120&tier_m=800),
// &scenario=<id> to run the check on baseline plus the scenario's changes, or &as_of= (a
// data edition of the city, a date or an instant) to run it on the data as it stood then.
func (h Handler) Routes() []httpapi.Route {
	params := []httpapi.Param{
		{Name: "city", Description: "city slug", Required: true, Example: "baotou"},
		{Name: "edition", Description: "growth-boundary edition (default: the one in force on date)"},
		{Name: "date", Description: "the day whose editions count (default: today)", Schema: httpapi.Schema{"type": "string", "format": "date"}},
		{Name: "from", Description: "growth-boundary/diff: the older edition"},
		{Name: "to", Description: "growth-boundary/diff: the newer edition"},
		{Name: "format", Description: "json (the report, default) or geojson (its features)", Schema: httpapi.Enum("json", "geojson")},
		httpapi.ScenarioParam,
		editionhttp.AsOfParam,
	}
	for _, k := range checks.Overridable {
		params = append(params, httpapi.Param{Name: k, Description: "overrides the configured threshold " + k, Schema: httpapi.Num})
	}
	city := httpapi.Obj(httpapi.Schema{"id": httpapi.Int, "slug": httpapi.Str, "name": httpapi.Str, "metric_srid": httpapi.Int}, "id", "slug")
	read := func(path, check, op, summary string, report httpapi.Schema) httpapi.Route {
		return httpapi.Route{Method: http.MethodGet, Path: "/api/v1/checks" + path, Access: httpapi.AnonymousRead, Heavy: true, OperationID: op,
			Summary: summary, Params: params, Problems: []int{400, 404},
			Responses: append(httpapi.JSON("The check's report", report), httpapi.GeoJSON("format=geojson: the report's features")...),
			Handlers:  []gin.HandlerFunc{h.serve(check)}}
	}
	arr, obj, num := httpapi.Arr, httpapi.Obj, httpapi.Num
	return []httpapi.Route{
		read("/corridors", "corridors", "checkCorridors", "Green-corridor widths, narrow places, breaks and encroachment.",
			obj(httpapi.Schema{"city": city, "min_width_m": num, "compliance_share": num, "corridors": arr(obj(nil))}, "city", "corridors")),
		read("/control-lines", "control-lines", "checkControlLines", "Overlaps of the three control lines on a date or edition.",
			obj(httpapi.Schema{"city": city, "conforms": httpapi.Bool, "total_overlap_m2": num, "pairs": arr(obj(nil)), "overlaps": arr(obj(nil))}, "city", "conforms")),
		read("/growth-boundary/diff", "growth-diff", "checkGrowthBoundaryDiff", "Land added to and removed from the growth boundary between two editions.",
			obj(httpapi.Schema{"city": city}, "city")),
		read("/outside-boundary", "outside", "checkOutsideBoundary", "Residential land and facilities outside the growth boundary.",
			obj(httpapi.Schema{"city": city, "residential_outside_m2": num, "population_outside": num, "residential": arr(obj(nil)), "facilities": arr(obj(nil))}, "city")),
		read("/complete-communities", "complete-communities", "checkCompleteCommunities", "The complete-community scorecard.",
			obj(httpapi.Schema{"city": city, "complete": httpapi.Int, "target": httpapi.Int, "meets_target": httpapi.Bool, "communities": arr(obj(nil))}, "city", "communities")),
	}
}

// params are the parameters a check takes: the common ones and the threshold overrides.
func (h Handler) serve(name string) gin.HandlerFunc {
	return func(c *gin.Context) {
		q := c.Request.URL.Query()
		// The engine has refused any parameter not in Routes' list, and any given twice.
		req := checks.Request{Overrides: map[string]string{}}
		req.City, req.Edition, req.Date, req.From, req.To = q.Get("city"), q.Get("edition"), q.Get("date"), q.Get("from"), q.Get("to")
		req.AsOf = q.Get("as_of")
		for _, k := range checks.Overridable {
			if q.Has(k) {
				req.Overrides[k] = q.Get(k)
			}
		}
		format := q.Get("format")
		if format != "" && format != "json" && format != "geojson" {
			problem.Respond(c, h.Log, problem.BadRequest("format must be json or geojson").With("parameter", "format"))
			return
		}
		ctx := c.Request.Context()
		id, err := httpapi.ScenarioQuery(c, h.Scenarios != nil)
		if err != nil {
			problem.Respond(c, h.Log, err)
			return
		}
		if id > 0 {
			ctx = checks.WithScenario(ctx, h.Scenarios, id)
		}
		rep, err := h.Service.Run(ctx, name, req)
		if err != nil {
			problem.Respond(c, h.Log, err)
			return
		}
		c.Header("Cache-Control", "no-store")
		if format == "geojson" {
			b, err := h.Service.Store.GeoJSON(ctx, cityOf(rep).MetricSRID, rep.Features())
			if err != nil {
				problem.Respond(c, h.Log, err)
				return
			}
			c.Data(http.StatusOK, GeoJSONType, b)
			return
		}
		c.JSON(http.StatusOK, rep)
	}
}

// cityOf returns the city a report is about.
func cityOf(f checks.Featurer) checks.City {
	switch r := f.(type) {
	case *checks.CorridorReport:
		return r.City
	case *checks.ControlLinesReport:
		return r.City
	case *checks.DiffReport:
		return r.City
	case *checks.OutsideReport:
		return r.City
	case *checks.ScorecardReport:
		return r.City
	}
	return checks.City{}
}
