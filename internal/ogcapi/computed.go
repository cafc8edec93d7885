package ogcapi

import (
	"encoding/json"
	"strconv"

	"github.com/cityreach/cityreach/internal/cql2"
)

// ComputedTerms is the part of a Query a computed collection answers: one that is not
// read from a table but computed per request from an indicator's per-parcel result (the
// park-coverage and living-circle parcel collections). It returns the text of the
// top-level equality terms of q's filter on the properties named in params (city=…,
// caliber_id=… as query parameters or CQL2 `a = 'x' AND …`), and refuses, with an
// *InvalidError naming the parameter, what such a collection cannot answer: any other
// filter term, bbox, sortby, offset (it pages by cursor), datetime and output CRSs other
// than OGC:CRS84. Such a collection's Description sets Keyset.
func ComputedTerms(q Query, params ...string) (map[string]string, error) {
	out := map[string]string{}
	var walk func(e cql2.Expr) error
	walk = func(e cql2.Expr) error {
		if a, ok := e.(cql2.And); ok {
			if err := walk(a.L); err != nil {
				return err
			}
			return walk(a.R)
		}
		if cmp, ok := e.(cql2.Compare); ok && cmp.Op == "=" {
			for _, p := range params {
				if cmp.Prop == p {
					out[p] = cmp.Value.Text
					return nil
				}
			}
		}
		return &InvalidError{Param: "filter", Msg: "this computed collection is filtered only by equality on " + joinNames(params)}
	}
	if q.Filter != nil {
		if err := walk(q.Filter); err != nil {
			return nil, err
		}
	}
	switch {
	case q.BBox != nil:
		return nil, &InvalidError{Param: "bbox", Msg: "this computed collection has no bbox filter"}
	case len(q.Sort) > 0:
		return nil, &InvalidError{Param: "sortby", Msg: "this computed collection is in id order only"}
	case q.Offset > 0:
		return nil, &InvalidError{Param: "offset", Msg: "this computed collection pages by cursor: follow the next link"}
	case q.Datetime != nil:
		return nil, &InvalidError{Param: "datetime", Msg: "this computed collection is of the current data"}
	case q.Out.CRS.SRID() != 0 && (q.Out.CRS.SRID() != 4326 || q.Out.LatLon):
		return nil, &InvalidError{Param: "crs", Msg: "this computed collection is served in OGC:CRS84 only"}
	}
	return out, nil
}

func joinNames(ns []string) string {
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// ComputedFeatures turns a GeoJSON FeatureCollection (numeric or string feature ids) into
// features, keeping only the properties out asks for (nil: all).
func ComputedFeatures(fc json.RawMessage, out Output) ([]Feature, error) {
	var c struct {
		Features []struct {
			ID         json.RawMessage            `json:"id"`
			Geometry   json.RawMessage            `json:"geometry"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(fc, &c); err != nil {
		return nil, err
	}
	fs := make([]Feature, len(c.Features))
	for i, f := range c.Features {
		props := f.Properties
		if out.Properties != nil {
			props = make(map[string]json.RawMessage, len(out.Properties))
			for _, p := range out.Properties {
				if v, ok := f.Properties[p]; ok {
					props[p] = v
				}
			}
		}
		b, err := json.Marshal(props)
		if err != nil {
			return nil, err
		}
		fs[i] = Feature{ID: f.ID, Geometry: f.Geometry, Properties: b}
	}
	return fs, nil
}

// ComputedItemID parses the id of a computed collection's feature: a positive whole number.
func ComputedItemID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, &InvalidError{Param: "featureId", Msg: "feature ids of this collection are positive whole numbers"}
	}
	return n, nil
}
