// Package search is the name search of the web map and of any client: one ranked, paged
// lookup across the administrative areas (区/旗/县, 街道, 社区), parks and facilities of a
// city (GET /api/v1/search), and the label points of the areas and parks (GET
// /api/v1/labels): one point per feature, so a map labels an area once however many tiles
// cut it. docs/api.md describes both.
package search

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/citydata"
)

// Types are the kinds of feature a search finds, in their rank order: a district before a
// subdistrict of the same name, and so on.
var Types = []string{"district", "subdistrict", "community", "park", "facility"}

// The limits of a query.
const (
	MaxQueryRunes = 64
	DefaultLimit  = 20
	MaxLimit      = 100
	MaxOffset     = 10000
)

// Query is a parsed search request.
type Query struct {
	Text   string
	City   string // slug; empty for every city
	Types  []string
	Limit  int
	Offset int
}

// ValidSlug reports whether s can be a city slug: 1–63 lower-case letters, digits, - and _.
func ValidSlug(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// likeEscape escapes LIKE's wildcards and its escape character, so typed text matches itself.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Hit is one search result.
type Hit struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// NameEN is the English name where the data has one (districts).
	NameEN *string `json:"name_en,omitempty"`
	// Match is how the name matched: exact, prefix or substring (case-insensitive).
	Match string `json:"match"`
	// Within names the area the hit lies in: a subdistrict's district, a community's
	// subdistrict; a park's or facility's community when one contains it.
	Within *string `json:"within,omitempty"`
	// Kind is a park's class or a facility's category (codes; the client translates them).
	Kind *string `json:"kind,omitempty"`
	City string  `json:"city"`
	// Point is a point on the feature (on its surface for an area) to put a marker on.
	Point [2]float64 `json:"point"`
	// BBox is the feature's [west, south, east, north] in WGS 84, to fly to.
	BBox [4]float64 `json:"bbox"`
}

// Result is a page of hits with the total number of matches.
type Result struct {
	Query  string `json:"query"`
	Total  int    `json:"total"`
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
	Hits   []Hit  `json:"results"`
}

// Store runs searches on PostgreSQL.
type Store struct{ Pool *pgxpool.Pool }

// The ranked union: $1 the text (lowered in SQL, so PostgreSQL's lower() is the one both
// sides use), $2 the LIKE pattern of the escaped text, $3 the types, $4 the ids of the cities
// searched (internal/citydata resolved them), $5 limit, $6 offset. Rank: exact 0, prefix 1, substring 2; then type in
// Types order; then shorter names, then name and id for a stable order.
const searchSQL = `
WITH p AS (SELECT lower($1::text) AS t, lower($2::text) AS pat),
c AS (SELECT unnest($4::int[]) AS id),
hits AS (
  SELECT 'district' AS type, 0 AS type_rank, d.id, d.name, d.name_en, d.kind AS kind, d.city_id
  FROM districts d, p WHERE 'district' = ANY($3::text[]) AND d.city_id IN (SELECT id FROM c)
    AND (lower(d.name) LIKE p.pat ESCAPE '\' OR lower(d.name_en) LIKE p.pat ESCAPE '\')
  UNION ALL
  SELECT 'subdistrict', 1, s.id, s.name, NULL, NULL, s.city_id
  FROM subdistricts s, p WHERE 'subdistrict' = ANY($3::text[]) AND s.city_id IN (SELECT id FROM c) AND lower(s.name) LIKE p.pat ESCAPE '\'
  UNION ALL
  SELECT 'community', 2, m.id, m.name, NULL, NULL, m.city_id
  FROM communities m, p WHERE 'community' = ANY($3::text[]) AND m.city_id IN (SELECT id FROM c) AND lower(m.name) LIKE p.pat ESCAPE '\'
  UNION ALL
  SELECT 'park', 3, k.id, k.name, NULL, k.park_class, k.city_id
  FROM parks k, p WHERE 'park' = ANY($3::text[]) AND k.city_id IN (SELECT id FROM c) AND lower(k.name) LIKE p.pat ESCAPE '\'
  UNION ALL
  SELECT 'facility', 4, f.id, f.name, NULL, f.category, f.city_id
  FROM facilities f, p WHERE 'facility' = ANY($3::text[]) AND f.city_id IN (SELECT id FROM c) AND lower(f.name) LIKE p.pat ESCAPE '\'
),
page AS (
  SELECT h.*, CASE WHEN lower(h.name) = p.t OR lower(h.name_en) = p.t THEN 0
                   WHEN starts_with(lower(h.name), p.t) OR starts_with(lower(h.name_en), p.t) THEN 1 ELSE 2 END AS match_rank,
         count(*) OVER () AS total
  FROM hits h, p
  ORDER BY match_rank, type_rank, char_length(h.name), h.name, h.id
  LIMIT $5 OFFSET $6
)
SELECT r.type, r.id, r.name, r.name_en, r.match_rank, g.within, r.kind, r.city_id,
       ST_X(pt), ST_Y(pt), ST_XMin(g.geom), ST_YMin(g.geom), ST_XMax(g.geom), ST_YMax(g.geom), r.total
FROM page r
CROSS JOIN LATERAL (
  SELECT d.geom, NULL::text AS within FROM districts d WHERE r.type = 'district' AND d.id = r.id
  UNION ALL
  SELECT s.geom, (SELECT d.name FROM districts d WHERE d.city_id = s.city_id AND d.id = s.district_id) FROM subdistricts s WHERE r.type = 'subdistrict' AND s.id = r.id
  UNION ALL
  SELECT m.geom, (SELECT s.name FROM subdistricts s WHERE s.city_id = m.city_id AND s.id = m.subdistrict_id) FROM communities m WHERE r.type = 'community' AND m.id = r.id
  UNION ALL
  SELECT k.geom, (SELECT m.name FROM communities m WHERE m.city_id = k.city_id AND ST_Intersects(m.geom, ST_PointOnSurface(k.geom)) ORDER BY m.id LIMIT 1)
  FROM parks k WHERE r.type = 'park' AND k.id = r.id
  UNION ALL
  SELECT f.geom, (SELECT m.name FROM communities m WHERE m.city_id = f.city_id AND ST_Intersects(m.geom, f.geom) ORDER BY m.id LIMIT 1)
  FROM facilities f WHERE r.type = 'facility' AND f.id = r.id
) g
CROSS JOIN LATERAL (SELECT CASE WHEN GeometryType(g.geom) = 'POINT' THEN g.geom ELSE ST_PointOnSurface(g.geom) END AS pt) x
ORDER BY r.match_rank, r.type_rank, char_length(r.name), r.name, r.id`

// countSQL counts the matches alone, for a page past the last one.
const countSQL = `
WITH p AS (SELECT lower($1::text) AS pat),
c AS (SELECT unnest($3::int[]) AS id)
SELECT (SELECT count(*) FROM districts d, p WHERE 'district' = ANY($2::text[]) AND d.city_id IN (SELECT id FROM c)
          AND (lower(d.name) LIKE p.pat ESCAPE '\' OR lower(d.name_en) LIKE p.pat ESCAPE '\'))
     + (SELECT count(*) FROM subdistricts s, p WHERE 'subdistrict' = ANY($2::text[]) AND s.city_id IN (SELECT id FROM c) AND lower(s.name) LIKE p.pat ESCAPE '\')
     + (SELECT count(*) FROM communities m, p WHERE 'community' = ANY($2::text[]) AND m.city_id IN (SELECT id FROM c) AND lower(m.name) LIKE p.pat ESCAPE '\')
     + (SELECT count(*) FROM parks k, p WHERE 'park' = ANY($2::text[]) AND k.city_id IN (SELECT id FROM c) AND lower(k.name) LIKE p.pat ESCAPE '\')
     + (SELECT count(*) FROM facilities f, p WHERE 'facility' = ANY($2::text[]) AND f.city_id IN (SELECT id FROM c) AND lower(f.name) LIKE p.pat ESCAPE '\')`

var matchNames = []string{"exact", "prefix", "substring"}

// Search runs q. A city slug no city has is citydata.Unknown, a NotFound fault.
func (s Store) Search(ctx context.Context, q Query) (Result, error) {
	var cities []citydata.City
	if q.City != "" {
		c, err := citydata.BySlug(ctx, s.Pool, q.City)
		if err != nil {
			return Result{}, err
		}
		cities = []citydata.City{c}
	} else {
		var err error
		if cities, err = citydata.List(ctx, s.Pool); err != nil {
			return Result{}, err
		}
	}
	ids := make([]int, len(cities))
	slugs := make(map[int]string, len(cities))
	for i, c := range cities {
		ids[i], slugs[c.ID] = c.ID, c.Slug
	}
	res := Result{Query: q.Text, Limit: q.Limit, Offset: q.Offset, Hits: []Hit{}}
	rows, err := s.Pool.Query(ctx, searchSQL, q.Text, "%"+likeEscape(q.Text)+"%", q.Types, ids, q.Limit, q.Offset)
	if err != nil {
		return Result{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var h Hit
		var rank, total, city int
		if err := rows.Scan(&h.Type, &h.ID, &h.Name, &h.NameEN, &rank, &h.Within, &h.Kind, &city,
			&h.Point[0], &h.Point[1], &h.BBox[0], &h.BBox[1], &h.BBox[2], &h.BBox[3], &total); err != nil {
			return Result{}, err
		}
		h.Match, h.City = matchNames[rank], slugs[city]
		res.Total = total
		res.Hits = append(res.Hits, h)
	}
	if err := rows.Err(); err != nil {
		return Result{}, err
	}
	if len(res.Hits) == 0 && q.Offset > 0 {
		// Past the last page: the total still says how many there are.
		if err := s.Pool.QueryRow(ctx, countSQL, "%"+likeEscape(q.Text)+"%", q.Types, ids).Scan(&res.Total); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}
