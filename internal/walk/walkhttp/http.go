// Package walkhttp is the HTTP adapter of package walk: the isochrone, living-circle and
// network routes, and the tile source of the communities' living-circle status.
package walkhttp

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/capacity/capacityhttp"
	"github.com/cityreach/cityreach/internal/edition/editionhttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/walk"
)

// Handler serves the walking-network endpoints.
type Handler struct {
	Svc *walk.Service
	Log *slog.Logger
	// Scenarios answers ?scenario=<id> on the living-circle endpoints (internal/scenario);
	// nil refuses the parameter.
	Scenarios ScenarioSource
}

// ScenarioSource computes the living-circle report on baseline plus a scenario's changes.
// city may be empty (the scenario's city); another city than the scenario's is a 400.
type ScenarioSource interface {
	LivingCircleReport(ctx context.Context, scenario int64, city string, opt walk.Options) (*walk.Report, error)
	// Isochrone is the isochrone on the scenario's network; req.City may be empty.
	Isochrone(ctx context.Context, scenario int64, req walk.IsochroneRequest) (*walk.IsochroneResult, error)
	LivingCircleParcels(ctx context.Context, scenario int64, city string, opt walk.Options, q walk.ParcelQuery) (*walk.ParcelPage, error)
}

// Routes are
//
//	GET /api/v1/isochrones?lon=&lat=&minutes=5,10,15[&distances=][&speed=][&city=][&segments=true][&scenario=]
//	GET /api/v1/indicators/living-circle?city=&level=&share=&target=&reach=code:m,…&scenario=
//	GET /api/v1/indicators/living-circle/communities.geojson?city=&share=&reach=&scenario=
//	GET /api/v1/indicators/living-circle/parcels?city=&category=&reach=&profile=&after=&limit=&scenario=
//	GET /api/v1/walk/network?city=
func (h Handler) Routes() []httpapi.Route {
	read := func(path, op, summary string, ps []httpapi.Param, rs []httpapi.Response, hf gin.HandlerFunc) httpapi.Route {
		// Everything but an isochrone (one search, milliseconds) may load and search a whole
		// city.
		return httpapi.Route{Method: http.MethodGet, Path: path, Access: httpapi.AnonymousRead, Summary: summary, OperationID: op,
			Heavy: path != "/api/v1/isochrones", Params: ps, Responses: rs, Problems: []int{400, 404, 422}, Handlers: []gin.HandlerFunc{hf}}
	}
	city := httpapi.Param{Name: "city", Description: "city slug", Example: "baotou"}
	scen := httpapi.ScenarioParam
	share := httpapi.Param{Name: "share", Description: "share of residents a category must reach", Schema: httpapi.Num}
	reach := httpapi.Param{Name: "reach", Description: "per-category reach overrides code:metres,…"}
	profile := httpapi.Param{Name: "profile", Description: "walking profile scaling every tier by its speed (wheelchair: no steps)", Schema: httpapi.Enum(walk.ProfileCodes()...)}
	at := httpapi.Param{Name: "at", Description: "time of day HH:MM: parks are entered only through gates open then (default: gates open at any time of day)", Example: "07:30"}
	return []httpapi.Route{
		read("/api/v1/isochrones", "getIsochrones", "Walking isochrones around a point on the cached network.", []httpapi.Param{
			{Name: "lon", Description: "longitude (WGS 84)", Required: true, Schema: httpapi.Num, Example: 109.935},
			{Name: "lat", Description: "latitude (WGS 84)", Required: true, Schema: httpapi.Num, Example: 40.625},
			{Name: "minutes", Description: "comma-separated walking minutes (default 5,10,15)"},
			{Name: "distances", Description: "comma-separated distances in metres, instead of minutes"},
			{Name: "speed", Description: "walking speed in m/min"},
			{Name: "segments", Description: "also return the reached network segments", Schema: httpapi.Bool}, city, scen},
			httpapi.GeoJSON("One polygon per cutoff"), h.isochrones),
		read("/api/v1/indicators/living-circle", "getLivingCircle", "The 15-minute living-circle indicator by level.", []httpapi.Param{city,
			{Name: "level", Description: "community, subdistrict or district", Schema: httpapi.Enum("community", "subdistrict", "district")},
			share, {Name: "target", Description: "complete communities required", Schema: httpapi.Int}, reach, profile, at, scen, editionhttp.AsOfParam, capacityhttp.BandParam},
			httpapi.JSON("The indicator", httpapi.Obj(httpapi.Schema{"city": httpapi.Obj(nil), "level": httpapi.Str, "share": httpapi.Num,
				"categories": httpapi.Arr(httpapi.Obj(nil)), "areas": httpapi.Arr(httpapi.Obj(nil)), "target_met": httpapi.Bool}, "city", "level", "areas")), h.livingCircle),
		read("/api/v1/indicators/living-circle/communities.geojson", "getLivingCircleCommunities", "Each community's living-circle status as GeoJSON.",
			[]httpapi.Param{city, share, reach, profile, at, scen}, httpapi.GeoJSON("One feature per community"), h.communities),
		read("/api/v1/indicators/living-circle/parcels", "getLivingCircleParcels",
			"Per residential parcel, the walking distance to the nearest facility of each category and that facility.",
			[]httpapi.Param{city, {Name: "category", Description: "comma-separated category codes (default: every category)"}, reach, profile, at, scen,
				{Name: "after", Description: "keyset paging: parcels with an id above this one (the previous page's next)", Schema: httpapi.Int},
				{Name: "limit", Description: "parcels per page", Schema: httpapi.Schema{"type": "integer", "minimum": 1, "maximum": walk.MaxParcelPage, "default": walk.MaxParcelPage}}},
			httpapi.GeoJSON("One point feature per parcel, id order"), h.parcels),
		read("/api/v1/walk/network", "getWalkNetwork", "The cached walking network of a city: its size and connectivity.", []httpapi.Param{city},
			httpapi.JSON("The network's size and connectivity", httpapi.Obj(httpapi.Schema{"city": httpapi.Obj(nil),
				"network": httpapi.Obj(httpapi.Schema{"edges": httpapi.Int, "nodes": httpapi.Int, "components": httpapi.Int}, "edges", "nodes"), "version": httpapi.Str}, "city", "network")), h.network),
	}
}

func floatParam(c *gin.Context, name string, required bool) (float64, error) {
	v := c.Query(name)
	if v == "" {
		if required {
			return 0, problem.BadRequest(name+" is required").With("parameter", name)
		}
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, problem.BadRequest(fmt.Sprintf("%s must be a number, not %q", name, v)).With("parameter", name)
	}
	return f, nil
}

func boolParam(c *gin.Context, name string) (bool, error) {
	v := c.Query(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, problem.BadRequest(fmt.Sprintf("%s must be true or false, not %q", name, v)).With("parameter", name)
	}
	return b, nil
}

func (h Handler) isochrones(c *gin.Context) {
	req := walk.IsochroneRequest{City: c.Query("city")}
	var err error
	if req.Lon, err = floatParam(c, "lon", true); err == nil {
		if req.Lat, err = floatParam(c, "lat", true); err == nil {
			if req.Segments, err = boolParam(c, "segments"); err == nil {
				req.Cutoffs, err = walk.ParseCutoffs(c.Query("minutes"), c.Query("distances"), c.Query("speed"))
			}
		}
	}
	var id int64
	if err == nil {
		id, err = httpapi.ScenarioQuery(c, h.Scenarios != nil)
	}
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	var res *walk.IsochroneResult
	if id > 0 {
		c.Header("Cache-Control", "no-store")
		res, err = h.Scenarios.Isochrone(c.Request.Context(), id, req)
	} else {
		res, err = h.Svc.Isochrone(c.Request.Context(), req)
	}
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	writeJSON(c, "application/geo+json", res)
}

func livingOptions(c *gin.Context) (walk.Options, error) {
	opt := walk.Options{Level: c.Query("level"), Profile: c.Query("profile"), Bands: capacityhttp.Bands(c)}
	var err error
	if opt.Share, err = floatParam(c, "share", false); err != nil {
		return opt, err
	}
	if v := c.Query("target"); v != "" {
		if opt.Target, err = strconv.Atoi(v); err != nil || opt.Target <= 0 {
			return opt, problem.BadRequest(fmt.Sprintf("target must be a positive integer, not %q", v)).With("parameter", "target")
		}
	}
	if opt.At, err = walk.ParseAt(c.Query("at")); err != nil {
		return opt, err
	}
	opt.Reach, err = walk.ParseReach(c.Query("reach"))
	return opt, err
}

func cityParam(c *gin.Context) (string, error) {
	slug := c.Query("city")
	if slug == "" {
		return "", problem.BadRequest("city is required").With("parameter", "city")
	}
	return slug, nil
}

func (h Handler) livingCircle(c *gin.Context) {
	rep, err := h.report(c, "")
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	writeJSON(c, "application/json", rep)
}

// report computes the living-circle report of the request: on the city's baseline, or,
// with scenario=<id>, on baseline plus the scenario's changes (city= then optional).
func (h Handler) report(c *gin.Context, level string) (*walk.Report, error) {
	id, err := httpapi.ScenarioQuery(c, h.Scenarios != nil)
	if err != nil {
		return nil, err
	}
	if id > 0 {
		opt, err := livingOptions(c)
		if err != nil {
			return nil, err
		}
		if level != "" {
			opt.Level = level
		}
		c.Header("Cache-Control", "no-store")
		return h.Scenarios.LivingCircleReport(c.Request.Context(), id, c.Query("city"), opt)
	}
	slug, err := cityParam(c)
	if err != nil {
		return nil, err
	}
	opt, err := livingOptions(c)
	if err != nil {
		return nil, err
	}
	if level != "" {
		opt.Level = level
	}
	if v := c.Query("as_of"); v != "" {
		return h.Svc.LivingCircleAsOf(c.Request.Context(), slug, opt, v)
	}
	return h.Svc.LivingCircle(c.Request.Context(), slug, opt)
}

func (h Handler) communities(c *gin.Context) {
	rep, err := h.report(c, walk.LevelCommunity)
	if err == nil {
		var fc json.RawMessage
		if fc, err = h.Svc.CommunitiesGeoJSON(c.Request.Context(), rep); err == nil {
			c.Data(http.StatusOK, "application/geo+json", fc)
			return
		}
	}
	problem.Respond(c, h.Log, err)
}

// parcels serves the per-parcel living circle, one keyset page at a time.
func (h Handler) parcels(c *gin.Context) {
	page, err := h.parcelPage(c)
	if err == nil {
		var fc json.RawMessage
		if fc, err = h.Svc.ParcelsGeoJSON(c.Request.Context(), page, nil); err == nil {
			c.Data(http.StatusOK, "application/geo+json", fc)
			return
		}
	}
	problem.Respond(c, h.Log, err)
}

func (h Handler) parcelPage(c *gin.Context) (*walk.ParcelPage, error) {
	opt, err := livingOptions(c)
	if err != nil {
		return nil, err
	}
	q := walk.ParcelQuery{}
	if v := c.Query("category"); v != "" {
		q.Categories = strings.Split(v, ",")
	}
	if v := c.Query("after"); v != "" {
		a, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, problem.BadRequest(fmt.Sprintf("after must be a parcel id, not %q", v)).With("parameter", "after")
		}
		q.After = &a
	}
	if v := c.Query("limit"); v != "" {
		if q.Limit, err = strconv.Atoi(v); err != nil || q.Limit < 1 || q.Limit > walk.MaxParcelPage {
			return nil, problem.BadRequest(fmt.Sprintf("limit must be from 1 to %d, not %q", walk.MaxParcelPage, v)).With("parameter", "limit")
		}
	}
	if v := c.Query("scenario"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 || h.Scenarios == nil {
			return nil, problem.BadRequest("scenario must be a scenario id").With("parameter", "scenario")
		}
		c.Header("Cache-Control", "no-store")
		return h.Scenarios.LivingCircleParcels(c.Request.Context(), id, c.Query("city"), opt, q)
	}
	slug, err := cityParam(c)
	if err != nil {
		return nil, err
	}
	return h.Svc.LivingCircleParcels(c.Request.Context(), slug, opt, q)
}

func (h Handler) network(c *gin.Context) {
	slug, err := cityParam(c)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	ctx := c.Request.Context()
	city, err := h.Svc.City(ctx, slug)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	n, err := h.Svc.Network(ctx, city)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	writeJSON(c, "application/json", map[string]any{"city": city, "version": n.Version, "network": n.Stats})
}

func writeJSON(c *gin.Context, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		problem.Respond(c, nil, err)
		return
	}
	c.Data(http.StatusOK, contentType, b)
}
