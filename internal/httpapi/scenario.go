package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/problem"
)

// ScenarioParamName is the query parameter that computes an indicator or a check on a
// city's baseline plus a what-if scenario's changes (docs/scenarios.md).
const ScenarioParamName = "scenario"

// ScenarioParam is the scenario= parameter every indicator and check route declares
// (TestEveryIndicatorTakesScenario in internal/cli checks it), either this one or, where a
// scenario cannot apply, NoScenario's.
var ScenarioParam = Param{Name: ScenarioParamName, Description: "a scenario id: compute on the baseline plus its changes",
	Schema: Schema{"type": "integer", "minimum": 1}}

// NoScenario is the scenario= parameter of an indicator or check route that cannot be
// computed on a scenario: the engine answers a request that gives it with a 400 naming
// the parameter and saying why, before the access check and before any handler.
func NoScenario(reason string) Param {
	return Param{Name: ScenarioParamName, Description: "not accepted: " + reason, Refused: reason}
}

// ScenarioQuery reads ?scenario= of an indicator or check request: 0 when absent. It is a
// 400 naming scenario when the value is not a scenario id or the server computes no
// scenarios (enabled false), and a 400 naming as_of when the request also asks for the data
// as of a date or edition (a scenario changes the current data). The scenario itself is
// looked up by the domain (scenario.Service), which answers 404 for an unknown id and 400
// naming city for a scenario of another city.
func ScenarioQuery(c *gin.Context, enabled bool) (int64, error) {
	v := c.Query(ScenarioParamName)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 || !enabled {
		return 0, problem.BadRequest("scenario must be a scenario id").With("parameter", ScenarioParamName)
	}
	if c.Query("as_of") != "" {
		return 0, problem.BadRequest("give scenario or as_of, not both: a scenario changes the current data").With("parameter", "as_of")
	}
	return id, nil
}

// refused answers a request that gives a parameter rt declares as refused (NoScenario).
func refused(rt Route) gin.HandlerFunc {
	var ps []Param
	for _, p := range rt.Params {
		if p.Refused != "" && (p.In == "" || p.In == "query") {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return func(c *gin.Context) {
		q := c.Request.URL.Query()
		for _, p := range ps {
			if q.Has(p.Name) {
				problem.Write(c, http.StatusBadRequest, p.Name+" is not accepted here: "+p.Refused, map[string]any{"parameter": p.Name})
				return
			}
		}
		c.Next()
	}
}
