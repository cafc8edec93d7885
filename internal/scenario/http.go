package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/problem"
)

// maxChangeBytes bounds the body of one change.
const maxChangeBytes = 8 << 20

// Handler serves the scenario routes. Reading (list, get, compare) needs a viewer token,
// or none when AnonymousRead is on, as for the layers; creating needs an editor; changing,
// deleting and promoting a scenario needs its owner or an admin (with at least the editor
// role).
type Handler struct {
	Svc           *Service
	Tokens        auth.Looker
	AnonymousRead bool
	Log           *slog.Logger
}

// Mount registers
//
//	POST   /api/v1/scenarios                        {city, name, description}
//	GET    /api/v1/scenarios?city=
//	GET    /api/v1/scenarios/{id}
//	DELETE /api/v1/scenarios/{id}
//	POST   /api/v1/scenarios/{id}/changes           a ChangeInput
//	DELETE /api/v1/scenarios/{id}/changes/{n}
//	GET    /api/v1/scenarios/{id}/compare?caliber=&method=&level=&indicators=
//	POST   /api/v1/scenarios/{id}/promote
//	POST   /api/v1/indicators/park-coverage/sites/scenario?city=&caliber=&n=&site_area=&name=
func (h Handler) Mount(r *gin.Engine) {
	v1 := r.Group("/api/v1", auth.Authenticate(h.Tokens, h.Log))
	read := auth.Require(auth.Viewer, h.AnonymousRead)
	write := auth.Require(auth.Editor, false)
	none := problem.Params()
	v1.POST("/scenarios", write, none, h.create)
	v1.GET("/scenarios", read, problem.Params("city"), h.list)
	v1.GET("/scenarios/:id", read, none, h.get)
	v1.DELETE("/scenarios/:id", write, none, h.remove)
	v1.POST("/scenarios/:id/changes", write, none, h.addChange)
	v1.DELETE("/scenarios/:id/changes/:n", write, none, h.removeChange)
	v1.GET("/scenarios/:id/compare", read, problem.Params("caliber", "method", "level", "indicators"), h.compare)
	v1.POST("/scenarios/:id/promote", write, none, h.promote)
	v1.POST("/indicators/park-coverage/sites/scenario", write, problem.Params("city", "caliber", "n", "site_area", "name"), h.fromSites)
}

func (h Handler) fail(c *gin.Context, err error) { problem.Respond(c, h.Log, err) }

// ParseID reads a scenario id (the path segment or the scenario= parameter).
func ParseID(name, v string) (int64, error) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.BadRequest(name+" must be a scenario id (a positive integer)").With("parameter", name)
	}
	return id, nil
}

// owned loads the scenario of the path and checks the caller may change it.
func (h Handler) owned(c *gin.Context) (*Scenario, bool) {
	id, err := ParseID("id", c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	sc, err := h.Svc.Store.Get(c.Request.Context(), id, false)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	p := auth.FromContext(c)
	if p.Name != sc.Owner && p.Role != auth.Admin {
		h.fail(c, problem.New(http.StatusForbidden, fmt.Sprintf("scenario %d belongs to %s; only its owner or an admin may change it", sc.ID, sc.Owner)))
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
	raw, perr := problem.ReadJSON(c.Request.Body, 1<<16)
	if perr != nil {
		h.fail(c, perr)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		h.fail(c, problem.BadRequest("the body must be {\"city\", \"name\", \"description\"}"))
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
	id, err := ParseID("id", c.Param("id"))
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
	var in ChangeInput
	raw, perr := problem.ReadJSON(c.Request.Body, maxChangeBytes)
	if perr != nil {
		h.fail(c, perr)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		h.fail(c, problem.BadRequest("the body must be a change: {\"layer\", \"op\", \"target_id\", \"feature\", \"entrances\"}: "+clip(err.Error())))
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
	id, err := ParseID("id", c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	q := CompareQuery{Caliber: c.Query("caliber"), Method: c.Query("method"), Level: c.Query("level")}
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
	area, err := strconv.Atoi(c.DefaultQuery("site_area", "400"))
	if err != nil || area < 50 || area > 100000 {
		h.fail(c, problem.BadRequest("site_area must be an integer from 50 to 100000 (m²)").With("parameter", "site_area"))
		return
	}
	sc, err := h.Svc.FromSites(c.Request.Context(), SitesRequest{City: c.Query("city"), Caliber: c.Query("caliber"), N: n,
		SiteAreaM2: float64(area), Name: c.Query("name"), Owner: auth.FromContext(c).Name})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/scenarios/"+strconv.FormatInt(sc.ID, 10))
	c.JSON(http.StatusCreated, sc)
}
