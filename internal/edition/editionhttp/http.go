// Package editionhttp serves internal/edition over HTTP: the data editions and the as_of=
// parameter of the routes that can answer on a past state.
package editionhttp

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

// Handler serves the data editions. Anyone who may read may list them; an editor creates
// and deletes a draft; publishing, which freezes an edition for good, needs an admin.
type Handler struct {
	Store edition.Store
	Log   *slog.Logger
}

// Routes are
//
//	GET    /api/v1/editions?city=&published=      the city's editions, oldest as_of first
//	POST   /api/v1/editions                        {city, name, description, as_of}
//	GET    /api/v1/editions/{id}
//	DELETE /api/v1/editions/{id}                   a draft only
//	POST   /api/v1/editions/{id}/publish
func (h Handler) Routes() []httpapi.Route {
	ed := httpapi.Ref("DataEdition")
	route := func(method, path string, access httpapi.Access, op, summary string, hf gin.HandlerFunc, rs ...httpapi.Response) httpapi.Route {
		return httpapi.Route{Method: method, Path: "/api/v1" + path, Access: access, Summary: summary, OperationID: op,
			Responses: rs, Problems: []int{400, 404, 409}, Handlers: []gin.HandlerFunc{hf}}
	}
	one := func(status int, desc string) httpapi.Response {
		return httpapi.Response{Status: status, Description: desc, Type: httpapi.JSONType, Schema: ed}
	}
	list := route(http.MethodGet, "/editions", httpapi.AnonymousRead, "listEditions", "A city's data editions, oldest first.", h.list,
		httpapi.Response{Status: http.StatusOK, Description: "The editions", Type: httpapi.JSONType,
			Schema: httpapi.Obj(httpapi.Schema{"editions": httpapi.Arr(ed)}, "editions")})
	list.Params = []httpapi.Param{{Name: "city", Required: true, Description: "city slug"},
		{Name: "published", Description: "true: only published editions", Schema: httpapi.Bool}}
	create := route(http.MethodPost, "/editions", httpapi.Editor, "createEdition", "Create a draft data edition: every layer of a city as of an instant.", h.create,
		one(http.StatusCreated, "The new edition"))
	create.Body = &httpapi.Body{Description: "city, name, description and as_of (RFC 3339; default now)",
		Schema: httpapi.Obj(httpapi.Schema{"city": httpapi.Str, "name": httpapi.Str, "description": httpapi.Str,
			"as_of": httpapi.Schema{"type": "string", "format": "date-time"}}, "city", "name")}
	return []httpapi.Route{
		list,
		create,
		route(http.MethodGet, "/editions/:id", httpapi.AnonymousRead, "getEdition", "One data edition.", h.get, one(http.StatusOK, "The edition")),
		route(http.MethodDelete, "/editions/:id", httpapi.Editor, "deleteEdition", "Delete a draft data edition (a published one is kept for good).", h.remove,
			httpapi.Response{Status: http.StatusNoContent, Description: "Deleted"}),
		route(http.MethodPost, "/editions/:id/publish", httpapi.Admin, "publishEdition", "Publish a data edition; it can then never change.", h.publish,
			one(http.StatusOK, "The published edition")),
	}
}

// Schemas implements httpapi.Components.
func (Handler) Schemas() map[string]httpapi.Schema {
	ts := httpapi.Schema{"type": "string", "format": "date-time"}
	return map[string]httpapi.Schema{"DataEdition": httpapi.Obj(httpapi.Schema{"id": httpapi.Int, "city": httpapi.Str, "name": httpapi.Str,
		"description": httpapi.Str, "as_of": ts, "created_by": httpapi.Str, "created_at": ts,
		"published_at": httpapi.Nullable(ts), "published_by": httpapi.Nullable(httpapi.Str)}, "id", "city", "name", "as_of")}
}

func (h Handler) fail(c *gin.Context, err error) {
	if errors.Is(err, edition.ErrNotFound) {
		err = problem.NotFound("no such edition")
	}
	problem.Respond(c, h.Log, err)
}

func (h Handler) list(c *gin.Context) {
	published := false
	switch v := c.Query("published"); v {
	case "", "false":
	case "true":
		published = true
	default:
		h.fail(c, problem.BadRequest("published must be true or false").With("parameter", "published"))
		return
	}
	list, err := h.Store.List(c.Request.Context(), c.Query("city"), published)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"editions": list})
}

func (h Handler) create(c *gin.Context) {
	var in struct {
		City        string     `json:"city"`
		Name        string     `json:"name"`
		Description string     `json:"description"`
		AsOf        *time.Time `json:"as_of"`
	}
	if perr := problem.DecodeJSON(c.Request.Body, 1<<16, &in, func(error) string {
		return "the body must be {\"city\", \"name\", \"description\", \"as_of\"} with as_of an RFC 3339 time"
	}); perr != nil {
		h.fail(c, perr)
		return
	}
	e, err := h.Store.Create(c.Request.Context(), edition.New{City: in.City, Name: in.Name, Description: in.Description, AsOf: in.AsOf}, auth.FromContext(c).Name)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/editions/"+strconv.FormatInt(e.ID, 10))
	c.JSON(http.StatusCreated, e)
}

// byID runs f with the edition id of the path.
func (h Handler) byID(c *gin.Context, f func(id int64) (any, int, error)) {
	id, err := edition.ParseID("id", c.Param("id"))
	if err != nil {
		h.fail(c, err)
		return
	}
	v, status, err := f(id)
	if err != nil {
		h.fail(c, err)
		return
	}
	if v == nil {
		c.Status(status)
		return
	}
	c.JSON(status, v)
}

func (h Handler) get(c *gin.Context) {
	h.byID(c, func(id int64) (any, int, error) {
		e, err := h.Store.Get(c.Request.Context(), id)
		return e, http.StatusOK, err
	})
}

func (h Handler) remove(c *gin.Context) {
	h.byID(c, func(id int64) (any, int, error) {
		return nil, http.StatusNoContent, h.Store.Delete(c.Request.Context(), id)
	})
}

func (h Handler) publish(c *gin.Context) {
	h.byID(c, func(id int64) (any, int, error) {
		e, err := h.Store.Publish(c.Request.Context(), id, auth.FromContext(c).Name)
		return e, http.StatusOK, err
	})
}

// AsOfParam is the as_of= parameter of the routes that can answer on a past state.
var AsOfParam = httpapi.Param{Name: "as_of", Description: "the data as of an edition of the city (its name), an RFC 3339 time, or a date YYYY-MM-DD (00:00 Beijing time); default: now"}
