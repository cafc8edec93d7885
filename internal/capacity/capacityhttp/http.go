// Package capacityhttp serves internal/capacity over HTTP: the capacity indicator
// (2SFCA) and the upload of residents by age band. The capacity package's errors are
// faults (an Invalid option naming its parameter, a NotFound category, an Unprocessable
// row of an uploaded table with the members row and column), which problem.Respond maps.
package capacityhttp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/walk"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Handler serves the capacity routes.
type Handler struct {
	Svc *capacity.Service
	Log *slog.Logger
	// Scenarios answers ?scenario=<id> (internal/scenario); nil refuses the parameter.
	Scenarios ScenarioSource
}

// ScenarioSource computes the capacity indicator on baseline plus a scenario's changes,
// and draws it with the scenario's parcel geometries; city may be empty (the scenario's
// city).
type ScenarioSource interface {
	CapacityReport(ctx context.Context, scenario int64, city string, opt capacity.Options) (*capacity.Report, error)
	CapacityMap(ctx context.Context, scenario int64, city string, opt capacity.Options) (*capacity.FeatureCollection, error)
}

// Routes are
//
//	GET  /api/v1/indicators/capacity?city=&category=&band=&profile=&level=&d0=&decay=&scenario=
//	GET  /api/v1/indicators/capacity/map.geojson?city=&category=&band=&profile=&level=&d0=&decay=&scenario=
//	GET  /api/v1/age-bands
//	POST /api/v1/age-population?city=&format=csv|xlsx   (body: the age table)
func (h Handler) Routes() []httpapi.Route {
	city := httpapi.Param{Name: "city", Description: "city slug", Required: true, Example: "baotou"}
	category := httpapi.Param{Name: "category", Description: "facility category code (park_square: park area per resident)", Required: true, Example: "primary_school"}
	band := httpapi.Param{Name: "band", Description: "comma-separated age band codes of the demand (default: the category's; all: every resident)", Example: "6-12"}
	profile := httpapi.Param{Name: "profile", Description: "walking profile: without d0, the category's reach scaled by its speed", Schema: httpapi.Enum(walk.ProfileCodes()...)}
	d0 := httpapi.Param{Name: "d0", Description: "catchment radius in metres of walking (default: the category's reach)", Schema: httpapi.Num}
	decay := httpapi.Param{Name: "decay", Description: "distance decay inside the catchment", Schema: httpapi.Enum(capacity.DecayNone, capacity.DecayGaussian)}
	return []httpapi.Route{
		{Method: http.MethodGet, Path: "/api/v1/indicators/capacity", Access: httpapi.AnonymousRead, Heavy: true, OperationID: "getCapacity",
			Summary: "Capacity against demand (2SFCA over the walking network) of a facility category, per parcel or area, with the seat/place gap.",
			Params: []httpapi.Param{city, category, band, profile,
				{Name: "level", Description: "parcel, community, subdistrict, district or city", Schema: httpapi.Enum("parcel", "community", "subdistrict", "district", "city")},
				d0, decay, httpapi.ScenarioParam},
			Responses: httpapi.JSON("The capacity indicator", httpapi.Obj(httpapi.Schema{"city": httpapi.Obj(nil), "category": httpapi.Obj(nil),
				"bands": httpapi.Arr(httpapi.Str), "d0_m": httpapi.Num, "decay": httpapi.Str, "level": httpapi.Str, "totals": httpapi.Obj(nil),
				"facilities": httpapi.Arr(httpapi.Obj(nil)), "areas": httpapi.Arr(httpapi.Obj(nil))}, "city", "category", "totals", "areas")),
			Problems: []int{400, 404}, Handlers: []gin.HandlerFunc{h.capacity}},
		{Method: http.MethodGet, Path: "/api/v1/indicators/capacity/map.geojson", Access: httpapi.AnonymousRead, Heavy: true, OperationID: "getCapacityMap",
			Summary: "The capacity indicator drawn: one feature per residential parcel (or community, 街道, district) with its supply ratio and gap.",
			Params: []httpapi.Param{city, category, band, profile,
				{Name: "level", Description: "parcel (default), community, subdistrict or district", Schema: httpapi.Enum("parcel", "community", "subdistrict", "district")},
				d0, decay, httpapi.ScenarioParam},
			Responses: httpapi.GeoJSON("One feature per parcel or area, the report's figures as properties"),
			Problems:  []int{400, 404}, Handlers: []gin.HandlerFunc{h.mapLayer}},
		{Method: http.MethodGet, Path: "/api/v1/age-bands", Access: httpapi.AnonymousRead, OperationID: "getAgeBands",
			Summary:   "The configured age bands residents are counted in.",
			Responses: httpapi.JSON("The bands in order", httpapi.Obj(httpapi.Schema{"bands": httpapi.Arr(httpapi.Obj(nil))}, "bands")),
			Handlers:  []gin.HandlerFunc{h.bands}},
		{Method: http.MethodPost, Path: "/api/v1/age-population", Access: httpapi.Editor, OperationID: "postAgePopulation",
			Summary: "Import residents by age band per community from a CSV or XLSX table keyed by community code (all or nothing).",
			Params: []httpapi.Param{city,
				{Name: "format", Description: "csv or xlsx (default: xlsx for the XLSX media type, else csv)", Schema: httpapi.Enum("csv", "xlsx")},
				{Name: "source", Description: "data source recorded with the counts", Example: "七普 2020"}},
			Body: &httpapi.Body{Description: "the age table: a community_code column and one column per band code",
				Types: []string{"text/csv", xlsxType}, Schema: httpapi.Str},
			Responses: httpapi.JSON("What was imported", httpapi.Obj(httpapi.Schema{"communities": httpapi.Int, "bands": httpapi.Int, "residents": httpapi.Int,
				"mismatched": httpapi.Arr(httpapi.Obj(nil))}, "communities", "bands", "residents")),
			Problems: []int{400, 404, 413, 422}, Handlers: []gin.HandlerFunc{h.importAges}},
	}
}

// options reads the indicator's parameters.
func options(c *gin.Context) (capacity.Options, error) {
	opt := capacity.Options{Category: c.Query("category"), Level: c.Query("level"), Decay: c.Query("decay"), Profile: c.Query("profile")}
	if v := c.Query("band"); v != "" {
		opt.Bands = strings.Split(v, ",")
	}
	if v := c.Query("d0"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 1) {
			return opt, problem.BadRequest(fmt.Sprintf("d0 must be a number of metres from 1 to 10,000, not %q", problem.Clip(v))).With("parameter", "d0")
		}
		opt.D0 = f
	}
	return opt, nil
}

func (h Handler) capacity(c *gin.Context) {
	opt, err := options(c)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	id, err := httpapi.ScenarioQuery(c, h.Scenarios != nil)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	var rep *capacity.Report
	if id > 0 {
		c.Header("Cache-Control", "no-store")
		rep, err = h.Scenarios.CapacityReport(c.Request.Context(), id, c.Query("city"), opt)
	} else {
		rep, err = h.Svc.Capacity(c.Request.Context(), c.Query("city"), opt)
	}
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

// mapLayer draws the indicator per parcel (the default level) or area: the baseline's,
// or with scenario= the scenario's figures and parcel geometries (never cached, as the
// figures route).
func (h Handler) mapLayer(c *gin.Context) {
	opt, err := options(c)
	if err == nil && opt.Level == "" {
		opt.Level = capacity.LevelParcel
	}
	var id int64
	if err == nil {
		id, err = httpapi.ScenarioQuery(c, h.Scenarios != nil)
	}
	var fc *capacity.FeatureCollection
	if err == nil && id > 0 {
		c.Header("Cache-Control", "no-store")
		fc, err = h.Scenarios.CapacityMap(c.Request.Context(), id, c.Query("city"), opt)
	} else if err == nil {
		var rep *capacity.Report
		if rep, err = h.Svc.Capacity(c.Request.Context(), c.Query("city"), opt); err == nil {
			fc, err = h.Svc.GeoJSON(c.Request.Context(), rep, nil)
		}
	}
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.Header("Content-Type", "application/geo+json")
	c.JSON(http.StatusOK, fc)
}

func (h Handler) bands(c *gin.Context) {
	bs, err := h.Svc.Store.Bands(c.Request.Context())
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"bands": bs})
}

func (h Handler) importAges(c *gin.Context) {
	if ct := c.ContentType(); ct != "text/csv" && ct != xlsxType {
		problem.Respond(c, h.Log, problem.New(http.StatusUnsupportedMediaType, "send the age table as text/csv or as an XLSX workbook ("+xlsxType+")"))
		return
	}
	format := c.Query("format")
	if format == "" {
		format = "csv"
		if strings.HasPrefix(c.ContentType(), xlsxType) {
			format = "xlsx"
		}
	}
	source := c.DefaultQuery("source", "api upload")
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	sum, err := h.Svc.ImportAges(c.Request.Context(), c.Query("city"), format, body, source)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.JSON(http.StatusOK, sum)
}

// BandParam is band= of park coverage and the living circle: their population figures
// weighed by the parcels' residents of those age bands (capacity.Ages).
var BandParam = httpapi.Param{Name: "band", Description: "comma-separated age band codes: the population figures count only their residents (all or absent: every resident)", Example: "60-80,80-"}

// Bands reads band=: nil when absent or all.
func Bands(c *gin.Context) []string {
	if v := c.Query("band"); v != "" && v != "all" {
		return strings.Split(v, ",")
	}
	return nil
}
