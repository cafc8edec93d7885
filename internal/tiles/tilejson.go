package tiles

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

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
	doc, err := h.tileJSON(c, list)
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.JSON(http.StatusOK, doc)
}

// title is a source's Chinese and English title.
func title(inf *Info) string {
	if inf.TitleZH == "" {
		return inf.Title
	}
	return inf.TitleZH + " " + inf.Title
}

// tileJSON is the TileJSON of the layer list (a validated "a,b" of the URL) with the
// request's options: bounds from the data (of the city asked), minzoom the sources'
// smallest, maxzoom their largest data-derived one (Service.MaxZoomOf; the tile route
// serves up to MaxZoom, so clients overzoom beyond it), names in Chinese and English.
func (h Handler) tileJSON(c *gin.Context, list string) (TileJSON, error) {
	names, err := h.Tiles.parseSources(list)
	if err != nil {
		return TileJSON{}, err
	}
	o, err := h.Tiles.parseOptions(c.Request.URL.Query(), names)
	if err != nil {
		return TileJSON{}, err
	}
	ctx := c.Request.Context()
	// An as_of the tiles would refuse (an edition the city lacks, no city among several)
	// is refused here too; the bounds and zooms stay those of the current data.
	at, err := h.Tiles.resolveAsOf(ctx, TileRequest{Sources: names, City: o.City, Params: o.Params})
	if err != nil {
		return TileJSON{}, err
	}
	b, found, err := h.Tiles.Bounds(ctx, names, o.City)
	if err != nil {
		return TileJSON{}, err
	}
	if !found {
		b = Box{-180, -maxMercLat, 180, maxMercLat}
	}
	doc := TileJSON{
		TileJSON: "3.0.0", Scheme: "xyz", MinZoom: MaxZoom, MaxZoom: 0,
		Tiles:  []string{baseURL(c.Request) + "/tiles/" + list + "/{z}/{x}/{y}.mvt" + tileQuery(o)},
		Bounds: [4]float64{b.MinX, b.MinY, b.MaxX, b.MaxY},
	}
	var titles []string
	for _, n := range names {
		inf := h.Tiles.Source(n).Info()
		maxZ, err := h.Tiles.MaxZoomOf(ctx, n, o.City)
		if err != nil {
			return TileJSON{}, err
		}
		titles = append(titles, title(&inf))
		vl := VectorLayer{ID: n, Description: title(&inf), MinZoom: inf.MinZoom, MaxZoom: maxZ, Fields: map[string]string{}, GeomType: inf.GeomType}
		for _, p := range propsFor(&inf, o.Properties) {
			vl.Fields[p] = inf.Field(p).Type
		}
		if f := inf.Field(FeaturesField); f != nil {
			vl.Fields[f.Name] = f.Type // sent by the zoom 0–12 blocks whatever was asked
		}
		doc.VectorLayers = append(doc.VectorLayers, vl)
		doc.MinZoom, doc.MaxZoom = min(doc.MinZoom, inf.MinZoom), max(doc.MaxZoom, maxZ)
	}
	doc.Name = strings.Join(titles, ", ")
	doc.Description = "cityreach " + list + ": " + doc.Name
	if at != nil {
		doc.Description += " as of " + o.Params[AsOfParam] + " (" + at.At.Format(time.RFC3339) + ")"
	}
	doc.Center = [3]float64{(b.MinX + b.MaxX) / 2, (b.MinY + b.MaxY) / 2, float64(min(max(12, doc.MinZoom), doc.MaxZoom))}
	return doc, nil
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
