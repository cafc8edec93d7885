package seed

import (
	"fmt"

	"github.com/paulmach/orb"
)

// The load steps, one per layer or group of layers.

func (l *loader) districts() error {
	ds := l.o.Districts
	ids, err := l.ids("districts", len(ds))
	if err != nil {
		return err
	}
	l.dist = map[string]int64{}
	for i, d := range ds {
		l.dist[d.Adcode] = ids[i]
	}
	return l.copy("districts", []string{"id", "adcode", "name", "name_en", "kind"}, len(ds), false, l.opt.AdminSource,
		func(i int) ([]any, orb.Geometry) {
			d := ds[i]
			return []any{ids[i], d.Adcode, d.Name, d.NameEN, districtKind(d.Name)}, d.Geom
		})
}

func districtKind(name string) string {
	for _, k := range []string{"县级市", "旗", "县", "区"} {
		if len(name) >= len(k) && name[len(name)-len(k):] == k {
			return k
		}
	}
	return "district"
}

// admin loads the 街道 and communities. A 街道's outline is the union of its communities',
// computed by PostGIS from the staged community outlines (they share vertices exactly).
func (l *loader) admin() error {
	c := l.c
	subIDs, err := l.ids("subdistricts", len(c.Subdistricts))
	if err != nil {
		return err
	}
	ctx, tx := l.ctx, l.tx
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE seed_community_geoms (sub integer NOT NULL, ord integer NOT NULL, geom geometry NOT NULL) ON COMMIT DROP"); err != nil {
		return err
	}
	rows := make([][]any, len(c.Communities))
	for i, cm := range c.Communities {
		b, err := geom(cm.Geom)
		if err != nil {
			return err
		}
		rows[i] = []any{cm.Subdistrict, i, b}
	}
	if _, err := tx.CopyFrom(ctx, []string{"seed_community_geoms"}, []string{"sub", "ord", "geom"}, copyRows(rows)); err != nil {
		return fmt.Errorf("staging community outlines: %w", err)
	}
	n := len(c.Subdistricts)
	idx, ids, dids, codes, names := make([]int32, n), make([]int64, n), make([]int64, n), make([]string, n), make([]string, n)
	for i, s := range c.Subdistricts {
		idx[i], ids[i], dids[i], codes[i], names[i] = int32(i), subIDs[i], l.dist[s.DistrictAdcode], s.Code, s.Name
		if dids[i] == 0 {
			return fmt.Errorf("subdistrict %s: district %s is not in the outlines", s.Code, s.DistrictAdcode)
		}
	}
	tag, err := tx.Exec(ctx, `INSERT INTO subdistricts (id, district_id, code, name, city_id, data_source, synthetic, geom)
		SELECT s.id, s.did, s.code, s.name, $6, $7, true,
		       (SELECT ST_Multi(ST_Union(g.geom ORDER BY g.ord)) FROM seed_community_geoms g WHERE g.sub = s.idx)
		FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS s(idx, id, did, code, name)
		ORDER BY s.idx`, idx, ids, dids, codes, names, l.cityID, c.DataSource)
	if err != nil {
		return fmt.Errorf("loading subdistricts: %w", err)
	}
	l.sum.Rows["subdistricts"] = tag.RowsAffected()
	return l.copy("communities", []string{"subdistrict_id", "code", "name", "population", "households"}, len(c.Communities), true, c.DataSource,
		func(i int) ([]any, orb.Geometry) {
			cm := c.Communities[i]
			return []any{subIDs[cm.Subdistrict], cm.Code, cm.Name, cm.Population, cm.Households}, multi(cm.Geom)
		})
}

func (l *loader) parks() error {
	c := l.c
	ids, err := l.ids("parks", len(c.Parks))
	if err != nil {
		return err
	}
	if err := l.copy("parks", []string{"id", "name", "park_class", "pocket", "open_status", "in_historic_district"}, len(c.Parks), true, c.DataSource,
		func(i int) ([]any, orb.Geometry) {
			p := c.Parks[i]
			return []any{ids[i], p.Name, p.Class, p.Pocket, p.OpenStatus, p.Historic}, multi(p.Geom)
		}); err != nil {
		return err
	}
	type ent struct {
		park int
		k    int
	}
	var es []ent
	for i, p := range c.Parks {
		for k := range p.Entrances {
			es = append(es, ent{i, k})
		}
	}
	return l.copy("park_entrances", []string{"park_id", "name"}, len(es), true, c.DataSource,
		func(i int) ([]any, orb.Geometry) {
			e := es[i]
			p := c.Parks[e.park]
			return []any{ids[e.park], fmt.Sprintf("%s %d号门", p.Name, e.k+1)}, p.Entrances[e.k]
		})
}

func (l *loader) corridors() error {
	c := l.c
	if err := l.copy("eco_corridors", []string{"name", "kind", "design_width_m"}, len(c.Corridors), true, c.DataSource,
		func(i int) ([]any, orb.Geometry) {
			k := c.Corridors[i]
			return []any{k.Name, k.Kind, k.DesignWidthM}, k.Geom
		}); err != nil {
		return err
	}
	// The Yellow River corridor: the city-side band within 1.5 km of the real river line,
	// 50 m inside the city outline, between 109.55 and 110.35° E. It is the dilation by 60 m
	// of the largest piece of the band eroded by 60 m, so it is one piece at least 120 m wide
	// everywhere: neither narrow nor broken.
	river, err := geomHex(l.o.River)
	if err != nil {
		return err
	}
	tag, err := l.tx.Exec(l.ctx, `
		WITH c AS (SELECT ST_Transform(geom, metric_srid) g, metric_srid s FROM cities WHERE id = $1),
		band AS (SELECT ST_Intersection(ST_Intersection(ST_Buffer(c.g, -50), ST_Buffer(ST_Transform($2::geometry, c.s), 1500)),
		                                ST_Transform(ST_MakeEnvelope(109.55, 40.30, 110.35, 40.75, 4326), c.s)) g, c.s FROM c),
		core AS (SELECT (d).geom g FROM (SELECT ST_Dump(ST_Buffer(band.g, -60)) d FROM band) x
		         ORDER BY ST_Area((d).geom) DESC, ST_XMin((d).geom) LIMIT 1)
		INSERT INTO eco_corridors (name, kind, design_width_m, city_id, data_source, synthetic, geom)
		SELECT '黄河生态廊道', 'river', 1500, $1, $3, true,
		       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(ST_Buffer(core.g, 60), 4326)), 3))
		FROM core, band`, l.cityID, river, c.DataSource)
	if err != nil {
		return fmt.Errorf("Yellow River corridor: %w", err) //nolint:staticcheck // ST1005: a proper noun starts the message
	}
	l.sum.Rows["eco_corridors"] += tag.RowsAffected()
	return nil
}

func (l *loader) controls() error {
	c := l.c
	if err := l.copy("eco_redlines", []string{"name"}, len(c.RedLines), true, c.DataSource,
		func(i int) ([]any, orb.Geometry) { return []any{c.RedLines[i].Name}, multi(c.RedLines[i].Geom) }); err != nil {
		return err
	}
	return l.copy("basic_farmland", []string{"name"}, len(c.Farmland), true, c.DataSource,
		func(i int) ([]any, orb.Geometry) { return []any{c.Farmland[i].Name}, multi(c.Farmland[i].Geom) })
}

// growth loads the two growth-boundary editions as unions of their superblocks.
func (l *loader) growth() error {
	ctx, tx, c := l.ctx, l.tx, l.c
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE seed_growth_blocks (ord integer, in2021 boolean, in2024 boolean, geom geometry) ON COMMIT DROP"); err != nil {
		return err
	}
	rows := make([][]any, len(c.GrowthBlocks))
	for i, b := range c.GrowthBlocks {
		g, err := geom(b.Geom)
		if err != nil {
			return err
		}
		rows[i] = []any{i, b.In2021, b.In2024, g}
	}
	if _, err := tx.CopyFrom(ctx, []string{"seed_growth_blocks"}, []string{"ord", "in2021", "in2024", "geom"}, copyRows(rows)); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO growth_boundaries (edition, approved_on, valid_from, valid_to, city_id, data_source, synthetic, geom)
		SELECT '2021', DATE '2021-09-30', DATE '2021-10-01', DATE '2024-06-30', $1::integer, $2::text, true,
		       (SELECT ST_Multi(ST_Union(geom ORDER BY ord)) FROM seed_growth_blocks WHERE in2021)
		UNION ALL
		SELECT '2024', DATE '2024-06-15', DATE '2024-07-01', NULL::date, $1::integer, $2::text, true,
		       (SELECT ST_Multi(ST_Union(geom ORDER BY ord)) FROM seed_growth_blocks WHERE in2024)`, l.cityID, c.DataSource)
	if err != nil {
		return fmt.Errorf("loading growth boundaries: %w", err)
	}
	l.sum.Rows["growth_boundaries"] = tag.RowsAffected()
	return nil
}

func (l *loader) parcels() error {
	c := l.c
	return l.copy("residential_land", []string{"landuse_code", "population", "households"}, len(c.Parcels), true, c.DataSource,
		func(i int) ([]any, orb.Geometry) {
			p := c.Parcels[i]
			return []any{p.LanduseCode, p.Population, p.Households}, multi(p.Geom)
		})
}

func (l *loader) facilities() error {
	c := l.c
	capacities := DemoCapacity(c)
	return l.copy("facilities", []string{"category", "name", "floor_area_m2", "capacity"}, len(c.Facilities), true, c.DataSource,
		func(i int) ([]any, orb.Geometry) {
			f := c.Facilities[i]
			var area, capacity any
			if f.FloorAreaM2 > 0 {
				area = f.FloorAreaM2
			}
			if v, ok := capacities[f.Category]; ok {
				capacity = v
			}
			return []any{f.Category, f.Name, area, capacity}, f.Geom
		})
}

func (l *loader) edges() error {
	c := l.c
	base := int64(l.cityID) * nodeBlock
	return l.copy("network_edges", []string{"source", "target", "highway", "walkable", "bridge", "steps", "name"}, len(c.Edges), true, c.DataSource,
		func(i int) ([]any, orb.Geometry) {
			e := c.Edges[i]
			return []any{base + e.Source, base + e.Target, e.Highway, e.Walkable, e.Bridge, e.Steps, e.Name}, e.Geom
		})
}

// river adds the real Yellow River, clipped 50 m inside the city outline, as non-walkable
// barrier edges; each piece gets two fresh node ids after the generated network's.
func (l *loader) river() error {
	river, err := geomHex(l.o.River)
	if err != nil {
		return err
	}
	base := int64(l.cityID)*nodeBlock + l.c.Nodes
	tag, err := l.tx.Exec(l.ctx, `
		WITH c AS (SELECT ST_Transform(geom, metric_srid) g, metric_srid s FROM cities WHERE id = $1),
		pieces AS (SELECT (d).geom g, row_number() OVER (ORDER BY (d).path) n
		           FROM (SELECT ST_Dump(ST_Intersection(ST_Transform($2::geometry, c.s), ST_Buffer(c.g, -50))) d FROM c) x
		           WHERE ST_GeometryType((d).geom) = 'ST_LineString')
		INSERT INTO network_edges (source, target, highway, walkable, bridge, name, city_id, data_source, synthetic, geom)
		SELECT $3 + 2*n - 1, $3 + 2*n, 'river', false, false, '黄河', $1, $4, false, ST_Transform(g, 4326)
		FROM pieces ORDER BY n`, l.cityID, river, base, RiverSource)
	if err != nil {
		return fmt.Errorf("Yellow River edges: %w", err) //nolint:staticcheck // ST1005: a proper noun starts the message
	}
	l.sum.Rows["network_edges"] += tag.RowsAffected()
	return nil
}

// record writes one bulk_loads and one city_layers row per layer and data source.
func (l *loader) record() error {
	for _, t := range Layers {
		rows, err := l.tx.Query(l.ctx, "SELECT data_source, bool_and(synthetic), count(*) FROM "+quote(t)+" WHERE city_id = $1 GROUP BY data_source ORDER BY data_source", l.cityID)
		if err != nil {
			return err
		}
		type grp struct {
			src   string
			synth bool
			n     int64
		}
		var gs []grp
		for rows.Next() {
			var g grp
			if err := rows.Scan(&g.src, &g.synth, &g.n); err != nil {
				rows.Close()
				return err
			}
			gs = append(gs, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, g := range gs {
			attrib := ""
			switch g.src {
			case l.opt.AdminSource:
				attrib = AdminAttrib
			case RiverSource:
				attrib = RiverAttrib
			default:
				attrib = "示例数据 / synthetic demo data, generated by cityreach"
			}
			if _, err := l.tx.Exec(l.ctx, "INSERT INTO bulk_loads (city_id, layer, rows, data_source, actor) VALUES ($1, $2, $3, $4, $5)",
				l.cityID, t, g.n, g.src, actor); err != nil {
				return err
			}
			if _, err := l.tx.Exec(l.ctx, `INSERT INTO city_layers (city_id, layer, data_source, synthetic, rows, attribution)
				VALUES ($1, $2, $3, $4, $5, $6)`, l.cityID, t, g.src, g.synth, g.n, attrib); err != nil {
				return err
			}
		}
	}
	return nil
}
