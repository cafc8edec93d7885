// Package searchhttp is the HTTP adapter of package search: the name search and the label
// points.
package searchhttp

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/search"
)

// Handler serves the search and the label points.
type Handler struct {
	Store search.Store
	Log   *slog.Logger
}

// Routes: GET /api/v1/search and GET /api/v1/labels, both anonymous reads.
func (h Handler) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: http.MethodGet, Path: "/api/v1/search", Access: httpapi.AnonymousRead, OperationID: "search",
			Summary: "Names of districts, subdistricts, communities, parks and facilities matching q, ranked exact > prefix > substring, paged.",
			Params: []httpapi.Param{{Name: "q", Description: "the text to find", Required: true, Example: "青山"},
				{Name: "city", Description: "city slug (default: every city)"},
				{Name: "types", Description: "comma-separated: district, subdistrict, community, park, facility"},
				{Name: "limit", Schema: httpapi.Schema{"type": "integer", "minimum": 1, "maximum": search.MaxLimit, "default": search.DefaultLimit}},
				{Name: "offset", Schema: httpapi.Schema{"type": "integer", "minimum": 0, "maximum": search.MaxOffset, "default": 0}}},
			Responses: httpapi.JSON("The matches, best first, with the total", httpapi.Obj(nil)),
			Problems:  []int{400, 404}, Handlers: []gin.HandlerFunc{h.search}},
		{Method: http.MethodGet, Path: "/api/v1/labels", Access: httpapi.AnonymousRead, OperationID: "getLabels",
			Summary: "One label point per district, subdistrict, community or park (GeoJSON).",
			Params: []httpapi.Param{{Name: "city", Description: "city slug", Required: true, Example: "baotou"},
				{Name: "layer", Description: "districts, subdistricts, communities or parks (default: all)"}},
			Responses: httpapi.GeoJSON("The label points"),
			Problems:  []int{400, 404}, Handlers: []gin.HandlerFunc{h.labels}},
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
