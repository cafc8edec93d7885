package featureapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/crs"
)

// list serves GET /layers/{layer}/features: a FeatureCollection page with numberMatched
// and next/prev links.
func (a *API) list(c *gin.Context) {
	l := layerOf(c)
	q := c.Request.URL.Query()
	lq, err := parseListQuery(l, q, func(attr string) string { return a.Store.ColumnType(l, attr) })
	if err != nil {
		a.fail(c, err)
		return
	}
	page, err := a.Store.List(c.Request.Context(), l, lq)
	if err != nil {
		a.fail(c, err)
		return
	}
	var buf bytes.Buffer
	buf.Grow(len(page.Rows) * 512)
	buf.WriteString(`{"type":"FeatureCollection","numberMatched":`)
	buf.WriteString(strconv.FormatInt(page.Matched, 10))
	buf.WriteString(`,"numberReturned":`)
	buf.WriteString(strconv.Itoa(len(page.Rows)))
	links := []link{{Rel: "self", Href: linkTo(c.Request.URL.Path, q), Type: GeoJSONType}}
	if next := lq.Offset + int64(len(page.Rows)); next < page.Matched && len(page.Rows) > 0 {
		nq := cloneQuery(q)
		nq.Set("offset", strconv.FormatInt(next, 10))
		nq.Set("limit", strconv.Itoa(lq.Limit))
		links = append(links, link{Rel: "next", Href: linkTo(c.Request.URL.Path, nq), Type: GeoJSONType})
	}
	if lq.Offset > 0 {
		pq := cloneQuery(q)
		pq.Set("offset", strconv.FormatInt(max(0, lq.Offset-int64(lq.Limit)), 10))
		pq.Set("limit", strconv.Itoa(lq.Limit))
		links = append(links, link{Rel: "prev", Href: linkTo(c.Request.URL.Path, pq), Type: GeoJSONType})
	}
	lb, _ := json.Marshal(links)
	buf.WriteString(`,"links":`)
	buf.Write(lb)
	buf.WriteString(`,"features":[`)
	for i, r := range page.Rows {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeFeatureJSON(&buf, r, nil)
	}
	buf.WriteString("]}")
	setCRSHeader(c, lq.OutSRID)
	c.Data(http.StatusOK, GeoJSONType, buf.Bytes())
}

type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
	Type string `json:"type,omitempty"`
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// writeFeatureJSON writes one Feature from PostGIS-serialised pieces; extra members
// (such as "repaired") follow the standard ones.
func writeFeatureJSON(buf *bytes.Buffer, r Row, extra map[string]any) {
	buf.WriteString(`{"type":"Feature","id":`)
	buf.WriteString(strconv.FormatInt(r.ID, 10))
	buf.WriteString(`,"geometry":`)
	buf.Write(r.Geometry)
	buf.WriteString(`,"properties":`)
	buf.Write(r.Properties)
	for k, v := range extra {
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		buf.WriteByte(',')
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
}

// setCRSHeader names the CRS of the coordinates in the response (OGC API Features part 2).
func setCRSHeader(c *gin.Context, srid int) {
	cr, err := crs.FromSRID(srid)
	if err == nil {
		c.Header("Content-Crs", "<"+cr.URI()+">")
	}
}

// sendFeature answers with one feature, its ETag and, after a repair, what was repaired.
func sendFeature(c *gin.Context, status int, r Row, srid int, repaired *GeometryError) {
	var extra map[string]any
	if repaired != nil {
		rep := map[string]any{"reason": repaired.Reason}
		if repaired.Location != nil {
			rep["location"] = repaired.Location
		}
		extra = map[string]any{"repaired": rep}
		c.Header("X-Geometry-Repaired", "true")
	}
	var buf bytes.Buffer
	writeFeatureJSON(&buf, r, extra)
	c.Header("ETag", etag(r.Version))
	setCRSHeader(c, srid)
	c.Data(status, GeoJSONType, buf.Bytes())
}

// get serves GET /layers/{layer}/features/{id}.
func (a *API) get(c *gin.Context) {
	l := layerOf(c)
	id, err := parseID(c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	srid, err := a.onlyParams(c, "crs")
	if err != nil {
		a.fail(c, err)
		return
	}
	r, err := a.Store.Get(c.Request.Context(), l, id, srid)
	if err != nil {
		a.fail(c, err)
		return
	}
	if c.GetHeader("If-None-Match") == etag(r.Version) {
		c.Header("ETag", etag(r.Version))
		c.Status(http.StatusNotModified)
		return
	}
	sendFeature(c, http.StatusOK, r, srid, nil)
}

// onlyParams refuses query parameters other than allowed and returns the output SRID.
func (a *API) onlyParams(c *gin.Context, allowed ...string) (int, error) {
	q := c.Request.URL.Query()
	for k := range q {
		if !contains(allowed, k) {
			return 0, badParam(clip(k), "unknown parameter "+clipQuote(k))
		}
	}
	return readOutputCRS(q)
}

// writeParams reads ?crs= (input and output CRS) and ?repair= of a write.
func (a *API) writeParams(c *gin.Context) (in *crs.CRS, outSRID int, repair bool, err error) {
	q := c.Request.URL.Query()
	for k := range q {
		if k != "crs" && k != "repair" {
			return nil, 0, false, badParam(clip(k), "unknown parameter "+clipQuote(k)+": writes take crs and repair")
		}
	}
	c0, ok, err := inputCRS(q)
	if err != nil {
		return nil, 0, false, err
	}
	if ok {
		in = &c0
	}
	if _, outSRID, err = outputCRS(q); err != nil {
		return nil, 0, false, err
	}
	if s, ok, err := single(q, "repair"); err != nil {
		return nil, 0, false, err
	} else if ok {
		switch s {
		case "true":
			repair = true
		case "false":
		default:
			return nil, 0, false, badParam("repair", "repair must be true or false")
		}
	}
	return in, outSRID, repair, nil
}

// edit runs one write through Store.Edit, the write path the OGC API shares.
func (a *API) edit(c *gin.Context, op Op) (Result, int, error) {
	l := layerOf(c)
	e := Edit{Op: op, Body: c.Request.Body, Actor: auth.FromContext(c).Name}
	if op != OpCreate {
		id, err := parseID(c.Param("id"))
		if err != nil {
			return Result{}, 0, err
		}
		if e.Versions, err = IfMatch(c.GetHeader("If-Match"), true); err != nil {
			return Result{}, 0, err
		}
		e.ID = id
	}
	in, out, repair, err := a.writeParams(c)
	if err != nil {
		return Result{}, 0, err
	}
	e.CRS, e.OutSRID, e.Repair = in, out, repair
	res, err := a.Store.Edit(c.Request.Context(), l, e)
	return res, out, err
}

// create serves POST /layers/{layer}/features.
func (a *API) create(c *gin.Context) {
	res, out, err := a.edit(c, OpCreate)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.Header("Location", c.Request.URL.Path+"/"+strconv.FormatInt(res.Row.ID, 10))
	sendFeature(c, http.StatusCreated, res.Row, out, res.Repaired)
}

// replace serves PUT /layers/{layer}/features/{id}: every writable attribute and the
// geometry are replaced; attributes left out return to their defaults.
func (a *API) replace(c *gin.Context) { a.update(c, OpReplace) }

// patch serves PATCH /layers/{layer}/features/{id}: a merge patch of properties and/or
// the geometry.
func (a *API) patch(c *gin.Context) { a.update(c, OpPatch) }

func (a *API) update(c *gin.Context, op Op) {
	res, out, err := a.edit(c, op)
	if err != nil {
		a.fail(c, err)
		return
	}
	sendFeature(c, http.StatusOK, res.Row, out, res.Repaired)
}

// remove serves DELETE /layers/{layer}/features/{id}. The row is gone; its history stays.
func (a *API) remove(c *gin.Context) {
	l := layerOf(c)
	id, err := parseID(c.Param("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	versions, err := IfMatch(c.GetHeader("If-Match"), true)
	if err != nil {
		a.fail(c, err)
		return
	}
	if len(c.Request.URL.Query()) > 0 {
		a.fail(c, badParam("query", "DELETE takes no parameters"))
		return
	}
	if _, err := a.Store.Edit(c.Request.Context(), l, Edit{Op: OpDelete, ID: id, Versions: versions, Actor: auth.FromContext(c).Name}); err != nil {
		a.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
