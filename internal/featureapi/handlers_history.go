package featureapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/problem"
)

// historyEntry is one version as the history endpoint shows it. Old and New hold the
// registry attributes before and after the edit (New is absent for the delete, Old for
// the insert); Changed names the attributes that differ, "geometry" included.
type historyEntry struct {
	Version int32           `json:"version"`
	Op      string          `json:"op"`
	Actor   string          `json:"actor"`
	At      time.Time       `json:"at"`
	Changed []string        `json:"changed"`
	Old     json.RawMessage `json:"old,omitempty"`
	New     json.RawMessage `json:"new,omitempty"`
	Links   []link          `json:"links"`
}

// history serves GET /layers/{layer}/features/{id}/history.
func (a *API) history(c *gin.Context) {
	l := layerOf(c)
	id, err := parseID(c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	if _, err := a.onlyParams(c); err != nil {
		a.fail(c, err)
		return
	}
	vs, err := a.Store.History(c.Request.Context(), l, id)
	if err != nil {
		a.fail(c, err)
		return
	}
	base := "/api/v1/layers/" + l.ID + "/features/" + strconv.FormatInt(id, 10)
	out := make([]historyEntry, 0, len(vs))
	for _, v := range vs {
		e := historyEntry{Version: v.Version, Op: v.Op, Actor: v.Actor, At: v.At, Changed: changed(l, v.Old, v.New)}
		if v.Old != nil {
			e.Old = orderedProps(l, v.Old)
		}
		if v.New != nil {
			e.New = orderedProps(l, v.New)
			e.Links = []link{{Rel: "version", Href: base + "/history/" + strconv.Itoa(int(v.Version)), Type: GeoJSONType}}
		} else {
			e.Links = []link{}
		}
		out = append(out, e)
	}
	c.JSON(http.StatusOK, gin.H{"layer": l.ID, "id": id, "versions": out,
		"links": []link{{Rel: "item", Href: base, Type: GeoJSONType}}})
}

// version serves GET /layers/{layer}/features/{id}/history/{version}: the feature as it
// was after that edit.
func (a *API) version(c *gin.Context) {
	l := layerOf(c)
	id, err := parseID(c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	v, err := strconv.ParseInt(c.Param("version"), 10, 32)
	if err != nil || v < 1 {
		a.fail(c, problem.NotFound("versions are positive whole numbers"))
		return
	}
	srid, err := a.onlyParams(c, "crs")
	if err != nil {
		a.fail(c, err)
		return
	}
	r, props, err := a.Store.VersionRow(c.Request.Context(), l, id, int32(v), srid)
	if err != nil {
		a.fail(c, err)
		return
	}
	r.Properties = orderedProps(l, props)
	var buf bytes.Buffer
	writeFeatureJSON(&buf, r, nil)
	setCRSHeader(c, srid)
	c.Header("Cache-Control", "public, max-age=86400, immutable") // a version never changes
	c.Data(http.StatusOK, GeoJSONType, buf.Bytes())
}

// orderedProps writes the registry attributes found in m (except id) as a JSON object in
// registry order; columns the registry does not list are never shown.
func orderedProps(l *layers.Layer, m map[string]json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, at := range l.Attributes {
		v, ok := m[at.Name]
		if !ok || at.Name == "id" {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(at.Name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// changed lists the attributes (and "geometry") whose values differ between old and new,
// leaving out the bookkeeping that changes on every edit.
func changed(l *layers.Layer, old, new map[string]json.RawMessage) []string {
	out := []string{}
	if old == nil || new == nil {
		return out
	}
	if !jsonEqual(old["geom"], new["geom"]) {
		out = append(out, "geometry")
	}
	for _, at := range l.Attributes {
		switch at.Name {
		case "id", "version", "updated_at", "updated_by", "created_at":
			continue
		}
		if !jsonEqual(old[at.Name], new[at.Name]) {
			out = append(out, at.Name)
		}
	}
	return out
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}
