package coveragehttp

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/capacity/capacityhttp"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

// maxDrawnBody is the largest body of drawn candidates read (bytes).
const maxDrawnBody = 8 << 20

// SitingParams are the query parameters of the optimal siting (GET and POST …/siting and
// POST …/siting/scenario).
var SitingParams = []httpapi.Param{
	{Name: "k", Description: "the best k parks (maximum coverage); 0: the curve only", Schema: httpapi.Schema{"type": "integer", "minimum": 0, "maximum": coverage.MaxSitingK, "default": 10}},
	{Name: "targets", Description: "comma-separated coverage targets (shares of the weight) of the cost–coverage curve", Example: "0.9,0.95,1"},
	{Name: "weight", Description: "what uncovered land weighs: area, population or band (with band=)", Schema: httpapi.Enum(coverage.WeightArea, coverage.WeightPopulation, coverage.WeightBand)},
	capacityhttp.BandParam,
	{Name: "site_area", Description: "area of a generated site (m²)", Schema: httpapi.Schema{"type": "integer", "minimum": coverage.MinSiteAreaM2, "maximum": coverage.MaxSiteAreaM2, "default": coverage.DefaultSiteAreaM2}},
	{Name: "time_limit", Description: "seconds the branch and bound may take", Schema: httpapi.Schema{"type": "integer", "minimum": 1, "maximum": int(coverage.MaxSitingTime / time.Second), "default": int(coverage.DefaultSolveIn / time.Second)}},
}

// SitingBody documents the body of the POST routes: drawn candidates.
var SitingBody = &httpapi.Body{Description: "drawn candidate parks: a GeoJSON FeatureCollection of Polygons (EPSG:4326, 400–10,000 m² each, optional properties.name); empty: the generated candidates",
	Schema: httpapi.Obj(httpapi.Schema{"type": httpapi.Str, "features": httpapi.Arr(httpapi.Obj(nil))}, "type", "features")}

// SitingQuery reads the siting's query parameters.
func SitingQuery(c *gin.Context) (coverage.Query, coverage.SitingOptions, error) {
	q := query(c)
	q.Level = ""
	var o coverage.SitingOptions
	var err error
	if o.K, err = intParam(c, "k", 10, 0, coverage.MaxSitingK); err != nil {
		return q, o, err
	}
	area, err := intParam(c, "site_area", coverage.DefaultSiteAreaM2, coverage.MinSiteAreaM2, coverage.MaxSiteAreaM2)
	if err != nil {
		return q, o, err
	}
	o.SiteAreaM2 = float64(area)
	secs, err := intParam(c, "time_limit", int(coverage.DefaultSolveIn/time.Second), 1, int(coverage.MaxSitingTime/time.Second))
	if err != nil {
		return q, o, err
	}
	o.SolveIn = time.Duration(secs) * time.Second
	o.Weight = c.Query("weight")
	if v := c.Query("targets"); v != "" {
		parts := strings.Split(v, ",")
		if len(parts) > 10 {
			return q, o, badParam("targets", "at most 10 targets")
		}
		for _, p := range parts {
			t, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || !(t > 0 && t <= 1) {
				return q, o, badParam("targets", fmt.Sprintf("each target must be a share above 0 and at most 1, not %q", p))
			}
			o.Targets = append(o.Targets, t)
		}
	}
	return q, o, nil
}

// ReadDrawn reads the drawn candidates of a POST body.
func ReadDrawn(c *gin.Context) ([]coverage.DrawnInput, error) {
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxDrawnBody))
	if err != nil {
		return nil, problem.BadRequest(fmt.Sprintf("the body of drawn candidates is larger than %d bytes", maxDrawnBody)).With("parameter", "candidates")
	}
	return coverage.ParseDrawn(b)
}

func (h Handler) siting(c *gin.Context) {
	h.answerSiting(c, nil)
}

func (h Handler) sitingDrawn(c *gin.Context) {
	drawn, err := ReadDrawn(c)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	h.answerSiting(c, drawn)
}

func (h Handler) answerSiting(c *gin.Context, drawn []coverage.DrawnInput) {
	q, o, err := SitingQuery(c)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	id, err := h.scenarioID(c)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	calFrom, methodFrom := coverage.From(q.Caliber, coverage.FromCityDefault), coverage.From(q.Method, coverage.FromCaliberDefault)
	var out *coverage.Siting
	var res *coverage.Result
	if id > 0 {
		// Where the next parks would go once the scenario's changes are built.
		if res, err = h.Scenarios.CoverageResult(c.Request.Context(), id, q); err == nil {
			out, err = h.Svc.SitingOn(c.Request.Context(), res, q, o, drawn)
		}
	} else {
		out, res, err = h.Svc.Siting(c.Request.Context(), q, o, drawn)
	}
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.JSON(http.StatusOK, struct {
		City        string `json:"city"`
		CaliberFrom string `json:"caliber_from"`
		MethodFrom  string `json:"method_from"`
		*coverage.Siting
	}{res.Snapshot().City, calFrom, methodFrom, out})
}

// sitingRoutes are GET …/siting (generated candidates) and POST …/siting (drawn ones).
func (h Handler) sitingRoutes(path string, common []httpapi.Param) []httpapi.Route {
	ps := append(append([]httpapi.Param(nil), common...), SitingParams...)
	s, n := httpapi.Str, httpapi.Num
	resp := httpapi.JSON("The best k sites with their predicted coverage and bound, and the parks each target needs",
		httpapi.Obj(httpapi.Schema{"city": s, "caliber": s, "method": s, "weight": s, "source": s, "candidates": httpapi.Int, "now": n, "reachable": n,
			"best":  httpapi.Obj(httpapi.Schema{"k": httpapi.Int, "predicted": n, "bound": n, "gap": n, "optimal": httpapi.Bool, "greedy": n, "sites": httpapi.Arr(httpapi.Obj(nil))}),
			"curve": httpapi.Arr(httpapi.Obj(httpapi.Schema{"target": n, "share": n, "parks_low": httpapi.Int, "parks_high": httpapi.Int, "optimal": httpapi.Bool}))},
			"city", "caliber", "method", "curve"))
	get := httpapi.Route{Method: http.MethodGet, Path: path, Access: httpapi.AnonymousRead, Heavy: true, OperationID: "getParkSiting",
		Summary: "Optimal pocket-park siting: the best k generated sites and the parks needed per coverage target, with a proven bound.",
		Params:  ps, Responses: resp, Problems: []int{400, 404}, Handlers: []gin.HandlerFunc{h.siting}}
	post := get
	post.Method, post.Access, post.OperationID = http.MethodPost, httpapi.Editor, "postParkSiting"
	post.Summary = "Optimal pocket-park siting among drawn candidate parks."
	post.Body, post.Handlers = SitingBody, []gin.HandlerFunc{h.sitingDrawn}
	return []httpapi.Route{get, post}
}
