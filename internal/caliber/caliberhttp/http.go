// Package caliberhttp is the HTTP adapter of package caliber: it lists the calibers and
// stores a new one (GET and POST /api/v1/calibers).
package caliberhttp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

// Handler serves GET and POST /api/v1/calibers.
type Handler struct {
	Registry *caliber.Registry
	// Store persists user calibers; nil keeps them in memory only.
	Store *caliber.Store
	// Cities gives a city's default caliber for GET ?city=; nil refuses the parameter.
	Cities Cities
	Log    *slog.Logger
}

// Cities knows each city's default caliber (coverage.Service, from cities.default_caliber).
// Its errors are problems naming the parameter.
type Cities interface {
	DefaultCaliber(ctx context.Context, city string) (string, error)
}

// Listed is a caliber as GET /api/v1/calibers lists it: with DefaultMethod, the method a
// request under it that names none is computed with (the caliber's Method).
type Listed struct {
	caliber.Caliber
	DefaultMethod string `json:"default_method"`
}

// CityDefault is a city's defaults as GET /api/v1/calibers?city= gives them.
type CityDefault struct {
	City           string `json:"city"`
	DefaultCaliber string `json:"default_caliber"`
	DefaultMethod  string `json:"default_method"`
}

// Routes are the caliber routes: everyone who may read lists the calibers; only an admin
// adds one, since a caliber is stored for every user of the server.
func (h Handler) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: http.MethodGet, Path: "/api/v1/calibers", Access: httpapi.AnonymousRead,
			Summary: "The park-coverage calibers, built-in and stored.", OperationID: "listCalibers",
			Params: []httpapi.Param{{Name: "city", Description: "a city slug: also give its default caliber and method", Example: "baotou"}},
			Responses: httpapi.JSON("The calibers", httpapi.Obj(httpapi.Schema{"calibers": httpapi.Arr(httpapi.Ref("Caliber")),
				"city": httpapi.Obj(httpapi.Schema{"city": httpapi.Str, "default_caliber": httpapi.Str, "default_method": httpapi.Str}, "city", "default_caliber", "default_method")}, "calibers")),
			Problems: []int{400, 404}, Handlers: []gin.HandlerFunc{h.list}},
		{Method: http.MethodPost, Path: "/api/v1/calibers", Access: httpapi.Admin,
			Summary: "Add and store a caliber.", OperationID: "addCaliber",
			Body:      &httpapi.Body{Description: "the caliber", Schema: httpapi.Ref("Caliber")},
			Responses: []httpapi.Response{{Status: http.StatusCreated, Description: "Stored", Type: httpapi.JSONType, Schema: httpapi.Ref("Caliber")}},
			Problems:  []int{409, 422}, Handlers: []gin.HandlerFunc{h.add}},
	}
}

// list serves GET /api/v1/calibers[?city=]: every caliber with its default method and,
// with city, the city's default caliber and method: what a request naming neither gets.
// Schemas implements httpapi.Components: a caliber as the API reads and writes it.
func (Handler) Schemas() map[string]httpapi.Schema {
	s, n, b := httpapi.Str, httpapi.Num, httpapi.Bool
	return map[string]httpapi.Schema{"Caliber": httpapi.Obj(httpapi.Schema{
		"id": s, "title": s, "title_en": s, "source": s, "status": s, "classes": httpapi.Arr(s), "pocket_parks": b,
		"open_status": httpapi.Arr(s), "bands": httpapi.Arr(httpapi.Obj(httpapi.Schema{"min_area_m2": n, "radius_m": n})),
		"method": s, "barriers": b, "headline": s, "targets": httpapi.Arr(httpapi.Obj(httpapi.Schema{"label": s, "ratio": n})),
		"per_capita": httpapi.Obj(nil), "builtin": b, "default_method": s}, "id")}
}

func (h Handler) list(c *gin.Context) {
	cs := h.Registry.List()
	out := make([]Listed, len(cs))
	for i, cal := range cs {
		out[i] = Listed{Caliber: cal, DefaultMethod: cal.Method}
	}
	body := gin.H{"calibers": out}
	if city := c.Query("city"); city != "" {
		if h.Cities == nil {
			problem.Respond(c, h.Log, problem.BadRequest("this server has no cities").With("parameter", "city"))
			return
		}
		id, err := h.Cities.DefaultCaliber(c.Request.Context(), city)
		if err != nil {
			problem.Respond(c, h.Log, err)
			return
		}
		cal, err := h.Registry.Get(id)
		if err != nil {
			problem.Respond(c, h.Log, problem.BadRequest("unknown caliber "+id).With("parameter", "caliber"))
			return
		}
		body["city"] = CityDefault{City: city, DefaultCaliber: id, DefaultMethod: cal.Method}
	}
	c.JSON(http.StatusOK, body)
}

func (h Handler) add(c *gin.Context) {
	raw, perr := problem.ReadJSON(c.Request.Body, 1<<20)
	if perr != nil {
		problem.Respond(c, h.Log, perr)
		return
	}
	cs, err := caliber.Decode(bytes.NewReader(raw))
	var ve *caliber.ValidationError
	switch {
	case errors.As(err, &ve):
		problem.Respond(c, h.Log, problem.BadRequest("invalid caliber: "+ve.Error()).With("parameter", ve.Field))
		return
	case err != nil:
		problem.Respond(c, h.Log, problem.BadRequest("unreadable body: "+err.Error()).With("parameter", "body"))
		return
	case len(cs) != 1:
		problem.Respond(c, h.Log, problem.BadRequest("post one caliber object").With("parameter", "body"))
		return
	}
	cal := cs[0]
	if _, err := h.Registry.Get(cal.ID); err == nil {
		problem.Respond(c, h.Log, problem.New(http.StatusConflict, "caliber "+cal.ID+" already exists").With("parameter", "id"))
		return
	}
	if h.Store != nil {
		if err := h.Store.Insert(c.Request.Context(), cal); errors.Is(err, caliber.ErrExists) {
			problem.Respond(c, h.Log, problem.New(http.StatusConflict, "caliber "+cal.ID+" already exists").With("parameter", "id"))
			return
		} else if err != nil {
			problem.Respond(c, h.Log, err)
			return
		}
	}
	if err := h.Registry.Add(cal); err != nil {
		problem.Respond(c, h.Log, problem.New(http.StatusConflict, err.Error()).With("parameter", "id"))
		return
	}
	got, _ := h.Registry.Get(cal.ID)
	c.Header("Location", "/api/v1/calibers/"+cal.ID)
	c.JSON(http.StatusCreated, got)
}
