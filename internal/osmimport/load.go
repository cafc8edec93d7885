package osmimport

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
)

func loadNetwork(ctx context.Context, tx pgx.Tx, d *data, rep *Report, _ Options) error {
	ways := d.networkWays()
	rep.NetworkWays = len(ways)
	edges, zero := d.splitEdges(ways)
	rep.ZeroLength = zero
	rows := make([][]any, len(edges))
	for i, e := range edges {
		rows[i] = []any{int64(e.Source), int64(e.Target), e.Class, e.Walkable, e.Bridge, e.Tunnel, e.Name, mustWKB(e.Geom)}
		rep.EdgesByType[e.Class]++
		if e.Walkable {
			rep.Walkable++
		} else {
			rep.Barriers++
		}
	}
	if err := copyRows(ctx, tx, "osm_edges", []string{"source", "target", "highway", "walkable", "bridge", "tunnel", "name", "wkb"}, rows); err != nil {
		return err
	}
	// highway=steps marks steps (network_edges.steps): the wheelchair profile leaves them out.
	tag, err := tx.Exec(ctx, `INSERT INTO network_edges (source, target, highway, walkable, bridge, tunnel, steps, name, city_id, data_source, geom)
		SELECT source, target, highway, walkable, bridge, tunnel, highway = 'steps', name, $1, $2, ST_SetSRID(ST_GeomFromWKB(wkb), 4326) FROM osm_edges`,
		rep.CityID, rep.DataSource)
	if err != nil {
		return fmt.Errorf("network edges: %w", err)
	}
	rep.Edges = int(tag.RowsAffected())
	return nil
}

func loadParks(ctx context.Context, tx pgx.Tx, d *data, rep *Report, _ Options) error {
	for _, n := range d.tagged {
		if isPark(n.Tags) {
			rep.skip(fmt.Sprintf("n%d", n.ID), "park:"+parkKind(n.Tags), "mapped as a node, a park needs an area")
		}
	}
	areas := d.areas(isPark, func(ref string, t osm.Tags, reason string) { rep.skip(ref, "park:"+parkKind(t), reason) })
	rows := make([][]any, 0, len(areas))
	for i, a := range areas {
		class, pocket, open := parkClass(a.Tags, geodesicArea(a))
		kind := parkKind(a.Tags)
		hours := parkHours(a.Tags, func(reason string) { rep.skip(a.Ref, "park:opening_hours", reason) })
		rows = append(rows, []any{int32(i), a.Ref, kind, parkName(a), class, pocket, open, hours, mustWKB(a.Geom)})
	}
	if err := copyRows(ctx, tx, "osm_parks", []string{"idx", "ref", "kind", "name", "park_class", "pocket", "open_status", "open_hours", "wkb"}, rows); err != nil {
		return err
	}
	if err := repair(ctx, tx, rep, "osm_parks", "park"); err != nil {
		return err
	}
	rs, err := tx.Query(ctx, `WITH ins AS (
		INSERT INTO parks (name, park_class, pocket, open_status, open_hours, city_id, data_source, geom)
		SELECT name, park_class, pocket, open_status, open_hours, $1, $2, geom FROM osm_parks ORDER BY idx
		RETURNING park_class)
		SELECT park_class, count(*)::int FROM ins GROUP BY park_class`, rep.CityID, rep.DataSource)
	if err != nil {
		return fmt.Errorf("parks: %w", err)
	}
	err = scanCounts(rs, rep.ParkClasses)
	if err != nil {
		return fmt.Errorf("parks: %w", err)
	}
	rs, err = tx.Query(ctx, "SELECT kind, count(*)::int FROM osm_parks GROUP BY kind")
	if err != nil {
		return err
	}
	if err := scanCounts(rs, rep.ParksByKind); err != nil {
		return err
	}
	for _, v := range rep.ParkClasses {
		rep.Parks += v
	}
	return nil
}

func scanCounts(rs pgx.Rows, into map[string]int) error {
	defer rs.Close()
	for rs.Next() {
		var k string
		var n int
		if err := rs.Scan(&k, &n); err != nil {
			return err
		}
		into[k] = n
	}
	return rs.Err()
}

func loadFacilities(ctx context.Context, tx pgx.Tx, d *data, rep *Report, _ Options) error {
	var rows [][]any
	add := func(ref, cat, name string, g orb.Geometry) {
		rows = append(rows, []any{int32(len(rows)), ref, cat, name, mustWKB(g)})
	}
	for _, n := range d.tagged {
		if c := facilityCategory(n.Tags); c != "" {
			add(fmt.Sprintf("n%d", n.ID), c, n.Tags.Find("name"), d.coords[n.ID])
		}
	}
	for _, w := range d.ways {
		c := facilityCategory(w.Tags)
		if c == "" {
			continue
		}
		ref := fmt.Sprintf("w%d", w.ID)
		if g, err := d.wayPolygon(w); err == nil {
			add(ref, c, w.Tags.Find("name"), g)
			continue
		}
		pts, _ := d.line(w.Nodes)
		switch {
		case len(pts) == 0:
			rep.skip(ref, "facility:"+c, "every node of the way is outside the extract")
		case len(pts) == 1:
			add(ref, c, w.Tags.Find("name"), pts[0])
		default:
			add(ref, c, w.Tags.Find("name"), orb.LineString(pts))
		}
	}
	for _, r := range d.relations {
		c := facilityCategory(r.Tags)
		if c == "" {
			continue
		}
		ref := fmt.Sprintf("r%d", r.ID)
		if r.Tags.Find("type") != "multipolygon" {
			rep.skip(ref, "facility:"+c, "relation is not a multipolygon")
			continue
		}
		g, err := d.relationPolygon(r)
		if err != nil {
			rep.skip(ref, "facility:"+c, err.Error())
			continue
		}
		add(ref, c, r.Tags.Find("name"), g)
	}
	if err := copyRows(ctx, tx, "osm_facilities", []string{"idx", "ref", "category", "name", "wkb"}, rows); err != nil {
		return err
	}
	// A facility is a point: a node as it is, an area or line by ST_PointOnSurface.
	if _, err := tx.Exec(ctx, `UPDATE osm_facilities SET geom = CASE WHEN ST_GeometryType(g) = 'ST_Point' THEN g
		ELSE ST_PointOnSurface(ST_MakeValid(g)) END FROM (SELECT idx AS i, ST_SetSRID(ST_GeomFromWKB(wkb), 4326) AS g FROM osm_facilities) s
		WHERE idx = s.i`); err != nil {
		return fmt.Errorf("facility points: %w", err)
	}
	rs, err := tx.Query(ctx, "DELETE FROM osm_facilities WHERE geom IS NULL OR ST_IsEmpty(geom) RETURNING ref, category")
	if err != nil {
		return err
	}
	for rs.Next() {
		var ref, c string
		if err := rs.Scan(&ref, &c); err != nil {
			rs.Close()
			return err
		}
		rep.skip(ref, "facility:"+c, "no point on the surface of its geometry")
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	rs, err = tx.Query(ctx, `WITH ins AS (
		INSERT INTO facilities (category, name, city_id, data_source, geom)
		SELECT category, name, $1, $2, geom FROM osm_facilities ORDER BY idx RETURNING category)
		SELECT category, count(*)::int FROM ins GROUP BY category`, rep.CityID, rep.DataSource)
	if err != nil {
		return fmt.Errorf("facilities: %w", err)
	}
	return scanCounts(rs, rep.Facilities)
}

func loadResidential(ctx context.Context, tx pgx.Tx, d *data, rep *Report, o Options) error {
	land := d.areas(isResidentialLand, func(ref string, _ osm.Tags, reason string) { rep.skip(ref, "residential", reason) })
	rows := make([][]any, len(land))
	for i, a := range land {
		rows[i] = []any{int32(i), a.Ref, mustWKB(a.Geom)}
	}
	if err := copyRows(ctx, tx, "osm_residential", []string{"idx", "ref", "wkb"}, rows); err != nil {
		return err
	}
	if err := repair(ctx, tx, rep, "osm_residential", "residential"); err != nil {
		return err
	}
	// Buildings that cannot be assembled do not count towards population; they are
	// counted in the report, not listed one by one (an extract cuts many at its edge).
	cut := 0
	blds := d.areas(isDwelling, func(string, osm.Tags, string) { cut++ })
	rows = make([][]any, len(blds))
	for i, b := range blds {
		rows[i] = []any{int32(i), b.Ref, levels(b.Tags, o.DefaultLevels), mustWKB(b.Geom)}
	}
	if cut > 0 {
		rep.skip("-", "building", fmt.Sprintf("%d buildings with nodes outside the extract or unclosed rings do not count towards population", cut))
	}
	if err := copyRows(ctx, tx, "osm_buildings", []string{"idx", "ref", "levels", "wkb"}, rows); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE osm_buildings SET geom = ST_MakeValid(ST_SetSRID(ST_GeomFromWKB(wkb), 4326));
		UPDATE osm_buildings SET geom_m = ST_Transform(geom, cityreach_metric_srid(`+fmt.Sprint(rep.CityID)+`));
		CREATE INDEX ON osm_buildings USING gist (geom); ANALYZE osm_buildings`); err != nil {
		return fmt.Errorf("buildings: %w", err)
	}
	rep.Buildings = len(blds)
	// Population = Σ (building footprint inside the land, m²) × floors / m² per person.
	err := tx.QueryRow(ctx, `WITH est AS (
		SELECT r.idx, r.geom, round(coalesce(sum(ST_Area(ST_Intersection(ST_Transform(r.geom, cityreach_metric_srid($1)), b.geom_m)) * b.levels), 0) / $3)::integer AS pop
		FROM osm_residential r LEFT JOIN osm_buildings b ON ST_Intersects(r.geom, b.geom)
		GROUP BY r.idx, r.geom),
	ins AS (
		INSERT INTO residential_land (landuse_code, population, households, city_id, data_source, geom)
		SELECT '0701', pop, round(pop / $4)::integer, $1, $2, geom FROM est ORDER BY idx RETURNING population)
	SELECT count(*)::int, coalesce(sum(population), 0)::int FROM ins`,
		rep.CityID, rep.DataSource, o.FloorAreaPerPerson, o.HouseholdSize).Scan(&rep.Residential, &rep.Population)
	if err != nil {
		return fmt.Errorf("residential land: %w", err)
	}
	return nil
}

// loadEntrances places park access points where walkable edges cross or touch a park's
// boundary: every point of the intersection, and both ends of a stretch that runs along
// the boundary, one per park and position (to 1e-7°, about 1 cm).
func loadEntrances(ctx context.Context, tx pgx.Tx, _ *data, rep *Report, _ Options) error {
	tag, err := tx.Exec(ctx, `INSERT INTO park_entrances (park_id, name, city_id, data_source, geom)
		SELECT DISTINCT ON (park_id, ST_SnapToGrid(pt, 1e-7)) park_id, '', $1, $2, pt FROM (
			SELECT x.park_id, q.pt FROM (
				SELECT p.id AS park_id, (ST_Dump(ST_Intersection(ST_Boundary(p.geom), e.geom))).geom AS g
				FROM parks p JOIN network_edges e ON ST_Intersects(p.geom, e.geom)
				WHERE p.city_id = $1 AND p.data_source = $2 AND e.city_id = $1 AND e.data_source = $2 AND e.walkable
				  AND ST_Intersects(ST_Boundary(p.geom), e.geom)) x
			CROSS JOIN LATERAL (
				SELECT x.g AS pt WHERE ST_GeometryType(x.g) = 'ST_Point'
				UNION ALL SELECT ST_StartPoint(x.g) WHERE ST_GeometryType(x.g) = 'ST_LineString'
				UNION ALL SELECT ST_EndPoint(x.g) WHERE ST_GeometryType(x.g) = 'ST_LineString') q) s
		ORDER BY park_id, ST_SnapToGrid(pt, 1e-7)`, rep.CityID, rep.DataSource)
	if err != nil {
		return fmt.Errorf("park entrances: %w", err)
	}
	rep.Entrances = int(tag.RowsAffected())
	return nil
}
