package ogcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/crs"
)

// conformsTo are the conformance classes the service implements. Of CQL2 it claims the
// classes whose every operator it supports; S_WITHIN, S_CONTAINS, S_DISJOINT and
// S_DWITHIN work as well but complete no further class (docs/ogcapi.md).
var conformsTo = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
	"http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
	"http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
	"http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
	// Part 4 on the collections that take writes (the layers; not the computed indicators).
	// Optimistic locking with ETags works but its class is not claimed: it requires 428 for
	// a write without If-Match, which this service accepts (docs/ogcapi.md).
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
	"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
}

// landing serves GET /ogc.
func (a *API) landing(c *gin.Context) {
	html, ok := a.start(c)
	if !ok {
		return
	}
	base := baseURL(c)
	links := selfAndAlternate(base, nil, html, JSONType, "This document")
	links = append(links,
		Link{Href: base + "/api", Rel: "service-desc", Type: OpenAPIType, Title: "The API definition (OpenAPI 3.0)"},
		Link{Href: base + "/api?f=html", Rel: "service-doc", Type: HTMLType, Title: "The API documentation"},
		Link{Href: base + "/conformance", Rel: "conformance", Type: JSONType, Title: "Conformance classes"},
		Link{Href: base + "/conformance", Rel: "http://www.opengis.net/def/rel/ogc/1.0/conformance", Type: JSONType, Title: "Conformance classes"},
		Link{Href: base + "/collections", Rel: "data", Type: JSONType, Title: "Collections"},
		Link{Href: base + "/collections", Rel: "http://www.opengis.net/def/rel/ogc/1.0/data", Type: JSONType, Title: "Collections"},
	)
	doc := map[string]any{
		"title":       a.Title,
		"description": "Planning layers of cityreach as OGC API – Features (Parts 1 to 4: editors create, replace, update and delete features).",
		"links":       links,
	}
	if html {
		a.html(c, page{Title: a.Title, Intro: doc["description"].(string), Links: links})
		return
	}
	c.JSON(http.StatusOK, doc)
}

// conformance serves GET /ogc/conformance.
func (a *API) conformance(c *gin.Context) {
	html, ok := a.start(c)
	if !ok {
		return
	}
	if html {
		t := &table{Head: []string{"Conformance class"}}
		for _, u := range conformsTo {
			t.Rows = append(t.Rows, []cell{{Text: u, Href: u}})
		}
		a.html(c, page{Title: "Conformance", Links: selfAndAlternate(baseURL(c)+"/conformance", nil, true, JSONType, "This document"), Table: t})
		return
	}
	c.JSON(http.StatusOK, map[string]any{"conformsTo": conformsTo})
}

// collectionDoc is the JSON of one collection (Part 1 /req/core/sfc-md-items, Part 2
// /req/crs/fc-md-crs-list and fc-md-storageCrs), with the extent computed from its data
// (/req/core/sfc-md-extent): QGIS zooms to it instead of guessing from the first features.
func (a *API) collectionDoc(ctx context.Context, base string, col Collection, html bool) (map[string]any, error) {
	d := col.Description()
	u := base + "/collections/" + d.ID
	links := selfAndAlternate(u, nil, html, JSONType, d.Title)
	links = append(links,
		Link{Href: u + "/items", Rel: "items", Type: GeoJSONType, Title: d.Title + " (GeoJSON)"},
		Link{Href: u + "/items?f=html", Rel: "items", Type: HTMLType, Title: d.Title + " (HTML)"},
		Link{Href: u + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: SchemaType, Title: "Queryables of " + d.Title},
	)
	crsList := make([]string, len(a.CRS))
	for i, x := range a.CRS {
		crsList[i] = x.URI()
	}
	storage, _ := crs.FromSRID(4326)
	doc := map[string]any{
		"id":          d.ID,
		"title":       d.Title,
		"description": d.Description,
		"itemType":    "feature",
		"crs":         crsList,
		"storageCrs":  storage.URI(),
		"links":       links,
	}
	x := a.extents
	if x == nil {
		x = &extents{}
	}
	e, err := x.extent(ctx, col, a.Changes)
	if err != nil {
		return nil, err
	}
	ext := map[string]any{}
	if e.BBox != nil {
		// The bbox is in OGC:CRS84, longitude first, as Part 1 requires of spatial.crs.
		ext["spatial"] = map[string]any{"bbox": [][4]float64{*e.BBox}, "crs": a.CRS[0].URI()}
	}
	if d.Temporal != nil {
		iv := [2]any{nil, nil}
		if e.Interval != nil {
			for i, v := range e.Interval {
				if v != "" {
					iv[i] = v
				}
			}
		}
		ext["temporal"] = map[string]any{"interval": [][2]any{iv}, "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
	}
	if len(ext) > 0 {
		doc["extent"] = ext
	}
	return doc, nil
}

// collections serves GET /ogc/collections.
func (a *API) collections(c *gin.Context) {
	html, ok := a.start(c)
	if !ok {
		return
	}
	base := baseURL(c)
	links := selfAndAlternate(base+"/collections", nil, html, JSONType, "Collections")
	var cols []map[string]any
	t := &table{Head: []string{"Collection", "Title", "Geometry", "Items"}}
	for _, col := range a.Catalog.All() {
		d := col.Description()
		doc, err := a.collectionDoc(c.Request.Context(), base, col, false)
		if err != nil {
			a.fail(c, err)
			return
		}
		cols = append(cols, doc)
		u := base + "/collections/" + d.ID
		t.Rows = append(t.Rows, []cell{{Text: d.ID, Href: u + "?f=html"}, {Text: d.Title}, {Text: d.GeometryType}, {Text: "items", Href: u + "/items?f=html"}})
	}
	if html {
		a.html(c, page{Title: "Collections", Links: links, Table: t})
		return
	}
	crsList := make([]string, len(a.CRS))
	for i, x := range a.CRS {
		crsList[i] = x.URI()
	}
	c.JSON(http.StatusOK, map[string]any{"links": links, "collections": cols, "crs": crsList})
}

// describe serves GET /ogc/collections/{collectionId}.
func (a *API) describe(c *gin.Context) {
	html, ok := a.start(c)
	if !ok {
		return
	}
	col := collectionOf(c)
	d := col.Description()
	doc, err := a.collectionDoc(c.Request.Context(), baseURL(c), col, html)
	if err != nil {
		a.fail(c, err)
		return
	}
	if html {
		t := &table{Head: []string{"Property", "Type", "Sortable", "Title"}}
		for _, p := range d.Properties {
			t.Rows = append(t.Rows, []cell{{Text: p.Name}, {Text: string(p.Type)}, {Text: strconv.FormatBool(p.Sortable)}, {Text: p.TitleZH + " / " + p.TitleEN}})
		}
		a.html(c, page{Title: d.Title, Intro: d.Description + " · storage CRS " + doc["storageCrs"].(string), Links: doc["links"].([]Link), Table: t})
		return
	}
	c.JSON(http.StatusOK, doc)
}

// queryables serves GET /ogc/collections/{collectionId}/queryables as a JSON Schema
// (Part 3 /req/queryables).
func (a *API) queryables(c *gin.Context) {
	html, ok := a.start(c)
	if !ok {
		return
	}
	d := collectionOf(c).Description()
	u := baseURL(c) + "/collections/" + d.ID + "/queryables"
	props := map[string]any{
		"geometry": map[string]any{"title": "Geometry", "format": "geometry-" + lowerFirst(d.GeometryType),
			"$ref": "https://geojson.org/schema/" + d.GeometryType + ".json"},
	}
	t := &table{Head: []string{"Queryable", "Type", "Sortable", "Values"}}
	t.Rows = append(t.Rows, []cell{{Text: "geometry"}, {Text: d.GeometryType}, {Text: "false"}})
	for _, p := range d.Properties {
		s := map[string]any{"title": p.TitleEN, "description": p.TitleZH}
		switch p.Type {
		case "date", "date-time":
			s["type"], s["format"] = "string", string(p.Type)
		default:
			s["type"] = string(p.Type)
		}
		if len(p.Enum) > 0 {
			s["enum"] = p.Enum
		}
		if p.Min != nil {
			s["minimum"] = *p.Min
		}
		if p.Max != nil {
			s["maximum"] = *p.Max
		}
		if p.ReadOnly {
			s["readOnly"] = true
		}
		props[p.Name] = s
		vals := ""
		for i, e := range p.Enum {
			if i > 0 {
				vals += ", "
			}
			vals += e
		}
		t.Rows = append(t.Rows, []cell{{Text: p.Name}, {Text: string(p.Type)}, {Text: strconv.FormatBool(p.Sortable)}, {Text: vals}})
	}
	if html {
		a.html(c, page{Title: "Queryables of " + d.Title, Links: selfAndAlternate(u, nil, true, SchemaType, "Queryables"), Table: t})
		return
	}
	doc := map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  u,
		"type":                 "object",
		"title":                d.Title,
		"properties":           props,
		"additionalProperties": false,
	}
	b, _ := json.Marshal(doc)
	c.Data(http.StatusOK, SchemaType, b)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

// items serves GET /ogc/collections/{collectionId}/items: one page of a FeatureCollection
// with numberMatched, numberReturned, timeStamp and next/prev links that keep every other
// parameter of the request.
func (a *API) items(c *gin.Context) {
	col := collectionOf(c)
	d := col.Description()
	html, err := wantHTML(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	q := c.Request.URL.Query()
	qu, err := ParseItemsQuery(&d, q, a.CRS)
	if err != nil {
		a.fail(c, err)
		return
	}
	p, err := col.Items(c.Request.Context(), qu)
	if err != nil {
		a.fail(c, err)
		return
	}
	u := baseURL(c) + "/collections/" + d.ID + "/items"
	links := selfAndAlternate(u, q, html, GeoJSONType, "This page")
	typ := GeoJSONType
	if html {
		typ = HTMLType
	}
	if next, ok := nextQuery(d, qu, q, p); ok {
		links = append(links, Link{Href: withQuery(u, next), Rel: "next", Type: typ, Title: "Next page"})
	}
	if qu.Offset > 0 {
		pq := cloneQuery(q)
		pq.Set("offset", strconv.FormatInt(max(0, qu.Offset-int64(qu.Limit)), 10))
		pq.Set("limit", strconv.Itoa(qu.Limit))
		links = append(links, Link{Href: withQuery(u, pq), Rel: "prev", Type: typ, Title: "Previous page"})
	}
	links = append(links, Link{Href: baseURL(c) + "/collections/" + d.ID, Rel: "collection", Type: JSONType, Title: d.Title})
	c.Header("Content-Crs", "<"+qu.Out.CRS.URI()+">")
	if html {
		a.itemsHTML(c, d, qu, p, links)
		return
	}
	var buf bytes.Buffer
	buf.Grow(len(p.Features)*512 + 1024)
	buf.WriteString(`{"type":"FeatureCollection","timeStamp":"`)
	buf.WriteString(time.Now().UTC().Format(time.RFC3339))
	buf.WriteString(`"`)
	if p.Matched >= 0 {
		buf.WriteString(`,"numberMatched":`)
		buf.WriteString(strconv.FormatInt(p.Matched, 10))
	}
	buf.WriteString(`,"numberReturned":`)
	buf.WriteString(strconv.Itoa(len(p.Features)))
	lb, _ := json.Marshal(links)
	buf.WriteString(`,"links":`)
	buf.Write(lb)
	buf.WriteString(`,"features":[`)
	for i, f := range p.Features {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeFeature(&buf, f, nil)
	}
	buf.WriteString("]}")
	c.Data(http.StatusOK, GeoJSONType, buf.Bytes())
}

// item serves GET /ogc/collections/{collectionId}/items/{featureId}.
func (a *API) item(c *gin.Context) {
	col := collectionOf(c)
	d := col.Description()
	html, err := wantHTML(c)
	if err == nil {
		err = onlyParams(c, "crs", "properties")
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	q := c.Request.URL.Query()
	out, err := parseOutput(&d, q, a.CRS)
	if err != nil {
		a.fail(c, err)
		return
	}
	f, err := col.Item(c.Request.Context(), c.Param("featureId"), out)
	if err != nil {
		a.fail(c, err)
		return
	}
	cu := baseURL(c) + "/collections/" + d.ID
	u := cu + "/items/" + url.PathEscape(c.Param("featureId"))
	links := selfAndAlternate(u, q, html, GeoJSONType, "This feature")
	links = append(links, Link{Href: cu, Rel: "collection", Type: JSONType, Title: d.Title})
	c.Header("Content-Crs", "<"+out.CRS.URI()+">")
	if f.ETag != "" {
		// Part 4 /req/optimistic-locking-etags/etag-get-response: what If-Match sends back.
		c.Header("ETag", f.ETag)
		if c.GetHeader("If-None-Match") == f.ETag {
			c.Status(http.StatusNotModified)
			return
		}
	}
	if html {
		a.itemHTML(c, d, f, links)
		return
	}
	var buf bytes.Buffer
	writeFeature(&buf, f, links)
	c.Data(http.StatusOK, GeoJSONType, buf.Bytes())
}

// nextQuery is the query string of the next page, ok false on the last page. A Keyset
// collection read in id order pages by cursor, the id of the page's last feature, so
// that a page deep in a layer costs what the first one does; a sorted list pages by
// offset. Either way the limit is kept.
func nextQuery(d Description, qu Query, q url.Values, p Page) (url.Values, bool) {
	n := len(p.Features)
	if n == 0 {
		return nil, false
	}
	nq := cloneQuery(q)
	nq.Set("limit", strconv.Itoa(qu.Limit))
	if d.Keyset && d.StringIDs && len(qu.Sort) == 0 {
		var last string
		if err := json.Unmarshal(p.Features[n-1].ID, &last); err != nil || !p.More || last == "" {
			return nil, false
		}
		nq.Del("offset")
		nq.Set("cursor", CursorText(last))
		return nq, true
	}
	if d.Keyset && len(qu.Sort) == 0 {
		last, err := strconv.ParseInt(string(p.Features[n-1].ID), 10, 64)
		if !p.More || err != nil || last < 1 {
			return nil, false
		}
		nq.Del("offset")
		nq.Set("cursor", Cursor(last))
		return nq, true
	}
	next := qu.Offset + int64(n)
	if next >= p.Matched {
		return nil, false
	}
	nq.Set("offset", strconv.FormatInt(next, 10))
	return nq, true
}

// writeFeature writes one GeoJSON Feature from its serialised pieces.
func writeFeature(buf *bytes.Buffer, f Feature, links []Link) {
	buf.WriteString(`{"type":"Feature","id":`)
	buf.Write(f.ID)
	buf.WriteString(`,"geometry":`)
	buf.Write(f.Geometry)
	buf.WriteString(`,"properties":`)
	buf.Write(f.Properties)
	if links != nil {
		lb, _ := json.Marshal(links)
		buf.WriteString(`,"links":`)
		buf.Write(lb)
	}
	buf.WriteByte('}')
}

// start does what every non-items handler does first: decide JSON or HTML and refuse
// unknown parameters. ok is false when the problem response has been sent.
func (a *API) start(c *gin.Context) (html, ok bool) {
	html, err := wantHTML(c)
	if err == nil {
		err = onlyParams(c)
	}
	if err != nil {
		a.fail(c, err)
		return false, false
	}
	return html, true
}
