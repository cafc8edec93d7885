package featureapi

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/problem"
)

// Paging bounds.
const (
	defaultLimit = 100
	maxLimit     = 10000
	maxOffset    = 1 << 31
	maxValueLen  = 4096 // bytes of one filter value
)

// reserved are the list parameters that are not attribute filters.
var reservedParams = map[string]bool{"bbox": true, "limit": true, "offset": true, "sortby": true, "crs": true, "at": true}

func badParam(name, detail string) *problem.Error {
	return problem.BadRequest(detail).With("parameter", name)
}

// single returns the one value of a parameter; repeating it is an error.
func single(q url.Values, name string) (string, bool, error) {
	vs, ok := q[name]
	if !ok {
		return "", false, nil
	}
	if len(vs) != 1 {
		return "", false, badParam(name, "parameter "+name+" is given more than once")
	}
	return vs[0], true, nil
}

// outputCRS reads ?crs= for responses: 4326 by default; GCJ-02 is input-only.
func outputCRS(q url.Values) (crs.CRS, int, error) {
	c, ok, err := inputCRS(q)
	if err != nil || !ok {
		return c, 4326, err
	}
	if c.SRID() == 0 {
		return c, 4326, nil
	}
	return c, c.SRID(), nil
}

// inputCRS reads ?crs=; ok is false when it is absent.
func inputCRS(q url.Values) (crs.CRS, bool, error) {
	s, ok, err := single(q, "crs")
	if err != nil || !ok {
		return crs.CRS{}, false, err
	}
	c, err := crs.ParseCRS(s)
	if err != nil {
		return crs.CRS{}, false, badParam("crs", "unsupported crs: use EPSG:4326, EPSG:4490, EPSG:3857, a CGCS2000 Gauss-Kruger zone (EPSG:4491-4554) or GCJ-02 (input only)")
	}
	return c, true, nil
}

// readOutputCRS is outputCRS for GET requests, where GCJ-02 makes no sense.
func readOutputCRS(q url.Values) (int, error) {
	c, srid, err := outputCRS(q)
	if err != nil {
		return 0, err
	}
	if c.SRID() == 0 && c.String() == "GCJ-02" {
		return 0, badParam("crs", "GCJ-02 is accepted on input only; responses are in WGS 84 or a projected CRS")
	}
	return srid, nil
}

// parseListQuery turns the query string of a list request into a ListQuery. Every
// attribute name is checked against the registry; unknown parameters are refused so that a
// typo never silently widens a result.
func parseListQuery(l *layers.Layer, q url.Values, colType func(string) string) (ListQuery, error) {
	lq := ListQuery{Limit: defaultLimit}
	var err error
	if lq.OutSRID, err = readOutputCRS(q); err != nil {
		return lq, err
	}
	if s, ok, err := single(q, "limit"); err != nil {
		return lq, err
	} else if ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return lq, badParam("limit", fmt.Sprintf("limit must be a whole number from 1 to %d", maxLimit))
		}
		lq.Limit = n
	}
	if s, ok, err := single(q, "offset"); err != nil {
		return lq, err
	} else if ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > maxOffset {
			return lq, badParam("offset", fmt.Sprintf("offset must be a whole number from 0 to %d", int64(maxOffset)))
		}
		lq.Offset = n
	}
	if s, ok, err := single(q, "bbox"); err != nil {
		return lq, err
	} else if ok {
		b, err := parseBBox(s)
		if err != nil {
			return lq, err
		}
		lq.BBox = b
	}
	if s, ok, err := single(q, "sortby"); err != nil {
		return lq, err
	} else if ok {
		if lq.Sort, err = parseSort(l, s); err != nil {
			return lq, err
		}
	}
	if s, ok, err := single(q, "at"); err != nil {
		return lq, err
	} else if ok {
		if l.ValidFrom == "" {
			return lq, badParam("at", "layer "+l.ID+" has no editions; at applies to growth_boundaries")
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return lq, badParam("at", "at must be a date such as 2024-06-30")
		}
		lq.At = &d
	}
	for name, vs := range q {
		if reservedParams[name] {
			continue
		}
		a := l.Attr(name)
		if a == nil || name == "geom" {
			return lq, badParam(clip(name), "unknown parameter "+strconv.Quote(clip(name))+": use bbox, limit, offset, sortby, crs, at or an attribute of layer "+l.ID)
		}
		if len(vs) != 1 {
			return lq, badParam(name, "filter "+name+" is given more than once")
		}
		v, err := parseFilterValue(a, vs[0], colType(name))
		if err != nil {
			return lq, badParam(name, err.Error())
		}
		lq.Filters = append(lq.Filters, Filter{Attr: name, Value: v})
	}
	return lq, nil
}

// clip shortens a client-chosen name before it is echoed back.
func clip(s string) string { return featurewrite.Clip(s) }

// parseBBox reads minLon,minLat,maxLon,maxLat in WGS 84 degrees.
func parseBBox(s string) (*[4]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, badParam("bbox", "bbox must be minLon,minLat,maxLon,maxLat (4 numbers, WGS 84)")
	}
	var b [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, badParam("bbox", "bbox must be minLon,minLat,maxLon,maxLat (4 finite numbers, WGS 84)")
		}
		b[i] = f
	}
	if b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 || b[0] > b[2] || b[1] > b[3] {
		return nil, badParam("bbox", "bbox must lie within -180,-90,180,90 with min <= max")
	}
	return &b, nil
}

// parseSort reads "name,-population": attributes marked sortable in the registry, "-" for
// descending, "+" or nothing for ascending.
func parseSort(l *layers.Layer, s string) ([]SortKey, error) {
	var keys []SortKey
	parts := strings.Split(s, ",")
	if len(parts) > 8 {
		return nil, badParam("sortby", "sortby takes at most 8 attributes")
	}
	for _, p := range parts {
		k := SortKey{Attr: strings.TrimSpace(p)}
		if strings.HasPrefix(k.Attr, "-") {
			k.Desc, k.Attr = true, k.Attr[1:]
		} else {
			k.Attr = strings.TrimPrefix(k.Attr, "+")
		}
		a := l.Attr(k.Attr)
		if a == nil || !a.Sortable {
			return nil, badParam("sortby", "cannot sort by "+strconv.Quote(clip(k.Attr))+": sortable attributes of "+l.ID+" are "+strings.Join(sortable(l), ", "))
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func sortable(l *layers.Layer) []string {
	var out []string
	for _, a := range l.Attributes {
		if a.Sortable {
			out = append(out, a.Name)
		}
	}
	return out
}

// parseFilterValue converts a query-string value to the attribute's Go type.
func parseFilterValue(a *layers.Attribute, s, pgType string) (any, error) {
	if len(s) > maxValueLen || strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
		return nil, errors.New("filter value is too long or not valid text")
	}
	switch a.Type {
	case layers.Integer:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || !featurewrite.IntFits(n, pgType) {
			return nil, fmt.Errorf("%s must be a whole number", a.Name)
		}
		return n, nil
	case layers.Number:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%s must be a finite number", a.Name)
		}
		return f, nil
	case layers.Boolean:
		b, ok := layers.ParseBool(s)
		if !ok {
			return nil, fmt.Errorf("%s must be true or false (or 1 or 0)", a.Name)
		}
		return b, nil
	case layers.Date:
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("%s must be a date such as 2024-06-30", a.Name)
		}
		return d, nil
	case layers.Time:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("%s must be an RFC 3339 time such as 2024-06-30T08:00:00Z", a.Name)
		}
		return t, nil
	}
	return s, nil
}

// parseID reads a feature id from the path.
func parseID(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, problem.New(http.StatusNotFound, "feature ids are positive whole numbers")
	}
	return n, nil
}
