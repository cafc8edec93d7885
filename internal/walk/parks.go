package walk

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	geos "github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/openness"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// Parks and squares (公园绿地、广场, category CategoryPark) in the living circle. Every open
// or shared park of the city (parks.open_status; all park classes, squares included) is a
// "facility" reached at its access points:
//
//   - its recorded gates (park_entrances) that the gate rule lets through
//     (internal/openness: the gate's status and hours and the park's hours; at any time of
//     day unless Options.At names one). A park whose recorded gates are all shut has no
//     access point: it is not entered over its fence;
//   - for a park with none recorded, the points of walkgraph.ParkAccessPoints on the walkable
//     edges of the network (the edges the loader reads): where edges cross or touch the
//     park's boundary, else, when none does, the park's points nearest the edges within
//     walkgraph.ParkSnapM (the rule park coverage uses too); a park with neither has none.
//
// The derived points are usable when the park's own hours allow. The points then attach to
// the network like any facility (nearest walkable edge within MaxSnap, access leg walked).
// A closed park contributes nothing.

// parkPointsSQL reads what the access points are derived from. %[1]s yields the parks (i,
// id, name, geom, status, hours), %[2]s their recorded gates (i, geom, status, hours); $1
// is the city, $2 the ids of edges to leave out (a scenario's closed edges), $3 the WKB of
// added walkable edges, $4 the metric SRID, $5 walkgraph.ParkSnapM. Rows come per park in
// the order of i: every recorded gate with its status and hours (parkPoints applies the
// gate rule), or, for a park without, one row with the park's geometry and the walkable
// edges within $5 of it, from which parkPoints derives the points.
const parkPointsSQL = `
WITH p AS (%[1]s),
b AS (
	SELECT p.i, p.id, p.name, p.geom FROM p
	WHERE NOT EXISTS (SELECT 1 FROM (%[2]s) en WHERE en.i = p.i)
),
x AS (
	SELECT b.i, e.id, e.geom_m AS g
	FROM b JOIN network_edges e ON e.city_id = $1 AND e.walkable AND e.source IS NOT NULL AND e.geom_m IS NOT NULL
		AND e.id <> ALL($2::bigint[]) AND ST_DWithin(b.geom, e.geom_m, $5::float8)
	UNION ALL
	SELECT b.i, NULL, a.g
	FROM b JOIN (SELECT ST_GeomFromWKB(w, $4::integer) AS g FROM unnest($3::bytea[]) AS t(w)) a ON ST_DWithin(b.geom, a.g, $5::float8)
),
pts AS (
	SELECT p.i, p.id, p.name, en.geom AS pt, 0 AS kind, en.status, en.hours, NULL::bytea AS pg, NULL::bytea[] AS es
	FROM p JOIN (%[2]s) en ON en.i = p.i
	UNION ALL
	SELECT b.i, b.id, b.name, NULL::geometry, 1, NULL::text, NULL::text, ST_AsBinary(b.geom),
		(SELECT coalesce(array_agg(ST_AsBinary(x.g) ORDER BY x.id, ST_AsBinary(x.g)), '{}') FROM x WHERE x.i = b.i)
	FROM b
)
SELECT pts.id, pts.name, ST_X(pt), ST_Y(pt), ST_X(ll), ST_Y(ll), p.status, p.hours, pts.status, pts.hours, pts.pg, pts.es
FROM pts JOIN p ON p.i = pts.i LEFT JOIN LATERAL ST_Transform(pt, 4326) AS ll ON true
ORDER BY pts.i, kind, ST_X(pt), ST_Y(pt)`

// The baseline's parks and gates, for parkPointsSQL.
const (
	baselineParks = `SELECT id AS i, id, name, geom_m AS geom, open_status AS status, open_hours AS hours FROM parks
		WHERE city_id = $1 AND open_status IN ('open', 'shared') AND geom_m IS NOT NULL`
	baselineEntrances = `SELECT park_id AS i, geom_m AS geom, status, open_hours AS hours FROM park_entrances WHERE city_id = $1 AND geom_m IS NOT NULL`
)

// Given parks and gates, for parkPointsSQL: $6 ids, $7 names, $8 metric WKB, $9 statuses,
// $10 hours; the gates as parallel arrays $11 (the park's ordinal, from 1), $12 metric WKB
// point, $13 status, $14 hours.
const (
	givenParks = `SELECT t.i, t.id, t.name, ST_GeomFromWKB(t.g, $4::integer) AS geom, t.status, t.hours
		FROM unnest($6::bigint[], $7::text[], $8::bytea[], $9::text[], $10::text[]) WITH ORDINALITY AS t(id, name, g, status, hours, i)`
	givenEntrances = `SELECT t.i, ST_GeomFromWKB(t.g, $4::integer) AS geom, t.status, t.hours
		FROM unnest($11::bigint[], $12::bytea[], $13::text[], $14::text[]) AS t(i, g, status, hours)`
)

// edgeArgs are a scenario's closed and added edges as bind values: the closed ids (never
// nil, so that PostgreSQL gets an empty array) and the added geometries as metric WKB.
func edgeArgs(closed []int64, added []network.Edge) ([]int64, [][]byte, error) {
	addWKB := make([][]byte, 0, len(added))
	for _, e := range added {
		b, err := wkb.Marshal(e.Geom)
		if err != nil {
			return nil, nil, err
		}
		addWKB = append(addWKB, b)
	}
	if closed == nil {
		closed = []int64{}
	}
	return closed, addWKB, nil
}

// parkPoints runs parkPointsSQL (sql), derives the access points of the parks without
// recorded gates (walkgraph.ParkAccessPoints) and returns the points usable at some time
// of day (openness.AnyTime) as facilities of CategoryPark, each with its Access for a later
// at-time filter (Options.At).
func (s Store) parkPoints(ctx context.Context, sql string, cityID int, closed []int64, added []network.Edge, srid int, more ...any) ([]Facility, error) {
	closed, addWKB, err := edgeArgs(closed, added)
	if err != nil {
		return nil, err
	}
	rows, err := s.db().Query(ctx, sql, append([]any{cityID, closed, addWKB, srid, walkgraph.ParkSnapM}, more...)...)
	if err != nil {
		return nil, err
	}
	c := geos.NewContext()
	var derived []int // indexes into all of derived points, still without LonLat
	var all []Facility
	for rows.Next() {
		f := Facility{Category: CategoryPark, Park: true, Access: &ParkAccess{}}
		var x, y, lon, lat *float64
		var gs, gh *string
		var pg []byte
		var es [][]byte
		if err := rows.Scan(&f.ID, &f.Name, &x, &y, &lon, &lat,
			&f.Access.Park.Status, &f.Access.Park.Hours, &gs, &gh, &pg, &es); err != nil {
			rows.Close()
			return nil, err
		}
		if pg == nil { // a recorded gate
			if gs != nil {
				f.Access.Gate = &openness.Gate{Status: *gs, Hours: deref(gh)}
			}
			f.Point, f.LonLat = orb.Point{*x, *y}, orb.Point{*lon, *lat}
			all = append(all, f)
			continue
		}
		park, err := polygonalWKB(pg)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("park %d: %w", f.ID, err)
		}
		lines := make([]orb.LineString, 0, len(es))
		for _, b := range es {
			g, err := wkb.Unmarshal(b)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("park %d: edge: %w", f.ID, err)
			}
			if ls, ok := g.(orb.LineString); ok {
				lines = append(lines, ls)
			}
		}
		pts, err := walkgraph.ParkAccessPoints(c, park, lines)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("park %d: %w", f.ID, err)
		}
		for _, pt := range pts {
			g := f
			g.Access = &ParkAccess{Park: f.Access.Park}
			g.Point = pt
			derived = append(derived, len(all))
			all = append(all, g)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(derived) > 0 {
		xs, ys := make([]float64, len(derived)), make([]float64, len(derived))
		for k, i := range derived {
			xs[k], ys[k] = all[i].Point[0], all[i].Point[1]
		}
		rows, err := s.db().Query(ctx, `SELECT ST_X(ll), ST_Y(ll) FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(x, y, k),
			LATERAL ST_Transform(ST_SetSRID(ST_MakePoint(t.x, t.y), $3::integer), 4326) AS ll ORDER BY t.k`, xs, ys, srid)
		if err != nil {
			return nil, err
		}
		k := 0
		for rows.Next() {
			f := &all[derived[k]]
			if err := rows.Scan(&f.LonLat[0], &f.LonLat[1]); err != nil {
				rows.Close()
				return nil, err
			}
			k++
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := all[:0]
	for _, f := range all {
		if f.Access.UsableAt(openness.AnyTime) {
			out = append(out, f)
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ParkSite is a park as a scenario leaves it: metric geometry, status and hours, and
// recorded gates (none: the access points are derived from the network).
type ParkSite struct {
	ID        int64
	Name      string
	Geom      orb.MultiPolygon
	Entrances []orb.Point
	// Gates are the status and hours of Entrances, in order; missing ones are open at
	// every hour. Status and Hours are the park's (parks.open_status, open_hours).
	Gates         []openness.Gate
	Status, Hours string
}

// ParkPoints derives the access points of the given parks (see parkPointsSQL) on the city's
// walkable edges minus closed plus added (a scenario's network; added must be walkable
// edges with topology, as Network.With takes them).
func (s Store) ParkPoints(ctx context.Context, city City, parks []ParkSite, closed []int64, added []network.Edge) ([]Facility, error) {
	if len(parks) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(parks))
	names := make([]string, len(parks))
	geoms := make([][]byte, len(parks))
	status := make([]string, len(parks))
	hours := make([]string, len(parks))
	gi, gstatus, ghours := []int64{}, []string{}, []string{}
	gwkb := [][]byte{}
	for i, p := range parks {
		ids[i], names[i], status[i], hours[i] = p.ID, p.Name, p.Status, p.Hours
		if status[i] == "" {
			status[i] = "open"
		}
		var err error
		if geoms[i], err = wkb.Marshal(p.Geom); err != nil {
			return nil, fmt.Errorf("park %d: %w", p.ID, err)
		}
		for k, e := range p.Entrances {
			b, err := wkb.Marshal(e)
			if err != nil {
				return nil, fmt.Errorf("park %d gate: %w", p.ID, err)
			}
			g := openness.Gate{Status: openness.GateOpen}
			if k < len(p.Gates) {
				g = p.Gates[k]
			}
			gi, gwkb, gstatus, ghours = append(gi, int64(i+1)), append(gwkb, b), append(gstatus, g.Status), append(ghours, g.Hours)
		}
	}
	return s.parkPoints(ctx, fmt.Sprintf(parkPointsSQL, givenParks, givenEntrances), city.ID, closed, added, city.MetricSRID,
		ids, names, geoms, status, hours, gi, gwkb, gstatus, ghours)
}

// ParksCrossed returns the city's open or shared parks without recorded entrances that one
// of the given edges comes within walkgraph.ParkSnapM of (closed: baseline edge ids; added:
// metric geometries), leaving out the parks in skip: the parks whose access points a change
// of those edges can move.
func (s Store) ParksCrossed(ctx context.Context, city City, closed []int64, added []network.Edge, skip []int64) ([]ParkSite, error) {
	if len(closed)+len(added) == 0 {
		return nil, nil
	}
	closed, addWKB, err := edgeArgs(closed, added)
	if err != nil {
		return nil, err
	}
	if skip == nil {
		skip = []int64{}
	}
	rows, err := s.db().Query(ctx, `
		WITH c AS (
			SELECT geom_m AS g FROM network_edges WHERE city_id = $1 AND id = ANY($2::bigint[]) AND geom_m IS NOT NULL
			UNION ALL
			SELECT ST_GeomFromWKB(w, $4::integer) FROM unnest($3::bytea[]) AS t(w))
		SELECT p.id, p.name, p.open_status, p.open_hours, ST_AsBinary(p.geom_m) FROM parks p
		WHERE p.city_id = $1 AND p.open_status IN ('open', 'shared') AND p.geom_m IS NOT NULL AND p.id <> ALL($5::bigint[])
		  AND NOT EXISTS (SELECT 1 FROM park_entrances e WHERE e.city_id = p.city_id AND e.park_id = p.id AND e.geom_m IS NOT NULL)
		  AND EXISTS (SELECT 1 FROM c WHERE ST_DWithin(p.geom_m, c.g, $6::float8))
		ORDER BY p.id`, city.ID, closed, addWKB, city.MetricSRID, skip, walkgraph.ParkSnapM)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanParkSite)
}

// ParkGates are the recorded gates of one park: points (metric) and, in the same order,
// their status and hours.
type ParkGates struct {
	Points []orb.Point
	Gates  []openness.Gate
	IDs    []int64
}

// ParkEntrances returns the recorded gates of the given parks of the city, by park id.
func (s Store) ParkEntrances(ctx context.Context, cityID int, ids []int64) (map[int64]ParkGates, error) {
	out := map[int64]ParkGates{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.db().Query(ctx, `SELECT park_id, ST_X(geom_m), ST_Y(geom_m), status, open_hours, id FROM park_entrances
		WHERE city_id = $1 AND park_id = ANY($2::bigint[]) AND geom_m IS NOT NULL ORDER BY id`, cityID, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p orb.Point
		var g openness.Gate
		var gid int64
		if err := rows.Scan(&id, &p[0], &p[1], &g.Status, &g.Hours, &gid); err != nil {
			return nil, err
		}
		pg := out[id]
		pg.Points, pg.Gates, pg.IDs = append(pg.Points, p), append(pg.Gates, g), append(pg.IDs, gid)
		out[id] = pg
	}
	return out, rows.Err()
}

// GateParks returns the park of each of the given baseline gates of the city.
func (s Store) GateParks(ctx context.Context, cityID int, ids []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.db().Query(ctx, `SELECT id, park_id FROM park_entrances WHERE city_id = $1 AND id = ANY($2::bigint[])`, cityID, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var g, p int64
		if err := rows.Scan(&g, &p); err != nil {
			return nil, err
		}
		out[g] = p
	}
	return out, rows.Err()
}

// ParkSites returns the city's baseline parks of the given ids that are open or shared,
// without their gates, in id order.
func (s Store) ParkSites(ctx context.Context, city City, ids []int64) ([]ParkSite, error) {
	rows, err := s.db().Query(ctx, `SELECT id, name, open_status, open_hours, ST_AsBinary(geom_m) FROM parks
		WHERE city_id = $1 AND id = ANY($2::bigint[]) AND open_status IN ('open', 'shared') AND geom_m IS NOT NULL ORDER BY id`, city.ID, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanParkSite)
}

// scanParkSite reads a park row (id, name, open_status, open_hours, metric WKB) as a site
// without gates.
func scanParkSite(r pgx.CollectableRow) (ParkSite, error) {
	var p ParkSite
	var b []byte
	if err := r.Scan(&p.ID, &p.Name, &p.Status, &p.Hours, &b); err != nil {
		return p, err
	}
	g, err := polygonalWKB(b)
	if err != nil {
		return p, fmt.Errorf("park %d: %w", p.ID, err)
	}
	p.Geom = g
	return p, nil
}
