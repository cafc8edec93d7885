package featureapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/layers"
)

// attributeDoc is an attribute as the layer list describes it.
type attributeDoc struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Title    string   `json:"title"`
	TitleZH  string   `json:"title_zh"`
	Required bool     `json:"required"`
	ReadOnly bool     `json:"readOnly"`
	Sortable bool     `json:"sortable"`
	Enum     []string `json:"enum,omitempty"`
	Minimum  *float64 `json:"minimum,omitempty"`
	Maximum  *float64 `json:"maximum,omitempty"`
}

// layerDoc is one layer in the layer list.
type layerDoc struct {
	ID           string         `json:"id"`
	Title        string         `json:"title"`
	TitleZH      string         `json:"title_zh"`
	GeometryType string         `json:"geometryType"`
	Temporal     *temporalDoc   `json:"temporal,omitempty"`
	Attributes   []attributeDoc `json:"attributes"`
	Links        []link         `json:"links"`
}

type temporalDoc struct {
	ValidFrom string `json:"validFrom"`
	ValidTo   string `json:"validTo"`
	Parameter string `json:"parameter"`
}

func describeLayer(l *layers.Layer) layerDoc {
	d := layerDoc{ID: l.ID, Title: l.TitleEN, TitleZH: l.TitleZH, GeometryType: l.GeomType, Attributes: []attributeDoc{}}
	if l.ValidFrom != "" {
		d.Temporal = &temporalDoc{ValidFrom: l.ValidFrom, ValidTo: l.ValidTo, Parameter: "at"}
	}
	for _, a := range l.Attributes {
		d.Attributes = append(d.Attributes, attributeDoc{Name: a.Name, Type: string(a.Type), Title: a.TitleEN, TitleZH: a.TitleZH,
			Required: a.Required, ReadOnly: a.ReadOnly, Sortable: a.Sortable, Enum: a.Enum, Minimum: a.Min, Maximum: a.Max})
	}
	base := "/api/v1/layers/" + l.ID
	d.Links = []link{
		{Rel: "self", Href: base, Type: "application/json"},
		{Rel: "items", Href: base + "/features", Type: GeoJSONType},
	}
	return d
}

// listLayers serves GET /api/v1/layers: every layer with its attribute schema.
func (a *API) listLayers(c *gin.Context) {
	out := []layerDoc{}
	for _, l := range a.Layers.All() {
		out = append(out, describeLayer(l))
	}
	c.JSON(http.StatusOK, gin.H{"layers": out, "links": []link{
		{Rel: "self", Href: "/api/v1/layers", Type: "application/json"},
		{Rel: "service-desc", Href: "/api/openapi.json", Type: "application/vnd.oai.openapi+json;version=3.1"},
		{Rel: "service-doc", Href: "/api/docs", Type: "text/html"},
	}})
}

// getLayer serves GET /api/v1/layers/{layer}.
func (a *API) getLayer(c *gin.Context) { c.JSON(http.StatusOK, describeLayer(layerOf(c))) }
