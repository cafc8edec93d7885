// Package scenariohttp is the HTTP adapter of package scenario: create, read, edit, compare
// and promote scenarios.
package scenariohttp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/coverage/coveragehttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/scenario"
)

// maxChangeBytes bounds the body of one change.
const maxChangeBytes = 8 << 20

// Handler serves the scenario routes. Reading (list, get, compare) is a read, as for the
// layers; creating needs an editor; changing, deleting and promoting a scenario needs its
// owner or an admin (with at least the editor role). Routes declares this; the engine
// enforces it.
type Handler struct {
	Svc *scenario.Service
	Log *slog.Logger
}

// Routes are
//
//	POST   /api/v1/scenarios                        {city, name, description}
//	GET    /api/v1/scenarios?city=
//	GET    /api/v1/scenarios/{id}
//	DELETE /api/v1/scenarios/{id}
//	POST   /api/v1/scenarios/{id}/changes           a ChangeInput
//	DELETE /api/v1/scenarios/{id}/changes/{n}
//	GET    /api/v1/scenarios/{id}/compare?caliber=&method=&level=&indicators=
//	POST   /api/v1/scenarios/{id}/promote
//	POST   /api/v1/indicators/park-coverage/sites/scenario?city=&caliber=&method=&n=&site_area=&name=
//	POST   /api/v1/indicators/park-coverage/siting/scenario?city=&caliber=&method=&k=&targets=&weight=&band=&site_area=&time_limit=&name=
func (h Handler) Routes() []httpapi.Route {
	route := func(method, path string, access httpapi.Access, op, summary string, hf gin.HandlerFunc, rs ...httpapi.Response) httpapi.Route {
		return httpapi.Route{Method: method, Path: "/api/v1" + path, Access: access, Summary: summary, OperationID: op,
			Responses: rs, Problems: []int{400, 404, 409, 422}, Handlers: []gin.HandlerFunc{hf}}
	}
	owned := func(method, path, op, summary string, hf gin.HandlerFunc, rs ...httpapi.Response) httpapi.Route {
		rt := route(method, path, httpapi.Editor, op, summary, hf, rs...)
		rt.Owner, rt.OwnerOf = httpapi.OwnerOrAdmin, h.ownerOf
		return rt
	}
	ok := func(desc string, s httpapi.Schema) httpapi.Response {
		return httpapi.Response{Status: http.StatusOK, Description: desc, Type: httpapi.JSONType, Schema: s}
	}
	created := func(desc string, s httpapi.Schema) httpapi.Response {
		return httpapi.Response{Status: http.StatusCreated, Description: desc, Type: httpapi.JSONType, Schema: s}
	}
	sc := httpapi.Ref("Scenario")
	change := httpapi.Obj(httpapi.Schema{"n": httpapi.Int, "layer": httpapi.Str, "op": httpapi.Enum("insert", "update", "delete")}, "n", "layer", "op")
	body := func(rt httpapi.Route, desc string, s httpapi.Schema) httpapi.Route {
		rt.Body = &httpapi.Body{Description: desc, Schema: s}
		return rt
	}
	list := route(http.MethodGet, "/scenarios", httpapi.AnonymousRead, "listScenarios", "The scenarios, newest first.", h.list,
		ok("The scenarios", httpapi.Obj(httpapi.Schema{"scenarios": httpapi.Arr(sc)}, "scenarios")))
	list.Params = []httpapi.Param{{Name: "city", Description: "only this city's"}}
	compare := route(http.MethodGet, "/scenarios/:id/compare", httpapi.AnonymousRead, "compareScenario", "The indicators on baseline and on the scenario, side by side.", h.compare,
		ok("Baseline and scenario figures", httpapi.Obj(nil)))
	compare.Params = []httpapi.Param{{Name: "caliber"}, {Name: "method"}, {Name: "level"}, {Name: "indicators", Description: "comma-separated indicators"}}
	sites := route(http.MethodPost, "/indicators/park-coverage/sites/scenario", httpapi.Editor, "scenarioFromSites", "Make a scenario of suggested park sites.", h.fromSites,
		created("The new scenario", sc))
	sites.Params = []httpapi.Param{{Name: "city", Required: true}, {Name: "caliber"}, {Name: "method"}, {Name: "n", Schema: httpapi.Int}, {Name: "site_area", Schema: httpapi.Int}, {Name: "name"}}
	siting := route(http.MethodPost, "/indicators/park-coverage/siting/scenario", httpapi.Editor, "scenarioFromSiting",
		"Make a scenario of the best k parks of the optimal siting (generated or drawn candidates).", h.fromSiting, created("The new scenario", sc))
	siting.Params = append([]httpapi.Param{{Name: "city", Required: true}, {Name: "caliber"}, {Name: "method"}, {Name: "name"}}, coveragehttp.SitingParams...)
	siting.Body = coveragehttp.SitingBody
	// A comparison and a site search compute the indicators of a whole city.
	compare.Heavy, sites.Heavy, siting.Heavy = true, true, true
	return []httpapi.Route{
		body(route(http.MethodPost, "/scenarios", httpapi.Editor, "createScenario", "Create a scenario (the caller owns it).", h.create, created("The scenario", sc)),
			"city, name and description", httpapi.Obj(httpapi.Schema{"city": httpapi.Str, "name": httpapi.Str, "description": httpapi.Str}, "city", "name")),
		list,
		route(http.MethodGet, "/scenarios/:id", httpapi.AnonymousRead, "getScenario", "One scenario with its changes.", h.get, ok("The scenario", sc)),
		owned(http.MethodDelete, "/scenarios/:id", "deleteScenario", "Delete a scenario.", h.remove, httpapi.Response{Status: http.StatusNoContent, Description: "Deleted"}),
		body(owned(http.MethodPost, "/scenarios/:id/changes", "addScenarioChange", "Add a change to a scenario.", h.addChange, created("The change", change)),
			"a change: layer, op, target_id, properties, geometry", httpapi.Obj(httpapi.Schema{"layer": httpapi.Str, "op": httpapi.Enum("insert", "update", "delete")}, "layer", "op")),
		owned(http.MethodDelete, "/scenarios/:id/changes/:n", "removeScenarioChange", "Remove a change from a scenario.", h.removeChange, httpapi.Response{Status: http.StatusNoContent, Description: "Removed"}),
		compare,
		owned(http.MethodPost, "/scenarios/:id/promote", "promoteScenario", "Write a scenario's changes into the baseline.", h.promote, ok("What was written", httpapi.Obj(nil))),
		sites,
		siting,
	}
}

const scenarioKey = "cityreach.scenario"

// ownerOf names the owner of the scenario of the path and keeps the scenario for owned.
// Schemas implements httpapi.Components.
func (Handler) Schemas() map[string]httpapi.Schema {
	return map[string]httpapi.Schema{"Scenario": httpapi.Obj(httpapi.Schema{"id": httpapi.Int, "city": httpapi.Str, "name": httpapi.Str,
		"description": httpapi.Str, "owner": httpapi.Str, "created_at": httpapi.Str, "updated_at": httpapi.Str,
		"changes": httpapi.Arr(httpapi.Obj(nil)), "n_changes": httpapi.Int}, "id", "city", "name", "owner")}
}

func (h Handler) ownerOf(c *gin.Context) (string, bool, error) {
	id, err := scenario.ParseID("id", c.Param("id"))
	if err != nil {
		return "", false, err
	}
	sc, err := h.Svc.Store.Get(c.Request.Context(), id, false)
	if errors.Is(err, scenario.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	c.Set(scenarioKey, sc)
	return sc.Owner, true, nil
}

func (h Handler) fail(c *gin.Context, err error) { problem.Respond(c, h.Log, err) }

// owned returns the scenario of the path, which the engine's owner check (ownerOf) has
// loaded and found to be the caller's or the caller an admin.
func (h Handler) owned(c *gin.Context) (*scenario.Scenario, bool) {
	if v, ok := c.Get(scenarioKey); ok {
		return v.(*scenario.Scenario), true
	}
	id, err := scenario.ParseID("id", c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	sc, err := h.Svc.Store.Get(c.Request.Context(), id, false)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return sc, true
}

func (h Handler) create(c *gin.Context) {
	var in struct {
		City        string `json:"city"`
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if perr := problem.DecodeJSON(c.Request.Body, 1<<16, &in, func(error) string { return "the body must be {\"city\", \"name\", \"description\"}" }); perr != nil {
		h.fail(c, perr)
		return
	}
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 200 {
		h.fail(c, problem.BadRequest("name is required (at most 200 bytes)").With("pointer", "/name"))
		return
	}
	if len(in.Description) > 4000 {
		h.fail(c, problem.BadRequest("description is at most 4000 bytes").With("pointer", "/description"))
		return
	}
	sc, err := h.Svc.Store.Create(c.Request.Context(), in.City, in.Name, in.Description, auth.FromContext(c).Name)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/scenarios/"+strconv.FormatInt(sc.ID, 10))
	c.JSON(http.StatusCreated, sc)
}

func (h Handler) list(c *gin.Context) {
	out, err := h.Svc.Store.List(c.Request.Context(), c.Query("city"))
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"scenarios": out})
}

func (h Handler) get(c *gin.Context) {
	id, err := scenario.ParseID("id", c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	sc, err := h.Svc.Store.Get(c.Request.Context(), id, true)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sc)
}

func (h Handler) remove(c *gin.Context) {
	sc, ok := h.owned(c)
	if !ok {
		return
	}
	if err := h.Svc.Store.Delete(c.Request.Context(), sc.ID); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h Handler) addChange(c *gin.Context) {
	sc, ok := h.owned(c)
	if !ok {
		return
	}
	var in scenario.ChangeInput
	if perr := problem.DecodeJSON(c.Request.Body, maxChangeBytes, &in, func(err error) string {
		return "the body must be a change: {\"layer\", \"op\", \"target_id\", \"feature\", \"entrances\"}: " + scenario.Clip(err.Error())
	}); perr != nil {
		h.fail(c, perr)
		return
	}
	ch, err := h.Svc.Store.AddChange(c.Request.Context(), sc, in)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/scenarios/%d/changes/%d", sc.ID, ch.N))
	c.JSON(http.StatusCreated, ch)
}

func (h Handler) removeChange(c *gin.Context) {
	sc, ok := h.owned(c)
	if !ok {
		return
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n <= 0 {
		h.fail(c, problem.BadRequest("n must be a change number").With("parameter", "n"))
		return
	}
	if err := h.Svc.Store.RemoveChange(c.Request.Context(), sc, n); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h Handler) compare(c *gin.Context) {
	id, err := scenario.ParseID("id", c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	q := scenario.CompareQuery{Caliber: c.Query("caliber"), Method: c.Query("method"), Level: c.Query("level")}
	if v := c.Query("indicators"); v != "" {
		q.Indicators = strings.Split(v, ",")
	}
	cmp, err := h.Svc.Compare(c.Request.Context(), id, q)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, cmp)
}

func (h Handler) promote(c *gin.Context) {
	sc, ok := h.owned(c)
	if !ok {
		return
	}
	out, err := h.Svc.Store.Promote(c.Request.Context(), sc.ID, auth.FromContext(c).Name)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (h Handler) fromSites(c *gin.Context) {
	n, err := strconv.Atoi(c.DefaultQuery("n", "5"))
	if err != nil || n < 1 || n > 200 {
		h.fail(c, problem.BadRequest("n must be an integer from 1 to 200").With("parameter", "n"))
		return
	}
	area, err := strconv.Atoi(c.DefaultQuery("site_area", strconv.Itoa(coverage.DefaultSiteAreaM2)))
	if err != nil || area < coverage.MinSiteAreaM2 || area > coverage.MaxSiteAreaM2 {
		h.fail(c, problem.BadRequest(fmt.Sprintf("site_area must be an integer from %d to %d (m², pocket parks)", coverage.MinSiteAreaM2, coverage.MaxSiteAreaM2)).With("parameter", "site_area"))
		return
	}
	sc, _, err := h.Svc.FromSites(c.Request.Context(), scenario.SitesRequest{City: c.Query("city"), Caliber: c.Query("caliber"), Method: c.Query("method"), N: n,
		SiteAreaM2: float64(area), Name: c.Query("name"), Owner: auth.FromContext(c).Name})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/scenarios/"+strconv.FormatInt(sc.ID, 10))
	c.JSON(http.StatusCreated, sc)
}

func (h Handler) fromSiting(c *gin.Context) {
	q, o, err := coveragehttp.SitingQuery(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	drawn, err := coveragehttp.ReadDrawn(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	sc, _, err := h.Svc.FromSiting(c.Request.Context(), scenario.SitingRequest{Query: q, Options: o, Drawn: drawn, Name: c.Query("name"), Owner: auth.FromContext(c).Name})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/scenarios/"+strconv.FormatInt(sc.ID, 10))
	c.JSON(http.StatusCreated, sc)
}
