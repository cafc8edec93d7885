package tiles

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/problem"
)

// TileJSON is a TileJSON 3.0.0 document (https://github.com/mapbox/tilejson-spec).
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one MVT layer: its fields map a name to "String", "Number" or "Boolean".
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
	GeomType    string            `json:"geometry_type,omitempty"`
}

// IndexEntry is one layer of /tiles/index.json.
type IndexEntry struct {
	Name     string `json:"name"`
	Title    string `json:"title"`
	GeomType string `json:"geometry_type"`
	TileJSON string `json:"tilejson"`
	Tiles    string `json:"tiles"`
}

// document serves /tiles/index.json and /tiles/{layers}.json.
func (h Handler) document(c *gin.Context) {
	seg := c.Param("layers")
	base := baseURL(c.Request)
	if seg == "index.json" {
		if err := problem.CheckParams(c.Request.URL.Query()); err != nil {
			problem.Respond(c, h.Log, err)
			return
		}
		out := []IndexEntry{}
		for _, s := range h.Tiles.Sources() {
			inf := s.Info()
			out = append(out, IndexEntry{Name: s.Name(), Title: inf.Title, GeomType: inf.GeomType,
				TileJSON: base + "/tiles/" + s.Name() + ".json", Tiles: base + "/tiles/" + s.Name() + "/{z}/{x}/{y}.mvt"})
		}
		c.Header("Cache-Control", "no-cache")
		c.JSON(http.StatusOK, gin.H{"layers": out})
		return
	}
	list, ok := strings.CutSuffix(seg, ".json")
	if !ok {
		problem.Respond(c, h.Log, problem.NotFound("no such resource: "+c.Request.URL.Path+"; TileJSON is at /tiles/{layer}.json"))
		return
	}
	names, err := h.Tiles.parseSources(list)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	o, err := h.Tiles.parseOptions(c.Request.URL.Query(), names)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	b, found, err := h.Tiles.Bounds(c.Request.Context(), names, o.City)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	if !found {
		b = Box{-180, -maxMercLat, 180, maxMercLat}
	}
	doc := TileJSON{
		TileJSON: "3.0.0", Name: list, Scheme: "xyz", MinZoom: 0, MaxZoom: MaxZoom,
		Tiles:  []string{base + "/tiles/" + list + "/{z}/{x}/{y}.mvt" + tileQuery(o)},
		Bounds: [4]float64{b.MinX, b.MinY, b.MaxX, b.MaxY},
		Center: [3]float64{(b.MinX + b.MaxX) / 2, (b.MinY + b.MaxY) / 2, 12},
	}
	var titles []string
	for _, n := range names {
		inf := h.Tiles.Source(n).Info()
		titles = append(titles, inf.Title)
		vl := VectorLayer{ID: n, Description: inf.Title, MinZoom: inf.MinZoom, MaxZoom: inf.MaxZoom, Fields: map[string]string{}, GeomType: inf.GeomType}
		for _, p := range propsFor(&inf, o.Properties) {
			vl.Fields[p] = inf.Field(p).Type
		}
		if f := inf.Field(FeaturesField); f != nil {
			vl.Fields[f.Name] = f.Type // sent by the zoom 0–12 blocks whatever was asked
		}
		doc.VectorLayers = append(doc.VectorLayers, vl)
	}
	doc.Description = strings.Join(titles, ", ")
	c.Header("Cache-Control", "no-cache")
	c.JSON(http.StatusOK, doc)
}

// tileQuery carries the validated options into the tile URL template.
func tileQuery(o options) string {
	q := url.Values{}
	if o.Properties != nil {
		q.Set("properties", strings.Join(o.Properties, ","))
	}
	if o.Limit != DefaultLimit {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.City != "" {
		q.Set("city", o.City)
	}
	for k, v := range o.Params {
		q.Set(k, v)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
