package problems

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// units reads the communities of city as they were at when (nil: now) with their 街道 and
// district, and their boundaries (GeoJSON, 7 decimals: about 1 cm).
func (s Source) units(ctx context.Context, cityID int, when *time.Time) (map[int64]Unit, error) {
	//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	rows, err := s.Pool.Query(ctx, `WITH t AS (SELECT coalesce($2::timestamptz, clock_timestamp()) AS at)
		SELECT c.id, c.code, c.name, coalesce(s.code, ''), coalesce(s.name, ''), coalesce(d.adcode, ''), coalesce(d.name, ''),
			ST_AsGeoJSON(c.geom, 7)::text
		FROM t, cityreach_as_of(NULL::communities, $1, t.at) c
		LEFT JOIN cityreach_as_of(NULL::subdistricts, $1, (SELECT at FROM t)) s ON s.id = c.subdistrict_id AND s.city_id = $1
		LEFT JOIN cityreach_as_of(NULL::districts, $1, (SELECT at FROM t)) d ON d.id = s.district_id AND d.city_id = $1
		WHERE c.city_id = $1`, cityID, when)
	if err != nil {
		return nil, err
	}
	out := map[int64]Unit{}
	var u Unit
	var geom string
	_, err = pgx.ForEachRow(rows, []any{&u.id, &u.Code, &u.Name, &u.SubdistrictCode, &u.SubdistrictName, &u.DistrictCode, &u.DistrictName, &geom}, func() error {
		u.Level, u.geom = LevelCommunity, json.RawMessage(geom)
		out[u.id] = u
		return nil
	})
	return out, err
}

// sitesByUnit groups sites by the community (as it was at when; nil: now) their centre
// lies in; a site on a shared boundary goes to the community of the lowest id.
func (s Source) sitesByUnit(ctx context.Context, cityID int, when *time.Time, sites []Site) (map[int64][]Site, error) {
	lon, lat := make([]float64, len(sites)), make([]float64, len(sites))
	for i, st := range sites {
		lon[i], lat[i] = st.Lon, st.Lat
	}
	//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	rows, err := s.Pool.Query(ctx, `SELECT DISTINCT ON (p.i) p.i, c.id
		FROM unnest($3::float8[], $4::float8[]) WITH ORDINALITY AS p(lon, lat, i)
		JOIN cityreach_as_of(NULL::communities, $1, coalesce($2::timestamptz, clock_timestamp())) c
			ON c.city_id = $1 AND ST_Intersects(c.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
		ORDER BY p.i, c.id`, cityID, when, lon, lat)
	if err != nil {
		return nil, err
	}
	out := map[int64][]Site{}
	var i, id int64
	_, err = pgx.ForEachRow(rows, []any{&i, &id}, func() error {
		out[id] = append(out[id], sites[i-1])
		return nil
	})
	return out, err
}
