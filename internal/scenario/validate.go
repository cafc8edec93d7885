package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	orbjson "github.com/paulmach/orb/geojson"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/geojson"
	"github.com/cityreach/cityreach/internal/layers"
)

// maxStringBytes bounds one string attribute, as in the layers API.
const maxStringBytes = 4096

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
// decoder and attribute rules. The database constraints are checked afterwards by the
// store's dry run.
func decodeChange(reg *layers.Registry, in ChangeInput) (decoded, error) {
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
		t := f.Geometry.GeoJSONType()
		if !(t == d.layer.GeomType || (d.layer.GeomType == "MultiPolygon" && t == "Polygon")) {
			return d, invalid("/feature/geometry/type", fmt.Sprintf("layer %s holds %s geometries, not %s", d.layer.ID, d.layer.GeomType, t))
		}
		if t == "Polygon" {
			f.Geometry = orb.MultiPolygon{f.Geometry.(orb.Polygon)}
		}
		d.geometry, props = f.Geometry, f.Properties
	}
	var err error
	if d.props, d.raw, err = attributes(d.layer, props, in.Op == OpAdd); err != nil {
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

// attributes checks props against the layer's schema, like the layers API: unknown
// attributes are refused, read-only ones ignored (so a feature read from the API can be
// sent back), required ones demanded on add. city_id is the scenario's and cannot be set.
// It returns the values to bind and their JSON form.
func attributes(l *layers.Layer, props map[string]any, create bool) (map[string]any, map[string]any, error) {
	out, raw := map[string]any{}, map[string]any{}
	for k, v := range props {
		a := l.Attr(k)
		ptr := "/feature/properties/" + Clip(k)
		if a == nil {
			return nil, nil, invalid(ptr, "unknown attribute "+strconv.Quote(Clip(k))+" for layer "+l.ID)
		}
		if a.ReadOnly {
			continue
		}
		if k == "city_id" {
			return nil, nil, invalid(ptr, "city_id is the scenario's city and cannot be set")
		}
		if v == nil {
			if a.Required {
				return nil, nil, invalid(ptr, "attribute "+k+" is required and cannot be null")
			}
			out[k], raw[k] = nil, nil
			continue
		}
		cv, err := convertValue(a, v)
		if err != nil {
			return nil, nil, invalid(ptr, "attribute "+k+": "+err.Error())
		}
		out[k], raw[k] = cv, v
		if t, ok := cv.(time.Time); ok {
			raw[k] = t.Format(time.DateOnly)
		}
	}
	if create {
		for _, a := range l.Writable() {
			if _, ok := out[a.Name]; !ok && a.Required && a.Name != "city_id" {
				return nil, nil, invalid("/feature/properties", "attribute "+a.Name+" is required")
			}
		}
	}
	return out, raw, nil
}

// convertValue checks one JSON value (decoded with UseNumber, or re-read from jsonb)
// against the attribute.
func convertValue(a *layers.Attribute, v any) (any, error) {
	switch a.Type {
	case layers.String:
		s, ok := v.(string)
		if !ok {
			return nil, errors.New("must be a string")
		}
		if len(s) > maxStringBytes || strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
			return nil, fmt.Errorf("must be text of at most %d bytes without NUL characters", maxStringBytes)
		}
		if len(a.Enum) > 0 && !contains(a.Enum, s) {
			return nil, fmt.Errorf("must be one of %s", strings.Join(a.Enum, ", "))
		}
		return s, nil
	case layers.Integer, layers.Number:
		var f float64
		switch n := v.(type) {
		case json.Number:
			x, err := strconv.ParseFloat(string(n), 64)
			if err != nil {
				return nil, errors.New("must be a finite number")
			}
			f = x
		case float64:
			f = n
		default:
			return nil, errors.New("must be a number")
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, errors.New("must be a finite number")
		}
		if a.Type == layers.Integer && (f != math.Trunc(f) || math.Abs(f) > 1<<53) {
			return nil, errors.New("must be a whole number within range")
		}
		if a.Min != nil && f < *a.Min {
			return nil, fmt.Errorf("must be at least %s", strconv.FormatFloat(*a.Min, 'g', -1, 64))
		}
		if a.Max != nil && f > *a.Max {
			return nil, fmt.Errorf("must be at most %s", strconv.FormatFloat(*a.Max, 'g', -1, 64))
		}
		if a.Type == layers.Integer {
			return int64(f), nil
		}
		return f, nil
	case layers.Boolean:
		b, ok := v.(bool)
		if !ok {
			return nil, errors.New("must be true or false")
		}
		return b, nil
	case layers.Date:
		s, ok := v.(string)
		if !ok {
			return nil, errors.New("must be a date such as 2024-06-30")
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, errors.New("must be a date such as 2024-06-30")
		}
		return d, nil
	}
	return nil, errors.New("cannot be written")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Clip bounds a client-supplied string echoed in a detail: at most 64 bytes, with any UTF-8
// sequence the cut (or the client) left broken dropped.
func Clip(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strings.ToValidUTF8(s, "")
}
