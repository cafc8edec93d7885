package caliber

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

// Handler serves GET and POST /api/v1/calibers.
type Handler struct {
	Registry *Registry
	// Store persists user calibers; nil keeps them in memory only.
	Store *Store
	Log   *slog.Logger
}

// Routes are the caliber routes: everyone who may read lists the calibers; only an admin
// adds one, since a caliber is stored for every user of the server.
func (h Handler) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: http.MethodGet, Path: "/api/v1/calibers", Access: httpapi.AnonymousRead,
			Summary: "The park-coverage calibers, built-in and stored.", Handlers: []gin.HandlerFunc{h.list}},
		{Method: http.MethodPost, Path: "/api/v1/calibers", Access: httpapi.Admin,
			Summary: "Add and store a caliber.", Handlers: []gin.HandlerFunc{h.add}},
	}
}

func (h Handler) list(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"calibers": h.Registry.List()})
}

func (h Handler) add(c *gin.Context) {
	cs, err := Decode(c.Request.Body)
	var ve *ValidationError
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
		if err := h.Store.Insert(c.Request.Context(), cal); errors.Is(err, ErrExists) {
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
