package caliber

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/problem"
)

// Handler serves GET and POST /api/v1/calibers.
type Handler struct {
	Registry *Registry
	// Store persists user calibers; nil keeps them in memory only.
	Store *Store
	Log   *slog.Logger
}

// Mount registers the caliber routes.
func (h Handler) Mount(r *gin.Engine) {
	r.GET("/api/v1/calibers", problem.Params(), h.list)
	r.POST("/api/v1/calibers", problem.Params(), h.add)
}

func (h Handler) list(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"calibers": h.Registry.List()})
}

func (h Handler) add(c *gin.Context) {
	raw, perr := problem.ReadJSON(c.Request.Body, 1<<20)
	if perr != nil {
		problem.Respond(c, h.Log, perr)
		return
	}
	cs, err := Decode(bytes.NewReader(raw))
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
