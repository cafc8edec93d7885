package synth

import (
	"errors"
	"fmt"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Outline is one real administrative area.
type Outline struct {
	Adcode, Name, NameEN, Level string
	Geom                        orb.MultiPolygon // EPSG:4326
}

// Outlines are the real inputs: the city outline, its districts (sorted by adcode) and the
// Yellow River line.
type Outlines struct {
	City      Outline
	Districts []Outline
	River     orb.LineString
}

// The four districts whose outlines hold the generated city.
var coreDistricts = []string{"150202", "150203", "150204", "150207"}

// ParseAdmin reads a GeoJSON FeatureCollection with one feature of level "city" and the
// district features of level "district" (properties adcode, name, name_en).
func ParseAdmin(data []byte) (Outline, []Outline, error) {
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return Outline{}, nil, fmt.Errorf("admin outlines: %w", err)
	}
	var city Outline
	var ds []Outline
	for i, f := range fc.Features {
		o := Outline{Adcode: f.Properties.MustString("adcode", ""), Name: f.Properties.MustString("name", ""),
			NameEN: f.Properties.MustString("name_en", ""), Level: f.Properties.MustString("level", "")}
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			o.Geom = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			o.Geom = g
		default:
			return Outline{}, nil, fmt.Errorf("admin outlines: feature %d (%s) is a %s, want a (multi)polygon", i, o.Name, f.Geometry.GeoJSONType())
		}
		if o.Adcode == "" || o.Name == "" {
			return Outline{}, nil, fmt.Errorf("admin outlines: feature %d lacks adcode or name", i)
		}
		switch o.Level {
		case "city":
			if city.Adcode != "" {
				return Outline{}, nil, errors.New("admin outlines: more than one feature of level city")
			}
			city = o
		case "district":
			ds = append(ds, o)
		}
	}
	if city.Adcode == "" {
		return Outline{}, nil, errors.New("admin outlines: no feature of level city")
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Adcode < ds[j].Adcode })
	have := map[string]bool{}
	for _, d := range ds {
		have[d.Adcode] = true
	}
	for _, a := range coreDistricts {
		if !have[a] {
			return Outline{}, nil, fmt.Errorf("admin outlines: district %s is missing; the demo city is generated inside 150202, 150203, 150204 and 150207", a)
		}
	}
	return city, ds, nil
}

// ParseRiver reads a GeoJSON FeatureCollection (or Feature) whose first feature is a
// LineString or MultiLineString; parts of a MultiLineString are joined in order.
func ParseRiver(data []byte) (orb.LineString, error) {
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err == nil && len(fc.Features) == 0 {
		err = errors.New("no features")
	}
	if err != nil {
		return nil, fmt.Errorf("river: want a FeatureCollection with a line feature: %w", err)
	}
	switch g := fc.Features[0].Geometry.(type) {
	case orb.LineString:
		return g, nil
	case orb.MultiLineString:
		var out orb.LineString
		for _, l := range g {
			out = append(out, l...)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("river: first feature is a %s, want a line", fc.Features[0].Geometry.GeoJSONType())
	}
}
