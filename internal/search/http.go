package search

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

// Handler serves the search and the label points.
type Handler struct {
	Store Store
	Log   *slog.Logger
}

// Routes: GET /api/v1/search and GET /api/v1/labels, both anonymous reads.
func (h Handler) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: http.MethodGet, Path: "/api/v1/search", Access: httpapi.AnonymousRead,
			Summary:  "Names of districts, subdistricts, communities, parks and facilities matching q, ranked exact > prefix > substring, paged.",
			Handlers: []gin.HandlerFunc{h.search}},
		{Method: http.MethodGet, Path: "/api/v1/labels", Access: httpapi.AnonymousRead,
			Summary:  "One label point per district, subdistrict, community or park (GeoJSON).",
			Handlers: []gin.HandlerFunc{h.labels}},
	}
}

func (h Handler) search(c *gin.Context) {
	q, err := ParseQuery(c.Request.URL.Query())
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	res, err := h.Store.Search(c.Request.Context(), q)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, res)
}

func (h Handler) labels(c *gin.Context) {
	q, err := ParseLabelQuery(c.Request.URL.Query())
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	res, err := h.Store.Labels(c.Request.Context(), q)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Header("Content-Type", "application/geo+json")
	c.JSON(http.StatusOK, res)
}
