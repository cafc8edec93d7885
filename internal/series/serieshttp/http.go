// Package serieshttp serves internal/series over HTTP: the indicators' time series across
// a city's published data editions.
package serieshttp

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/series"
)

// Handler serves the time series of the indicators.
type Handler struct {
	Src series.Source
	Log *slog.Logger
}

// Routes are
//
//	GET /api/v1/indicators/park-coverage/series?city=&level=&unit=&caliber=&method=
//	GET /api/v1/indicators/living-circle/series?city=&level=&unit=
func (h Handler) Routes() []httpapi.Route {
	common := []httpapi.Param{
		{Name: "city", Description: "city slug", Required: true, Example: "baotou"},
		{Name: "level", Description: "city, district, subdistrict or community (default city)", Schema: httpapi.Enum("city", "district", "subdistrict", "community")},
		{Name: "unit", Description: "only this unit (its id at level)", Schema: httpapi.Schema{"type": "integer", "minimum": 1}},
		httpapi.NoScenario("a series is computed at the published editions, which a scenario does not change; compare a scenario with its baseline at GET /api/v1/scenarios/{id}/compare"),
	}
	num, str := httpapi.Num, httpapi.Str
	resp := httpapi.JSON("The series: a point per published edition, oldest first, then now; and the target path",
		httpapi.Obj(httpapi.Schema{"indicator": str, "city": str, "level": str, "unit": httpapi.Int, "headline": str, "value": str,
			"caliber": str, "method": str,
			"points": httpapi.Arr(httpapi.Obj(httpapi.Schema{"edition": str, "now": httpapi.Bool, "as_of": httpapi.Schema{"type": "string", "format": "date-time"},
				"headline": num, "values": httpapi.Arr(httpapi.Obj(httpapi.Schema{"id": httpapi.Int, "name": str, "value": num, "complete": httpapi.Bool}, "id", "value"))},
				"now", "as_of", "headline", "values")),
			"targets": httpapi.Arr(httpapi.Obj(httpapi.Schema{"year": httpapi.Int, "value": num, "source": str}, "year", "value"))},
			"indicator", "city", "level", "points", "targets"))
	route := func(indicator, op, summary string, ps []httpapi.Param) httpapi.Route {
		return httpapi.Route{Method: http.MethodGet, Path: "/api/v1/indicators/" + indicator + "/series", Access: httpapi.AnonymousRead,
			Heavy: true, Summary: summary, OperationID: op, Params: ps, Responses: resp, Problems: []int{400},
			Handlers: []gin.HandlerFunc{func(c *gin.Context) { h.series(c, indicator) }}}
	}
	cov := append(append([]httpapi.Param(nil), common...),
		httpapi.Param{Name: "caliber", Description: "caliber id (default: the city's default caliber)"},
		httpapi.Param{Name: "method", Description: "buffer or network (default: the caliber's)", Schema: httpapi.Enum("buffer", "network")})
	return []httpapi.Route{
		route(series.ParkCoverage, "getParkCoverageSeries", "Park service-radius coverage at each published data edition and now, with the city's target path.", cov),
		route(series.LivingCircle, "getLivingCircleSeries", "The 15-minute living circle at each published data edition and now, with the city's target path.", common),
	}
}

func (h Handler) series(c *gin.Context, indicator string) {
	q := series.Query{Indicator: indicator, City: c.Query("city"), Level: c.Query("level"), Caliber: c.Query("caliber"), Method: c.Query("method")}
	if v := c.Query("unit"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			problem.Respond(c, h.Log, problem.BadRequest("unit must be a unit id (a positive integer)").With("parameter", "unit"))
			return
		}
		q.Unit = id
	}
	s, err := h.Src.Series(c.Request.Context(), q)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.JSON(http.StatusOK, s)
}
