package tiles

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/problem"
)

// metadata serves GET /tiles/{layers}/metadata.json: the metadata.json that GDAL's MVT
// driver reads in its directory mode (MVT:http://host/tiles/{layers} with
// TILE_EXTENSION=mvt) and that tippecanoe writes beside a tile directory — name,
// description, format, bounds and center as comma-separated text, minzoom and maxzoom as
// text, and json holding {"vector_layers": …} as a JSON string. Its values are the TileJSON's.
func (h Handler) metadata(c *gin.Context) {
	tj, err := h.tileJSON(c, c.Param("layers"))
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	vl, _ := json.Marshal(map[string]any{"vector_layers": tj.VectorLayers})
	num := func(f float64) string { return fmt.Sprintf("%.6f", f) }
	c.Header("Cache-Control", "no-cache")
	c.JSON(http.StatusOK, map[string]string{
		"name":        tj.Name,
		"description": tj.Description,
		"version":     "2",
		"type":        "overlay",
		"format":      "pbf",
		"scheme":      "xyz",
		"minzoom":     fmt.Sprint(tj.MinZoom),
		"maxzoom":     fmt.Sprint(tj.MaxZoom),
		"bounds":      strings.Join([]string{num(tj.Bounds[0]), num(tj.Bounds[1]), num(tj.Bounds[2]), num(tj.Bounds[3])}, ","),
		"center":      num(tj.Center[0]) + "," + num(tj.Center[1]) + "," + fmt.Sprint(int(tj.Center[2])),
		"json":        string(vl),
	})
}

// style serves GET /tiles/{layers}/style.json: a MapLibre (Mapbox GL) style, version 8,
// whose one vector source is this server's TileJSON of the same layers and options, and
// which draws every layer by its geometry type — polygons filled and outlined, lines
// stroked, points as circles — each in a colour of its own. QGIS loads it as the
// styleUrl= of a vector-tile layer; MapLibre GL JS loads it as a map style.
func (h Handler) style(c *gin.Context) {
	tj, err := h.tileJSON(c, c.Param("layers"))
	if err != nil {
		problem.Respond(c, h.Log, err)
		return
	}
	tileJSONURL := baseURL(c.Request) + "/tiles/" + c.Param("layers") + ".json"
	if q := c.Request.URL.RawQuery; q != "" {
		tileJSONURL += "?" + q // validated by tileJSON above
	}
	var ls []any
	for _, vl := range tj.VectorLayers {
		ls = append(ls, styleLayers(vl)...)
	}
	c.Header("Cache-Control", "no-cache")
	c.JSON(http.StatusOK, map[string]any{
		"version": 8,
		"name":    tj.Name,
		"metadata": map[string]any{
			"cityreach:layers": c.Param("layers"),
			"cityreach:title":  tj.Description,
		},
		"center": []float64{tj.Center[0], tj.Center[1]},
		"zoom":   tj.Center[2],
		"sources": map[string]any{
			"cityreach": map[string]any{"type": "vector", "url": tileJSONURL, "tiles": tj.Tiles,
				"minzoom": tj.MinZoom, "maxzoom": tj.MaxZoom, "bounds": tj.Bounds},
		},
		"layers": ls,
	})
}

// palette are colours distinct on a light basemap; a layer's colour is chosen by its name.
var palette = []string{"#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4", "#b2182b", "#4d4d4d"}

func colourOf(name string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return palette[h.Sum32()%uint32(len(palette))]
}

// styleLayers draws one MVT layer according to its geometry type.
func styleLayers(vl VectorLayer) []any {
	col := colourOf(vl.ID)
	layer := func(suffix, typ string, paint map[string]any) map[string]any {
		return map[string]any{"id": vl.ID + suffix, "type": typ, "source": "cityreach", "source-layer": vl.ID,
			"minzoom": vl.MinZoom, "metadata": map[string]any{"cityreach:title": vl.Description}, "paint": paint}
	}
	switch {
	case strings.Contains(vl.GeomType, "Polygon"):
		return []any{
			layer("-fill", "fill", map[string]any{"fill-color": col, "fill-opacity": 0.35}),
			layer("-outline", "line", map[string]any{"line-color": col, "line-width": 1}),
		}
	case strings.Contains(vl.GeomType, "LineString"):
		return []any{layer("-line", "line", map[string]any{"line-color": col, "line-width": 1.5})}
	}
	return []any{layer("-circle", "circle", map[string]any{"circle-color": col, "circle-radius": 4,
		"circle-stroke-color": "#ffffff", "circle-stroke-width": 1})}
}
