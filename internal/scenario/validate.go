package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	orbjson "github.com/paulmach/orb/geojson"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/geojson"
	"github.com/cityreach/cityreach/internal/layers"
)

// decoded is a checked change: geometry (nil when a modify keeps it), the properties
// converted to the Go types the store binds, and the entrances.
type decoded struct {
	layer     *layers.Layer
	geometry  orb.Geometry
	props     map[string]any // converted
	raw       map[string]any // JSON-ready (dates as strings)
	entrances orb.MultiPoint
	hasEnts   bool
}

func invalid(pointer, detail string) error {
	return fault.Unprocessable(detail).With("pointer", pointer)
}

// decodeChange checks in against the layer registry with the layers API's strict GeoJSON
// decoder and its attribute and geometry-type rules (internal/featurewrite, with the
// columns' integer widths). The database constraints are checked afterwards by the
// store's dry run.
func decodeChange(reg *layers.Registry, in ChangeInput, cols featurewrite.Columns) (decoded, error) {
	var d decoded
	if !knownLayer(in.Layer) {
		return d, fault.Invalid("layer must be one of "+strings.Join(Layers, ", ")).With("pointer", "/layer")
	}
	d.layer = reg.Lookup(in.Layer)
	switch in.Op {
	case OpAdd:
		if in.Target != 0 {
			return d, fault.Invalid("an added feature has no target_id").With("pointer", "/target_id")
		}
	case OpModify, OpDelete:
		if in.Target == 0 {
			return d, fault.Invalid(in.Op+" needs target_id: the feature's id, or -n for the feature added by change n").With("pointer", "/target_id")
		}
	default:
		return d, fault.Invalid("op must be add, modify or delete").With("pointer", "/op")
	}
	if in.Op == OpDelete {
		if len(in.Feature) > 0 && string(in.Feature) != "null" || len(in.Entrances) > 0 {
			return d, fault.Invalid("a delete carries no feature or entrances").With("pointer", "/feature")
		}
		return d, nil
	}
	if len(in.Feature) == 0 || string(in.Feature) == "null" {
		return d, fault.Invalid(in.Op+" needs a GeoJSON Feature").With("pointer", "/feature")
	}
	var props map[string]any
	if in.Op == OpModify && nullGeometry(in.Feature) {
		var f struct {
			Type       string          `json:"type"`
			Properties json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(in.Feature, &f); err != nil || f.Type != "Feature" {
			return d, fault.Invalid(`feature must be a GeoJSON Feature`).With("pointer", "/feature")
		}
		if len(f.Properties) > 0 && string(f.Properties) != "null" {
			dec := json.NewDecoder(bytes.NewReader(f.Properties))
			dec.UseNumber()
			if err := dec.Decode(&props); err != nil {
				return d, fault.Invalid("properties must be a JSON object").With("pointer", "/feature/properties")
			}
		}
	} else {
		f, err := geojson.DecodeFeature(bytes.NewReader(in.Feature), geojson.Options{GeographicRange: true, RejectGeometryCollection: true})
		if err != nil {
			var ge *geojson.Error
			if errors.As(err, &ge) {
				if strings.HasPrefix(ge.Pointer, "/geometry") {
					return d, fault.Unprocessable("invalid geometry: "+ge.Reason).With("reason", ge.Reason).With("pointer", "/feature"+ge.Pointer)
				}
				return d, fault.Invalid(ge.Reason).With("pointer", "/feature"+ge.Pointer)
			}
			return d, fault.Invalid("the feature could not be read")
		}
		if f.CRS != "" && f.CRS != "EPSG:4326" && f.CRS != "OGC:CRS84" && !strings.Contains(f.CRS, "CRS84") {
			return d, fault.Invalid("scenario changes are WGS 84 longitude/latitude (EPSG:4326)").With("pointer", "/feature/crs")
		}
		if err := featurewrite.CheckGeometryType(d.layer, f.Geometry); err != nil {
			return d, onFeature(err)
		}
		if f.Geometry.GeoJSONType() == "Polygon" {
			f.Geometry = orb.MultiPolygon{f.Geometry.(orb.Polygon)}
		}
		d.geometry, props = f.Geometry, f.Properties
	}
	var err error
	if d.props, d.raw, err = attributes(d.layer, props, in.Op == OpAdd, cols.Of(d.layer)); err != nil {
		return d, err
	}
	if len(in.Entrances) > 0 && string(in.Entrances) != "null" {
		if in.Layer != "parks" {
			return d, fault.Invalid("entrances are given with parks only").With("pointer", "/entrances")
		}
		g, err := orbjson.UnmarshalGeometry(in.Entrances)
		if err != nil {
			return d, fault.Invalid("entrances must be a GeoJSON MultiPoint").With("pointer", "/entrances")
		}
		mp, ok := g.Geometry().(orb.MultiPoint)
		if !ok {
			if p, isPt := g.Geometry().(orb.Point); isPt {
				mp, ok = orb.MultiPoint{p}, true
			}
		}
		if !ok || len(mp) > 1000 {
			return d, fault.Invalid("entrances must be a GeoJSON MultiPoint of at most 1000 points").With("pointer", "/entrances")
		}
		for i, p := range mp {
			if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
				return d, invalid("/entrances/coordinates/"+strconv.Itoa(i), "entrance is not a longitude/latitude")
			}
		}
		d.entrances, d.hasEnts = mp, true
	}
	return d, nil
}

func nullGeometry(feature json.RawMessage) bool {
	var f struct {
		Geometry json.RawMessage `json:"geometry"`
	}
	return json.Unmarshal(feature, &f) == nil && (len(f.Geometry) == 0 || string(f.Geometry) == "null")
}

// attributes checks props with the layers' own rules (featurewrite.Attributes: unknown
// attributes refused, read-only ones ignored so a feature read from the API can be sent
// back, types, integer widths, bounds, enums, text lengths, required ones demanded on
// add), with pointers into the change's feature. city_id is the scenario's and cannot be
// set. It returns the values to bind and their JSON form.
func attributes(l *layers.Layer, props map[string]any, create bool, colType featurewrite.ColumnType) (map[string]any, map[string]any, error) {
	if _, ok := props["city_id"]; ok {
		return nil, nil, invalid("/feature/properties/city_id", "city_id is the scenario's city and cannot be set")
	}
	m := featurewrite.Patch
	if create {
		m = featurewrite.Create
	}
	out, err := featurewrite.Attributes(l, props, m, colType, "city_id")
	if err != nil {
		return nil, nil, onFeature(err)
	}
	raw := make(map[string]any, len(out))
	for k, v := range out {
		raw[k] = props[k]
		if t, ok := v.(time.Time); ok {
			raw[k] = t.Format(time.DateOnly)
		}
	}
	return out, raw, nil
}

// onFeature points a refusal of featurewrite into the change's feature: its JSON pointer
// (/properties/…, /geometry…) gains the /feature prefix, and an invalid geometry, which
// names none, points at /feature/geometry.
func onFeature(err error) error {
	fe := fault.As(err)
	if fe == nil {
		return err
	}
	cp := *fe
	cp.Extra = make(map[string]any, len(fe.Extra)+1)
	for k, v := range fe.Extra {
		cp.Extra[k] = v
	}
	if p, ok := cp.Extra["pointer"].(string); ok {
		cp.Extra["pointer"] = "/feature" + p
	} else if _, ok := cp.Extra["reason"]; ok {
		cp.Extra["pointer"] = "/feature/geometry"
	}
	return &cp
}

// Clip bounds a client-supplied string echoed in a detail: at most 64 bytes, with any UTF-8
// sequence the cut (or the client) left broken dropped.
func Clip(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.ToValidUTF8(s, "")
}
