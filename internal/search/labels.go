package search

import (
	"context"
	"encoding/json"

	"github.com/cityreach/cityreach/internal/citydata"
)

// LabelLayers are the layers GET /api/v1/labels serves, each with its statement. The
// label point is the centre of the polygon's largest inscribed circle
// (ST_MaximumInscribedCircle, computed in the city's metric CRS): the point farthest from
// the edges, where a label fits best, and inside the polygon by construction. A district
// is labelled where its people live: on the part of it inside the convex hull of its
// communities (the whole district when it has none), so the urban districts, which reach
// far into the steppe, are named where a planner looks. $1 is the city id.
var LabelLayers = map[string]string{
	"districts": `
SELECT d.id, d.name, d.name_en, d.kind, d.synthetic, ST_Area(d.geom_m), x.r, ST_AsGeoJSON(ST_Transform(x.c, 4326), 7)
FROM districts d
LEFT JOIN LATERAL (SELECT ST_ConvexHull(ST_Collect(m.geom_m)) AS hull FROM communities m JOIN subdistricts s ON s.city_id = m.city_id AND s.id = m.subdistrict_id
                   WHERE m.city_id = d.city_id AND s.district_id = d.id) h ON true
CROSS JOIN LATERAL (SELECT CASE WHEN h.hull IS NULL THEN d.geom_m
                                ELSE coalesce(nullif(ST_CollectionExtract(ST_Intersection(d.geom_m, h.hull), 3), 'POLYGON EMPTY'::geometry), d.geom_m) END AS g) a
CROSS JOIN LATERAL (SELECT (ST_MaximumInscribedCircle(a.g)).center AS c, (ST_MaximumInscribedCircle(a.g)).radius AS r) x
WHERE d.city_id = $1
ORDER BY d.id`,
	"subdistricts": `
SELECT s.id, s.name, NULL::text, NULL::text, s.synthetic, ST_Area(s.geom_m), x.r, ST_AsGeoJSON(ST_Transform(x.c, 4326), 7)
FROM subdistricts s
CROSS JOIN LATERAL (SELECT (m).center AS c, (m).radius AS r FROM (SELECT ST_MaximumInscribedCircle(s.geom_m) AS m) y) x
WHERE s.city_id = $1
ORDER BY s.id`,
	"communities": `
SELECT m.id, m.name, NULL::text, NULL::text, m.synthetic, ST_Area(m.geom_m), x.r, ST_AsGeoJSON(ST_Transform(x.c, 4326), 7)
FROM communities m
CROSS JOIN LATERAL (SELECT (mic).center AS c, (mic).radius AS r FROM (SELECT ST_MaximumInscribedCircle(m.geom_m) AS mic) y) x
WHERE m.city_id = $1
ORDER BY m.id`,
	"parks": `
SELECT k.id, k.name, NULL::text, k.park_class, k.synthetic, ST_Area(k.geom_m), x.r, ST_AsGeoJSON(ST_Transform(x.c, 4326), 7)
FROM parks k
CROSS JOIN LATERAL (SELECT (mic).center AS c, (mic).radius AS r FROM (SELECT ST_MaximumInscribedCircle(k.geom_m) AS mic) y) x
WHERE k.city_id = $1
ORDER BY k.id`,
}

// LabelQuery is a parsed label request.
type LabelQuery struct{ City, Layer string }

// Label is one label point's properties.
type Label struct {
	ID     int64   `json:"id"`
	Layer  string  `json:"layer"`
	Name   string  `json:"name"`
	NameEN *string `json:"name_en,omitempty"`
	// Kind is a district's kind (区, 旗, 县) or a park's class.
	Kind   *string `json:"kind,omitempty"`
	AreaM2 float64 `json:"area_m2"`
	// RadiusM is the radius of the largest circle inside the area around the point: how
	// much room the label has.
	RadiusM float64 `json:"radius_m"`
	// Synthetic is the feature's own flag: generated demo data, not survey data.
	Synthetic bool `json:"synthetic"`
}

type labelFeature struct {
	Type       string          `json:"type"`
	ID         int64           `json:"id"`
	Properties Label           `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

// LabelCollection is the GeoJSON answer of GET /api/v1/labels.
type LabelCollection struct {
	Type     string         `json:"type"`
	Features []labelFeature `json:"features"`
}

// Labels returns one label point per feature of q.Layer in q.City.
func (s Store) Labels(ctx context.Context, q LabelQuery) (LabelCollection, error) {
	city, err := citydata.BySlug(ctx, s.Pool, q.City)
	if err != nil {
		return LabelCollection{}, err
	}
	rows, err := s.Pool.Query(ctx, LabelLayers[q.Layer], city.ID)
	if err != nil {
		return LabelCollection{}, err
	}
	defer rows.Close()
	out := LabelCollection{Type: "FeatureCollection", Features: []labelFeature{}}
	for rows.Next() {
		f := labelFeature{Type: "Feature", Properties: Label{Layer: q.Layer}}
		var g *string
		if err := rows.Scan(&f.ID, &f.Properties.Name, &f.Properties.NameEN, &f.Properties.Kind, &f.Properties.Synthetic, &f.Properties.AreaM2, &f.Properties.RadiusM, &g); err != nil {
			return LabelCollection{}, err
		}
		if g == nil {
			continue // an empty geometry has no label
		}
		f.Properties.ID = f.ID
		f.Geometry = json.RawMessage(*g)
		out.Features = append(out.Features, f)
	}
	return out, rows.Err()
}
