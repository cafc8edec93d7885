package checks

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

// GeoJSONType is the media type of the geometric results.
const GeoJSONType = "application/geo+json"

// Handler serves the check routes.
type Handler struct {
	Service *Service
	Log     *slog.Logger
	// Scenarios answers ?scenario=<id> (internal/scenario); nil refuses the parameter.
	Scenarios ScenarioLayers
}

// ScenarioLayers loads a city's layers with a scenario's changes overlaid.
type ScenarioLayers interface {
	ChecksLayers(ctx context.Context, scenario int64, city string, need Need) (*Layers, error)
}

type layerSourceKey struct{}

// layerSource is how a request's checks load their layers: a scenario's overlay instead of
// the baseline store.
type layerSource func(ctx context.Context, city string, need Need) (*Layers, error)

// load reads the layers a check needs: the baseline, or the request's scenario.
func (s *Service) load(ctx context.Context, city string, need Need) (*Layers, error) {
	if src, ok := ctx.Value(layerSourceKey{}).(layerSource); ok {
		return src(ctx, city, need)
	}
	return s.Store.Load(ctx, city, need)
}

// Routes are, each with ?city= (required) and ?format=json|geojson:
//
//	GET /api/v1/checks/corridors                widths, narrow places, breaks, encroachment
//	GET /api/v1/checks/control-lines            &date= or &edition=: overlaps of the three control lines
//	GET /api/v1/checks/growth-boundary/diff     &from=&to= (edition names or dates): added and removed
//	GET /api/v1/checks/outside-boundary         &date= or &edition=: residential land and facilities outside
//	GET /api/v1/checks/complete-communities     the complete-community scorecard
//
// and the threshold overrides named in Overridable (e.g. &min_width_m=120&tier_m=800), and
// &scenario=<id> to run the check on baseline plus the scenario's changes.
func (h Handler) Routes() []httpapi.Route {
	read := func(path, check, summary string) httpapi.Route {
		return httpapi.Route{Method: http.MethodGet, Path: "/api/v1/checks" + path, Access: httpapi.AnonymousRead, Heavy: true,
			AnyQuery: true, // serve checks them: the overridable thresholds are many
			Summary:  summary, Handlers: []gin.HandlerFunc{h.serve(check)}}
	}
	return []httpapi.Route{
		read("/corridors", "corridors", "Green-corridor widths, narrow places, breaks and encroachment."),
		read("/control-lines", "control-lines", "Overlaps of the three control lines on a date or edition."),
		read("/growth-boundary/diff", "growth-diff", "Land added to and removed from the growth boundary between two editions."),
		read("/outside-boundary", "outside", "Residential land and facilities outside the growth boundary."),
		read("/complete-communities", "complete-communities", "The complete-community scorecard."),
	}
}

// params are the parameters a check takes: the common ones and the threshold overrides.
func params() []string {
	return append([]string{"city", "format", "date", "edition", "from", "to", "scenario"}, Overridable...)
}

func (h Handler) serve(name string) gin.HandlerFunc {
	return func(c *gin.Context) {
		q := c.Request.URL.Query()
		req := Request{Overrides: map[string]string{}}
		if err := problem.CheckParams(q, params()...); err != nil {
			problem.Respond(c, h.Log, err)
			return
		}
		req.City, req.Edition, req.Date, req.From, req.To = q.Get("city"), q.Get("edition"), q.Get("date"), q.Get("from"), q.Get("to")
		for _, k := range Overridable {
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
		if v := q.Get("scenario"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 || h.Scenarios == nil {
				problem.Respond(c, h.Log, problem.BadRequest("scenario must be a scenario id").With("parameter", "scenario"))
				return
			}
			ctx = context.WithValue(ctx, layerSourceKey{}, layerSource(func(ctx context.Context, city string, need Need) (*Layers, error) {
				return h.Scenarios.ChecksLayers(ctx, id, city, need)
			}))
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
func cityOf(f Featurer) City {
	switch r := f.(type) {
	case *CorridorReport:
		return r.City
	case *ControlLinesReport:
		return r.City
	case *DiffReport:
		return r.City
	case *OutsideReport:
		return r.City
	case *ScorecardReport:
		return r.City
	}
	return City{}
}
