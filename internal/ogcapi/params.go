package ogcapi

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"github.com/cityreach/cityreach/internal/cql2"
	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/layers"
)

// Paging bounds (Part 1 /req/core/fc-limit-definition): the OpenAPI document states them.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
	maxOffset    = 1 << 31
	maxValueLen  = 4096 // bytes of one equality value
	maxListItems = 64   // names in sortby or properties
)

// itemsParams are the parameters of /items other than attribute equality filters.
var itemsParams = map[string]bool{
	"f": true, "limit": true, "offset": true, "bbox": true, "bbox-crs": true, "crs": true,
	"datetime": true, "filter": true, "filter-lang": true, "filter-crs": true,
	"sortby": true, "properties": true, "cursor": true, "as_of": true,
}

func invalid(param, format string, args ...any) *InvalidError {
	return &InvalidError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

// single returns the one value of a parameter; a repeated parameter is refused.
func single(q url.Values, name string) (string, bool, error) {
	vs, ok := q[name]
	if !ok {
		return "", false, nil
	}
	if len(vs) != 1 {
		return "", false, invalid(name, "%s is given more than once", name)
	}
	return vs[0], true, nil
}

// CRSList is the set of CRSs the service offers for output, bbox and filter geometries,
// in the order collections list them; the first is the default (OGC:CRS84).
type CRSList []crs.CRS

// Parse reads a crs parameter: one of the list, in any spelling crs.ParseCRS accepts.
func (l CRSList) parse(param, s string) (crs.CRS, error) {
	c, err := crs.ParseCRS(s)
	if err == nil {
		for _, x := range l {
			if x == c {
				return c, nil
			}
		}
	}
	names := make([]string, len(l))
	for i, x := range l {
		names[i] = x.URI()
	}
	return crs.CRS{}, invalid(param, "unsupported CRS %q: use one of %s", clip(s), strings.Join(names, ", "))
}

// parseOutput reads crs and properties, shared by /items and /items/{featureId}.
func parseOutput(d *Description, q url.Values, list CRSList) (Output, error) {
	o := Output{CRS: list[0]}
	if s, ok, err := single(q, "crs"); err != nil {
		return o, err
	} else if ok {
		if o.CRS, err = list.parse("crs", s); err != nil {
			return o, err
		}
		o.LatLon = o.CRS.AxisOrderLatLon()
	}
	if s, ok, err := single(q, "properties"); err != nil {
		return o, err
	} else if ok {
		o.Properties = []string{}
		if s != "" {
			parts := strings.Split(s, ",")
			if len(parts) > maxListItems {
				return o, invalid("properties", "at most %d properties", maxListItems)
			}
			for _, p := range parts {
				p = strings.TrimSpace(p)
				if d.Property(p) == nil {
					return o, invalid("properties", "unknown property %q: the queryables of %s list the properties", clip(p), d.ID)
				}
				o.Properties = append(o.Properties, p)
			}
		}
	}
	return o, nil
}

// ParseItemsQuery checks the query string of /collections/{id}/items against the
// collection's description and the service's CRS list. Every error is an *InvalidError
// naming the parameter; unknown parameters are refused (Part 1 /req/core/query-param-unknown).
func ParseItemsQuery(d *Description, q url.Values, list CRSList) (Query, error) {
	qu := Query{Limit: DefaultLimit, BBoxCRS: list[0], FilterCRS: list[0]}
	var err error
	if qu.Out, err = parseOutput(d, q, list); err != nil {
		return qu, err
	}
	if s, ok, err := single(q, "f"); err != nil {
		return qu, err
	} else if ok && s != "json" && s != "html" {
		return qu, invalid("f", "f must be json or html")
	}
	if s, ok, err := single(q, "limit"); err != nil {
		return qu, err
	} else if ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return qu, invalid("limit", "limit must be a whole number from 1 to %d", MaxLimit)
		}
		qu.Limit = n
	}
	if s, ok, err := single(q, "offset"); err != nil {
		return qu, err
	} else if ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > maxOffset {
			return qu, invalid("offset", "offset must be a whole number from 0 to %d", int64(maxOffset))
		}
		qu.Offset = n
	}
	if s, ok, err := single(q, "cursor"); err != nil {
		return qu, err
	} else if ok {
		if d.StringIDs {
			if qu.AfterID, err = ParseCursorText(s); err != nil {
				return qu, err
			}
		} else if qu.After, err = ParseCursor(s); err != nil {
			return qu, err
		}
		if !d.Keyset {
			return qu, invalid("cursor", "collection %s pages by offset only", d.ID)
		}
		if _, has := q["offset"]; has {
			return qu, invalid("cursor", "cursor and offset cannot be combined: a next link carries one of them")
		}
		if _, has := q["sortby"]; has {
			return qu, invalid("cursor", "cursor pages in id order and cannot be combined with sortby; page a sorted list with offset")
		}
		qu.Continued = true
	}
	if s, ok, err := single(q, "bbox-crs"); err != nil {
		return qu, err
	} else if ok {
		if qu.BBoxCRS, err = list.parse("bbox-crs", s); err != nil {
			return qu, err
		}
	}
	if s, ok, err := single(q, "bbox"); err != nil {
		return qu, err
	} else if ok {
		if qu.BBox, err = parseBBox(s, qu.BBoxCRS); err != nil {
			return qu, err
		}
	}
	if s, ok, err := single(q, "datetime"); err != nil {
		return qu, err
	} else if ok {
		if d.Temporal == nil {
			return qu, invalid("datetime", "collection %s is not temporal: datetime applies to versioned collections (growth_boundaries); filter on updated_at with filter instead", d.ID)
		}
		if qu.Datetime, err = parseDatetime(s); err != nil {
			return qu, err
		}
	}
	if s, ok, err := single(q, "as_of"); err != nil {
		return qu, err
	} else if ok {
		if !d.AsOf {
			return qu, ComputedInvalid(edition.NoHistory("as_of", d.ID), nil)
		}
		if err := edition.CheckRef("as_of", s); err != nil {
			return qu, ComputedInvalid(err, nil)
		}
		qu.AsOf = s
	}
	if s, ok, err := single(q, "sortby"); err != nil {
		return qu, err
	} else if ok {
		if qu.Sort, err = parseSortBy(d, s); err != nil {
			return qu, err
		}
	}
	if qu.Filter, qu.FilterCRS, err = parseFilter(d, q, list); err != nil {
		return qu, err
	}
	// Attribute equality filters (Part 1 /rec/core/fc-filters), in a stable order.
	for _, a := range d.Properties {
		vs, ok := q[a.Name]
		if !ok {
			continue
		}
		if itemsParams[a.Name] {
			continue // a property named like a parameter is reachable through filter only
		}
		if len(vs) != 1 {
			return qu, invalid(a.Name, "%s is given more than once", a.Name)
		}
		c, err := equality(&a, vs[0])
		if err != nil {
			return qu, err
		}
		if qu.Filter == nil {
			qu.Filter = c
		} else {
			qu.Filter = cql2.And{L: qu.Filter, R: c}
		}
	}
	for name := range q {
		if !itemsParams[name] && d.Property(name) == nil {
			return qu, invalid(clip(name), "unknown parameter %q: use %s or a property of %s (see its queryables)", clip(name), paramNames(), d.ID)
		}
	}
	if qu.Filter != nil {
		// Translate once here so that an unknown property or a type mismatch is a 400
		// naming the filter before any query runs.
		if _, _, err := cql2.ToSQL(qu.Filter, Resolver(d), cql2.Options{FilterSRID: qu.FilterCRS.SRID()}); err != nil {
			return qu, invalid("filter", "%s", strings.TrimPrefix(err.Error(), "filter: "))
		}
	}
	return qu, nil
}

func paramNames() string {
	return "f, limit, offset, cursor, bbox, bbox-crs, crs, datetime, filter, filter-lang, filter-crs, sortby, properties"
}

// parseFilter reads filter, filter-lang and filter-crs. Literal geometries in a CRS whose
// first axis is latitude (EPSG:4326, EPSG:4490) are swapped to longitude first here,
// so the translator always receives x first.
func parseFilter(d *Description, q url.Values, list CRSList) (cql2.Expr, crs.CRS, error) {
	fc := list[0]
	if s, ok, err := single(q, "filter-lang"); err != nil {
		return nil, fc, err
	} else if ok && s != "cql2-text" {
		return nil, fc, invalid("filter-lang", "filter-lang %q is not supported: use cql2-text", clip(s))
	}
	if s, ok, err := single(q, "filter-crs"); err != nil {
		return nil, fc, err
	} else if ok {
		if fc, err = list.parse("filter-crs", s); err != nil {
			return nil, fc, err
		}
	}
	s, ok, err := single(q, "filter")
	if err != nil || !ok {
		return nil, fc, err
	}
	e, err := cql2.Parse(s)
	if err != nil {
		return nil, fc, invalid("filter", "%s", strings.TrimPrefix(err.Error(), "filter: "))
	}
	if fc.AxisOrderLatLon() {
		e = swapAxes(e)
	}
	return e, fc, nil
}

// swapAxes returns e with the coordinates of every literal geometry swapped.
func swapAxes(e cql2.Expr) cql2.Expr {
	switch x := e.(type) {
	case cql2.And:
		return cql2.And{L: swapAxes(x.L), R: swapAxes(x.R)}
	case cql2.Or:
		return cql2.Or{L: swapAxes(x.L), R: swapAxes(x.R)}
	case cql2.Not:
		return cql2.Not{X: swapAxes(x.X)}
	case cql2.Spatial:
		x.Geom = project.Geometry(orb.Clone(x.Geom), func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} })
		return x
	}
	return e
}

// parseBBox reads 4 or 6 numbers (minX,minY[,minZ],maxX,maxY[,maxZ]) in c's axis order
// and returns them x first. Heights are ignored: the layers are 2D. A box crossing the
// antimeridian is refused; the service covers one city.
func parseBBox(s string, c crs.CRS) (*[4]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return nil, invalid("bbox", "bbox must have 4 or 6 numbers: minX,minY,maxX,maxY (or with heights)")
	}
	v := make([]float64, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, invalid("bbox", "bbox must be finite numbers separated by commas")
		}
		v[i] = f
	}
	var b [4]float64
	if len(v) == 4 {
		b = [4]float64{v[0], v[1], v[2], v[3]}
	} else {
		b = [4]float64{v[0], v[1], v[3], v[4]}
	}
	if c.AxisOrderLatLon() {
		b = [4]float64{b[1], b[0], b[3], b[2]}
	}
	if b[0] > b[2] || b[1] > b[3] {
		return nil, invalid("bbox", "bbox minimum must not exceed its maximum (boxes across the antimeridian are not supported)")
	}
	if c.IsGeographic() {
		if b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 {
			return nil, invalid("bbox", "bbox must lie within longitude -180..180 and latitude -90..90 in %s", c)
		}
	} else if math.Abs(b[0]) > 1e8 || math.Abs(b[1]) > 1e8 || math.Abs(b[2]) > 1e8 || math.Abs(b[3]) > 1e8 {
		return nil, invalid("bbox", "bbox coordinates in %s must be metres within ±100,000 km", c)
	}
	return &b, nil
}

// parseDatetime reads an instant or an interval "a/b" with ".." (or nothing) for an open
// end. Dates and RFC 3339 date-times are accepted; a date-time counts for the day it
// names in its own offset, because validity is kept by day.
func parseDatetime(s string) (*Period, error) {
	day := func(t string) (*time.Time, error) {
		if t == ".." || t == "" {
			return nil, nil
		}
		if d, err := time.Parse(time.DateOnly, t); err == nil {
			return &d, nil
		}
		ts, err := time.Parse(time.RFC3339Nano, t)
		if err != nil {
			return nil, invalid("datetime", "datetime must be a date (2024-06-30), an RFC 3339 date-time, or an interval a/b with .. for an open end")
		}
		d := time.Date(ts.Year(), ts.Month(), ts.Day(), 0, 0, 0, 0, time.UTC)
		return &d, nil
	}
	if len(s) > 100 {
		return nil, invalid("datetime", "datetime is too long")
	}
	a, b, interval := strings.Cut(s, "/")
	if !interval {
		if a == "" || a == ".." {
			return nil, invalid("datetime", "an instant must be a date or date-time, not %q", clip(a))
		}
		d, err := day(a)
		if err != nil {
			return nil, err
		}
		return &Period{From: d, To: d}, nil
	}
	from, err := day(a)
	if err != nil {
		return nil, err
	}
	to, err := day(b)
	if err != nil {
		return nil, err
	}
	if from != nil && to != nil && from.After(*to) {
		return nil, invalid("datetime", "the interval ends before it starts")
	}
	return &Period{From: from, To: to}, nil
}

// parseSortBy reads "name,-population,+code": sortable properties only.
func parseSortBy(d *Description, s string) ([]SortKey, error) {
	parts := strings.Split(s, ",")
	if len(parts) > 8 {
		return nil, invalid("sortby", "sortby takes at most 8 properties")
	}
	var keys []SortKey
	for _, p := range parts {
		k := SortKey{Prop: strings.TrimSpace(p)}
		switch {
		case strings.HasPrefix(k.Prop, "-"):
			k.Desc, k.Prop = true, k.Prop[1:]
		case strings.HasPrefix(k.Prop, "+"):
			k.Prop = k.Prop[1:]
		}
		a := d.Property(k.Prop)
		if a == nil || !a.Sortable {
			return nil, invalid("sortby", "cannot sort by %q: the sortable properties of %s are %s", clip(k.Prop), d.ID, strings.Join(sortables(d), ", "))
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func sortables(d *Description) []string {
	var out []string
	for _, a := range d.Properties {
		if a.Sortable {
			out = append(out, a.Name)
		}
	}
	return out
}

// equality turns name=value into the CQL2 comparison name = value of the property's type.
func equality(a *layers.Attribute, s string) (cql2.Expr, error) {
	if len(s) > maxValueLen || strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
		return nil, invalid(a.Name, "the value is too long or not valid text")
	}
	lit := cql2.Literal{Text: s}
	switch a.Type {
	case layers.String:
		lit.Kind = cql2.LitString
	case layers.Integer:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 1<<53 || n < -(1<<53) {
			return nil, invalid(a.Name, "%s must be a whole number", a.Name)
		}
		lit.Kind, lit.Num = cql2.LitNumber, float64(n)
	case layers.Number:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, invalid(a.Name, "%s must be a finite number", a.Name)
		}
		lit.Kind, lit.Num = cql2.LitNumber, f
	case layers.Boolean:
		b, ok := layers.ParseBool(s)
		if !ok {
			return nil, invalid(a.Name, "%s must be true or false (or 1 or 0)", a.Name)
		}
		lit.Kind, lit.Bool, lit.Text = cql2.LitBool, b, strconv.FormatBool(b)
	case layers.Date:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return nil, invalid(a.Name, "%s must be a date such as 2024-06-30", a.Name)
		}
		lit.Kind = cql2.LitDate
	case layers.Time:
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, invalid(a.Name, "%s must be an RFC 3339 date-time such as 2024-06-30T08:00:00Z", a.Name)
		}
		lit.Kind = cql2.LitTimestamp
	default:
		return nil, invalid(a.Name, "%s cannot be filtered", a.Name)
	}
	return cql2.Compare{Prop: a.Name, Op: "=", Value: lit}, nil
}

// clip shortens a client-chosen text before it is echoed back.
func clip(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}

// cursorPrefix starts every decoded cursor; the rest is the last id of the previous page.
const cursorPrefix = "id>"

// Cursor is the opaque cursor a next link carries: the id of the page's last feature,
// base64url-encoded so that clients follow the link rather than build it.
func Cursor(lastID int64) string { return CursorText(strconv.FormatInt(lastID, 10)) }

// CursorText is Cursor of a string id (StringIDs collections).
func CursorText(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + lastID))
}

// maxCursor is the longest cursor taken, encoded: room for a 64-character id.
const maxCursor = 96

// ParseCursorText reads a cursor made by CursorText: the text of the last id, never empty,
// printable ASCII.
func ParseCursorText(s string) (string, error) {
	bad := invalid("cursor", "cursor is not one this service made: follow the next link as given")
	if len(s) > maxCursor {
		return "", bad
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return "", bad
	}
	id, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok || id == "" {
		return "", bad
	}
	for _, r := range id {
		if r < 0x21 || r > 0x7e {
			return "", bad
		}
	}
	return id, nil
}

// ParseCursor reads a cursor made by Cursor: the features after that id follow.
func ParseCursor(s string) (int64, error) {
	bad := invalid("cursor", "cursor is not one this service made: follow the next link as given")
	num, err := ParseCursorText(s)
	if err != nil || num[0] < '1' || num[0] > '9' {
		return 0, bad
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 {
		return 0, bad
	}
	return n, nil
}
