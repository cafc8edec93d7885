// Package tijianhttp serves internal/tijian over HTTP: the 城市体检 self-check tables as
// JSON, as the XLSX statistical tables and as the GeoPackage data package.
package tijianhttp

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/edition/editionhttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/tijian"
)

// Handler serves the tables.
type Handler struct {
	Src tijian.Source
	Log *slog.Logger
}

// Routes are
//
//	GET /api/v1/tijian?city=&level=&as_of=&scenario=&caliber=&method=
//	GET /api/v1/tijian/xlsx?city=&as_of=&scenario=&caliber=&method=&lang=
//	GET /api/v1/tijian/gpkg?city=&as_of=&scenario=&caliber=&method=&lang=
func (h Handler) Routes() []httpapi.Route {
	common := []httpapi.Param{
		{Name: "city", Description: "city slug", Required: true, Example: "baotou"},
		{Name: "caliber", Description: "park-coverage caliber (default " + tijian.DefaultCaliber + ": 公园绿化活动场地, sites from 400 m²)"},
		{Name: "method", Description: "buffer or network (default: the caliber's)", Schema: httpapi.Enum("buffer", "network")},
		editionhttp.AsOfParam,
		httpapi.ScenarioParam,
	}
	with := func(ps ...httpapi.Param) []httpapi.Param {
		return append(append([]httpapi.Param(nil), common...), ps...)
	}
	lang := httpapi.Param{Name: "lang", Description: "zh (default) or en: the headers and sheet names", Schema: httpapi.Enum("zh", "en")}
	s, n := httpapi.Str, httpapi.Num
	unit := httpapi.Obj(httpapi.Schema{"level": s, "id": httpapi.Int, "code": s, "name": s, "parent_code": s,
		"values": httpapi.Schema{"type": "object", "additionalProperties": httpapi.Nullable(n)}}, "level", "id", "code", "name", "values")
	tables := httpapi.Obj(httpapi.Schema{"city": s, "city_name": s, "adcode": s, "level": s, "as_of": httpapi.Obj(nil), "scenario": httpapi.Int,
		"data": httpapi.Obj(httpapi.Schema{"hash": s, "updated": s}), "caliber": s, "method": s, "scorecard_method": s, "living_circle_share": n,
		"dimensions": httpapi.Arr(httpapi.Obj(nil)), "indicators": httpapi.Arr(httpapi.Obj(httpapi.Schema{"key": s, "dimension": s, "name_zh": s, "name_en": s, "unit": s, "decimals": httpapi.Int, "source": s}, "key")),
		"units": httpapi.Arr(unit)}, "city", "caliber", "method", "dimensions", "indicators", "units")
	route := func(path, op, summary string, ps []httpapi.Param, rs []httpapi.Response, hf gin.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: http.MethodGet, Path: "/api/v1/tijian" + path, Access: httpapi.AnonymousRead, Heavy: true, Summary: summary,
			OperationID: op, Params: ps, Responses: rs, Problems: []int{400, 404}, Handlers: []gin.HandlerFunc{hf}}
	}
	return []httpapi.Route{
		route("", "getTijianTables", "The 城市体检 self-check indicators per unit (community, 街道, district, city) with administrative codes.",
			with(httpapi.Param{Name: "level", Description: "only the units of this level (default: every level)", Schema: httpapi.Enum(tijian.Levels...)}),
			httpapi.JSON("The units and their values by indicator key, the indicators and their 维度", tables), h.json),
		route("/xlsx", "getTijianXLSX", "The 城市体检 statistical tables as an XLSX workbook: one sheet per 维度, units as rows.", with(lang),
			[]httpapi.Response{{Status: http.StatusOK, Description: "Excel workbook", Type: report.MediaType("x.xlsx")}}, h.xlsx),
		route("/gpkg", "getTijianGeoPackage", "The 城市体检 data package: a GeoPackage with the district, 街道 and community layers and their indicator columns.", with(lang),
			[]httpapi.Response{{Status: http.StatusOK, Description: "OGC GeoPackage", Type: report.MediaType("x.gpkg")}}, h.gpkg),
	}
}

// compute reads the query and computes the tables; false when it has answered a problem.
func (h Handler) compute(c *gin.Context, level string) (*tijian.Tables, bool) {
	id, err := httpapi.ScenarioQuery(c, h.Src.Scenarios != nil)
	if err == nil {
		var tb *tijian.Tables
		tb, err = h.Src.Compute(c.Request.Context(), tijian.Query{City: c.Query("city"), Level: level, AsOf: c.Query("as_of"), Scenario: id,
			Caliber: c.Query("caliber"), Method: c.Query("method")}, nil)
		if err == nil {
			if id > 0 {
				c.Header("Cache-Control", "no-store")
			}
			return tb, true
		}
	}
	problem.Respond(c, h.Log, err)
	return nil, false
}

func (h Handler) json(c *gin.Context) {
	if tb, ok := h.compute(c, c.Query("level")); ok {
		c.JSON(http.StatusOK, tb)
	}
}

// attachment names the download: tijian-<city>.<ext> (RFC 6266, the slug is ASCII).
func attachment(c *gin.Context, tb *tijian.Tables, ext string) {
	name := "tijian-" + tb.City
	if tb.AsOf != nil {
		name += "-" + tb.AsOf.At.UTC().Format("20060102")
	}
	if tb.Scenario > 0 {
		name += "-scenario-" + strconv.FormatInt(tb.Scenario, 10)
	}
	c.Header("Content-Disposition", `attachment; filename="`+url.PathEscape(name)+"."+ext+`"`)
}

func (h Handler) xlsx(c *gin.Context) {
	h.download(c, "xlsx", func(tb *tijian.Tables, lang string) ([]byte, error) {
		var buf bytes.Buffer
		err := tb.WriteXLSX(&buf, lang)
		return buf.Bytes(), err
	})
}

func (h Handler) gpkg(c *gin.Context) {
	h.download(c, "gpkg", func(tb *tijian.Tables, lang string) ([]byte, error) {
		dir, err := os.MkdirTemp("", "cityreach-tijian-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir) //nolint:errcheck // a temporary directory
		path := filepath.Join(dir, "tijian.gpkg")
		if err := tb.WriteGeoPackage(c.Request.Context(), path, lang); err != nil {
			return nil, err
		}
		return os.ReadFile(path) //nolint:gosec // G304: our own temporary file
	})
}

// download checks lang=, computes the tables and answers the file write makes of them.
func (h Handler) download(c *gin.Context, ext string, write func(tb *tijian.Tables, lang string) ([]byte, error)) {
	lang, err := tijian.CheckLang(c.Query("lang"))
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	tb, ok := h.compute(c, "")
	if !ok {
		return
	}
	b, err := write(tb, lang)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	attachment(c, tb, ext)
	c.Data(http.StatusOK, report.MediaType("x."+ext), b)
}
