package capacity

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// geometryTables are the tables the features of each level take their geometry from (an
// allow-list: the level names a table only through it).
var geometryTables = map[string]string{
	LevelParcel:   "residential_land",
	"community":   "communities",
	"subdistrict": "subdistricts",
	"district":    "districts",
}

// Geometries returns the EPSG:4326 GeoJSON geometry (7 decimals) of the features of a level
// (parcel, community, subdistrict, district) of the city, by id.
func (s Store) Geometries(ctx context.Context, cityID int, level string) (map[int64]json.RawMessage, error) {
	table, ok := geometryTables[level]
	if !ok {
		return nil, invalid("level", fmt.Sprintf("level %q has no map geometry: parcel, community, subdistrict or district", clip(level)))
	}
	//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	rows, err := s.reads().Query(ctx, `SELECT id, ST_AsGeoJSON(geom, 7) FROM `+pgx.Identifier{table}.Sanitize()+
		` WHERE city_id = $1 AND geom IS NOT NULL`, cityID)
	if err != nil {
		return nil, err
	}
	out := map[int64]json.RawMessage{}
	var id int64
	var g string
	_, err = pgx.ForEachRow(rows, []any{&id, &g}, func() error { out[id] = json.RawMessage(g); return nil })
	return out, err
}

// Feature is one parcel or area of a capacity report on the map: Properties hold the
// figures of the report under the names of the JSON answer (demand, served, ratio — A_i for
// a parcel —, need, attainment — served / need, what the map colours —, gap, shortfall) with
// id, code and name.
type Feature struct {
	Type       string          `json:"type"`
	ID         int64           `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

// FeatureCollection is a capacity report drawn: one feature per parcel or area, the report's
// parameters and city totals as the foreign member capacity.
type FeatureCollection struct {
	Type     string    `json:"type"`
	Features []Feature `json:"features"`
	Capacity Summary   `json:"capacity"`
}

// Summary is what the map legend needs of a report.
type Summary struct {
	Category Category `json:"category"`
	Bands    []string `json:"bands"`
	Profile  string   `json:"profile,omitempty"`
	D0       float64  `json:"d0_m"`
	Decay    string   `json:"decay"`
	Level    string   `json:"level"`
	Norm     Norm     `json:"norm"`
	// NormPerResident is Norm.PerThousand / 1000.
	NormPerResident float64 `json:"norm_per_resident"`
	Totals          Figure  `json:"totals"`
}

// GeoJSON draws rep (level parcel, community, subdistrict or district): the figures are the
// report's own, so the map shows exactly what the API answers. A parcel or area without a
// geometry (the area 0 of parcels outside any) is left out of the features, not the totals.
//
// parcels, when rep is a scenario's, are the EPSG:4326 GeoJSON geometries of the parcels the
// scenario adds or reshapes, by the id its report knows them by (negative for an added
// one): they are drawn instead of the stored ones. Areas are always the stored ones (a
// scenario changes no community, 街道 or district). nil draws the stored tables alone.
func (s *Service) GeoJSON(ctx context.Context, rep *Report, parcels map[int64]json.RawMessage) (*FeatureCollection, error) {
	geoms, err := s.Store.Geometries(ctx, rep.City.ID, rep.Level)
	if err != nil {
		return nil, err
	}
	if rep.Level == LevelParcel {
		for id, g := range parcels {
			geoms[id] = g
		}
	}
	fc := &FeatureCollection{Type: "FeatureCollection", Features: []Feature{}, Capacity: Summary{Category: rep.Category, Bands: rep.Bands,
		Profile: rep.Profile, D0: rep.D0, Decay: rep.Decay, Level: rep.Level, Norm: rep.Norm, NormPerResident: rep.NormPerResident, Totals: rep.Totals}}
	if rep.Level == LevelParcel {
		for _, p := range rep.Parcels {
			if g, ok := geoms[p.ID]; ok {
				fc.Features = append(fc.Features, Feature{Type: "Feature", ID: p.ID, Geometry: g, Properties: map[string]any{
					"id": p.ID, "community_id": p.Community, "demand": p.Demand, "ratio": p.Access, "served": p.Served,
					"need": p.Need, "attainment": p.Attainment, "gap": p.Gap, "shortfall": max(0, p.Gap)}})
			}
		}
		return fc, nil
	}
	for _, a := range rep.Areas {
		if g, ok := geoms[a.ID]; ok {
			fc.Features = append(fc.Features, Feature{Type: "Feature", ID: a.ID, Geometry: g, Properties: map[string]any{
				"id": a.ID, "code": a.Code, "name": a.Name, "demand": a.Demand, "ratio": a.Ratio, "served": a.Served,
				"need": a.Need, "attainment": a.Attainment, "gap": a.Gap, "shortfall": a.Shortfall, "parcels": a.Parcels}})
		}
	}
	return fc, nil
}
