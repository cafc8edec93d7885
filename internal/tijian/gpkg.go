package tijian

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cityreach/cityreach/internal/report"
)

// Layers are the data package's layers: one per unit level below the city (district, 街道,
// community), each unit's polygon (EPSG:4326) with the properties level, code, name,
// parent_code and a column per indicator key (null where it does not apply).
func (t *Tables) Layers(lang string) ([]*report.Layer, error) {
	var out []*report.Layer
	for _, level := range Levels[1:] {
		type feature struct {
			Type       string          `json:"type"`
			Geometry   json.RawMessage `json:"geometry"`
			Properties map[string]any  `json:"properties"`
		}
		fc := struct {
			Type     string    `json:"type"`
			Features []feature `json:"features"`
		}{Type: "FeatureCollection", Features: []feature{}}
		for _, u := range t.Units {
			if u.Level != level || u.geom == nil {
				continue
			}
			p := map[string]any{"level": u.Level, "code": u.Code, "name": u.Name, "parent_code": u.ParentCode}
			for _, in := range t.Indicators {
				if v := u.Values[in.Key]; v != nil {
					p[in.Key] = *v
				} else {
					p[in.Key] = nil
				}
			}
			fc.Features = append(fc.Features, feature{Type: "Feature", Geometry: u.geom, Properties: p})
		}
		if t.Level != "" && t.Level != level {
			continue
		}
		b, err := json.Marshal(fc)
		if err != nil {
			return nil, err
		}
		out = append(out, &report.Layer{Name: "tijian_" + level, Title: fmt.Sprintf(label(lang, "layer"), label(lang, "lvl_"+level)), GeoJSON: b})
	}
	return out, nil
}

// WriteGeoPackage writes the data package at path: an OGC GeoPackage with the unit layers
// (Layers), through internal/report's pure-Go GeoPackage writer.
func (t *Tables) WriteGeoPackage(ctx context.Context, path, lang string) error {
	lang, err := CheckLang(lang)
	if err != nil {
		return err
	}
	layers, err := t.Layers(lang)
	if err != nil {
		return err
	}
	return report.WriteGeoPackage(ctx, path, layers, t.Data.Updated)
}
