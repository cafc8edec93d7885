// Package problemshttp serves internal/problems over HTTP: the 问题清单 of a city between
// two data editions, as JSON, GeoJSON or XLSX.
package problemshttp

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/problems"
)

// Handler serves the problem ledger.
type Handler struct {
	Src problems.Source
	Log *slog.Logger
}

// DefaultSites is how many candidate pocket-park sites a request computes for the
// park-coverage remedies unless it says (sites=).
const DefaultSites = 10

// Routes is
//
//	GET /api/v1/problems?city=&from=&to=&indicator=&status=&district=&unit=&caliber=&method=&min_coverage=&sites=&format=&lang=
func (h Handler) Routes() []httpapi.Route {
	str, num, intg := httpapi.Str, httpapi.Num, httpapi.Int
	rate := httpapi.Obj(httpapi.Schema{"level": str, "code": str, "name": str, "earlier": intg, "fixed": intg, "persisting": intg, "new": intg,
		"rate": httpapi.Nullable(num)}, "level", "code", "earlier", "fixed", "persisting", "new", "rate")
	asOf := httpapi.Obj(httpapi.Schema{"at": httpapi.Schema{"type": "string", "format": "date-time"}, "edition": str}, "at")
	unit := httpapi.Obj(httpapi.Schema{"level": str, "code": str, "name": str, "subdistrict_code": str, "subdistrict_name": str,
		"district_code": str, "district_name": str}, "level", "code", "name")
	site := httpapi.Obj(httpapi.Schema{"rank": intg, "lon": num, "lat": num, "area_m2": num, "gain_m2": num, "gain_population": num}, "rank", "lon", "lat")
	prob := httpapi.Obj(httpapi.Schema{"id": str, "key": str, "indicator": httpapi.Enum(problems.Indicators...), "status": httpapi.Enum(problems.Statuses...),
		"unit": unit, "value": num, "threshold": num, "before": num, "after": num,
		"remedy": httpapi.Obj(httpapi.Schema{"sites": httpapi.Arr(site), "missing": httpapi.Arr(str), "missing_names": httpapi.Arr(str)})},
		"id", "key", "indicator", "status", "unit", "value", "threshold", "remedy")
	ledger := httpapi.Obj(httpapi.Schema{"city": str, "city_name": str, "from": httpapi.Nullable(asOf), "to": asOf, "to_now": httpapi.Bool,
		"indicators": httpapi.Arr(str), "caliber": str, "method": str, "thresholds": httpapi.Obj(nil),
		"problems": httpapi.Arr(prob), "rate": rate, "units": httpapi.Arr(rate), "districts": httpapi.Arr(rate)},
		"city", "from", "to", "indicators", "thresholds", "problems", "rate", "units", "districts")
	resp := append(httpapi.JSON("The ledger (format=json)", ledger),
		httpapi.Response{Status: http.StatusOK, Description: "The problems as features, each unit's boundary, then the candidate sites as points (format=geojson)", Type: problems.GeoJSONType, Schema: httpapi.Ref("FeatureCollection")},
		httpapi.Response{Status: http.StatusOK, Description: "The 问题清单 and 整治率 workbook (format=xlsx)", Type: problems.XLSXType})
	ref := "an edition name of the city, an RFC 3339 time or a date YYYY-MM-DD (00:00 UTC+8)"
	return []httpapi.Route{{Method: http.MethodGet, Path: "/api/v1/problems", Access: httpapi.AnonymousRead, Heavy: true, OperationID: "listProblems",
		Summary: "The 问题清单 of the 城市体检: every community failing park coverage or the 15-minute living circle, with its status between two editions and the 整治率.",
		Params: []httpapi.Param{
			{Name: "city", Description: "city slug", Required: true, Example: "baotou"},
			{Name: "from", Description: "the earlier state: " + ref + " (default: the latest published edition before to; none: no comparison)"},
			{Name: "to", Description: "the later state: " + ref + " (default: the current data)"},
			{Name: "indicator", Description: "comma-separated indicators to keep: park-coverage, living-circle, complete-communities (default all)", Example: "park-coverage"},
			{Name: "status", Description: "only problems of this status", Schema: httpapi.Enum(problems.Statuses...)},
			{Name: "district", Description: "only problems in this district (its 6-digit adcode)", Schema: httpapi.Schema{"type": "string", "pattern": "^[0-9]{6}$"}},
			{Name: "unit", Description: "only problems of this community (its 12-digit code)", Schema: httpapi.Schema{"type": "string", "pattern": "^[0-9]{12}$"}},
			{Name: "caliber", Description: "park coverage: caliber id (default: the city's default caliber)"},
			{Name: "method", Description: "park coverage: buffer or network (default: the caliber's)", Schema: httpapi.Enum("buffer", "network")},
			{Name: "min_coverage", Description: "park coverage a community must reach, 0–1 (default: the caliber's first target, or 1)", Schema: httpapi.Schema{"type": "number", "minimum": 0, "maximum": 1}},
			{Name: "sites", Description: fmt.Sprintf("candidate pocket-park sites computed city-wide for the remedies (default %d; 0: none)", DefaultSites), Schema: httpapi.Schema{"type": "integer", "minimum": 0, "maximum": problems.MaxSites}},
			{Name: "format", Description: "json (default), geojson or xlsx", Schema: httpapi.Enum("json", "geojson", "xlsx")},
			{Name: "lang", Description: "language of the GeoJSON's and the workbook's texts: zh (default) or en", Schema: httpapi.Enum(problems.Langs...)},
			httpapi.NoScenario("the ledger compares data editions, which a scenario does not change"),
		},
		Responses: resp, Problems: []int{400}, Handlers: []gin.HandlerFunc{h.list}}}
}

func (h Handler) list(c *gin.Context) {
	q, format, lang, err := parse(c.Request.URL.Query())
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	led, err := h.Src.Ledger(c.Request.Context(), q)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	switch format {
	case "geojson":
		b, err := problems.GeoJSON(led, lang)
		if err != nil {
			problem.Respond(c, h.Log, err)
			return
		}
		c.Data(http.StatusOK, problems.GeoJSONType, b)
	case "xlsx":
		var buf bytes.Buffer
		if err := problems.WriteXLSX(&buf, led, lang); err != nil {
			problem.Respond(c, h.Log, err)
			return
		}
		c.Header("Content-Disposition", `attachment; filename="problems-`+led.City+`.xlsx"`)
		c.Data(http.StatusOK, problems.XLSXType, buf.Bytes())
	default:
		c.JSON(http.StatusOK, led)
	}
}

// parse reads the query of a ledger request.
func parse(v url.Values) (q problems.Query, format, lang string, err error) {
	q = problems.Query{City: v.Get("city"), From: v.Get("from"), To: v.Get("to"), Status: v.Get("status"),
		District: v.Get("district"), Unit: v.Get("unit"), Caliber: v.Get("caliber"), Method: v.Get("method"), Sites: DefaultSites}
	if q.Indicators, err = problems.ParseIndicators(v.Get("indicator")); err != nil {
		return q, "", "", err
	}
	if s := v.Get("min_coverage"); s != "" {
		if q.MinCoverage, err = strconv.ParseFloat(s, 64); err != nil || !(q.MinCoverage > 0 && q.MinCoverage <= 1) {
			return q, "", "", problem.BadRequest("min_coverage must be a ratio above 0 and at most 1").With("parameter", "min_coverage")
		}
	}
	if s := v.Get("sites"); s != "" {
		if q.Sites, err = strconv.Atoi(s); err != nil || q.Sites < 0 || q.Sites > problems.MaxSites {
			return q, "", "", problem.BadRequest(fmt.Sprintf("sites must be an integer from 0 to %d", problems.MaxSites)).With("parameter", "sites")
		}
	}
	format, lang = v.Get("format"), v.Get("lang")
	switch format {
	case "", "json", "geojson", "xlsx":
	default:
		return q, "", "", problem.BadRequest("format must be json, geojson or xlsx").With("parameter", "format")
	}
	switch lang {
	case "", "zh", "en":
	default:
		return q, "", "", problem.BadRequest("lang must be zh or en").With("parameter", "lang")
	}
	return q, format, lang, nil
}
