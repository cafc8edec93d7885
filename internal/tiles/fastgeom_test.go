package tiles

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/tiles/mvtread"
)

// rings decodes an MVT polygon's commands into rings of absolute points (closing point
// left out), each rotated to start at its smallest vertex; orientation is kept.
func rings(cmds []uint32) ([][][2]int64, error) {
	var out [][][2]int64
	var cur [][2]int64
	var x, y int64
	zig := func(v uint32) int64 { return int64(v>>1) ^ -int64(v&1) }
	for i := 0; i < len(cmds); {
		id, n := cmds[i]&7, int(cmds[i]>>3)
		i++
		switch id {
		case 1, 2: // MoveTo, LineTo
			if i+2*n > len(cmds) {
				return nil, fmt.Errorf("truncated geometry")
			}
			for k := 0; k < n; k++ {
				x += zig(cmds[i])
				y += zig(cmds[i+1])
				i += 2
				if id == 1 && len(cur) > 0 {
					out = append(out, cur)
					cur = nil
				}
				cur = append(cur, [2]int64{x, y})
			}
		case 7: // ClosePath
			out = append(out, cur)
			cur = nil
		default:
			return nil, fmt.Errorf("command %d", id)
		}
	}
	for k, r := range out {
		m := 0
		for j := range r {
			if r[j][0] < r[m][0] || r[j][0] == r[m][0] && r[j][1] < r[m][1] {
				m = j
			}
		}
		out[k] = append(slices.Clone(r[m:]), r[:m]...)
	}
	slices.SortFunc(out, func(a, b [][2]int64) int {
		if c := int(a[0][0] - b[0][0]); c != 0 {
			return c
		}
		return int(a[0][1] - b[0][1])
	})
	return out, nil
}

// TestPolygonsSkippingMakeValidMatchAsMVTGeom: the tile path that transforms and snaps
// polygons with a large minimum clearance itself (migration 0012) must draw exactly what
// ST_AsMVTGeom draws (same vertices, same ring orientation, up to the ring's first vertex),
// and the polygons it cannot vouch for (a sliver, a U with a slot narrower than a unit) must still
// go through ST_AsMVTGeom. The oracle is a tile of the same parks built by ST_AsMVTGeom alone.
func TestPolygonsSkippingMakeValidMatchAsMVTGeom(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	city := f.cityID(t)
	// Inside tile 14/13190/6163 (lon 109.8193…109.8413, lat 40.6473…40.6640).
	extra := map[string]string{
		"Holed":   "MULTIPOLYGON(((109.8200 40.6480,109.8230 40.6480,109.8230 40.6500,109.8200 40.6500,109.8200 40.6480),(109.8210 40.6487,109.8220 40.6487,109.8220 40.6493,109.8210 40.6493,109.8210 40.6487)))",
		"TwoPart": "MULTIPOLYGON(((109.8250 40.6600,109.8260 40.6600,109.8255 40.6610,109.8250 40.6600)),((109.8262 40.6600,109.8272 40.6600,109.8267 40.6610,109.8262 40.6600)))",
		"Odd":     "MULTIPOLYGON(((109.8350 40.6480,109.8371 40.6483,109.8377 40.6497,109.8362 40.6509,109.8344 40.6503,109.8340 40.6489,109.8350 40.6480)))",
		// 0.4 m wide: its clearance is under two z14 tile units.
		"Sliver": "MULTIPOLYGON(((109.8300 40.6550,109.8330 40.6550,109.8330 40.655004,109.8300 40.655004,109.8300 40.6550)))",
		// A U whose slot is 0.1 m wide: valid, but snapping to the z14 grid closes the slot, which
		// ST_AsMVTGeom then repairs.
		"NarrowU": "MULTIPOLYGON(((109.8380 40.6560,109.8400 40.6560,109.8400 40.6580,109.8390006 40.6580,109.8390006 40.6570,109.8389994 40.6570,109.8389994 40.6580,109.8380 40.6580,109.8380 40.6560)))",
	}
	for name, wkt := range extra {
		if _, err := f.db.Pool.Exec(ctx, `INSERT INTO parks (city_id, name, park_class, geom) VALUES ($1, $2, 'community', ST_GeomFromText($3, 4326))`, city, name, wkt); err != nil {
			t.Fatal(err)
		}
	}
	for _, tl := range []Tile{{14, tx, ty}, {15, 2 * tx, 2*ty + 1}, {16, 4*tx + 1, 4*ty + 3}} {
		t.Run(tl.String(), func(t *testing.T) {
			unit := PixelSize(tl.Z)
			var fast, slow []string
			rows, err := f.db.Pool.Query(ctx, `SELECT name, geom_3857_clearance >= 2 * $4::float8 AND geom_3857 @ ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096)
				FROM parks WHERE geom_3857 && ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096) ORDER BY name`, tl.Z, tl.X, tl.Y, unit)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var n string
				var ok bool
				if err := rows.Scan(&n, &ok); err != nil {
					t.Fatal(err)
				}
				if ok {
					fast = append(fast, n)
				} else {
					slow = append(slow, n)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if tl.Z == 14 && (!slices.Contains(fast, "Holed") || !slices.Contains(fast, "Odd") || !slices.Contains(slow, "Sliver") || !slices.Contains(slow, "NarrowU")) {
				t.Fatalf("fixture: fast path %v, ST_AsMVTGeom %v", fast, slow)
			}
			served, oracle := servedAndAsMVTGeom(t, f, "parks", "name", tl) //nolint:contextcheck // a test oracle with its own context
			got, want := byName(t, served), byName(t, oracle)
			if len(got) != len(want) || len(got) != len(fast)+len(slow) {
				t.Fatalf("served %d features, ST_AsMVTGeom %d, parks in the buffered tile %d", len(got), len(want), len(fast)+len(slow))
			}
			for n, w := range want {
				if g, ok := got[n]; !ok || !slices.EqualFunc(g, w, slices.Equal) {
					t.Errorf("%s: served rings %v, ST_AsMVTGeom %v", n, g, w)
				}
			}
		})
	}
}

// servedAndAsMVTGeom renders tile tl of layer with one property through the service, and
// builds the oracle: the same features drawn by ST_AsMVTGeom alone (clipping on).
func servedAndAsMVTGeom(t *testing.T, f *fixture, layer, prop string, tl Tile) (served, oracle []byte) {
	t.Helper()
	ctx := context.Background()
	served, err := f.svc.Render(ctx, TileRequest{Sources: []string{layer}, Tile: tl, Limit: DefaultLimit, Properties: []string{prop}})
	if err != nil {
		t.Fatal(err)
	}
	// layer and prop are the test's own constants.
	if err := f.db.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT ST_AsMVT(q, $4::text, 4096, 'geom', 'id') FROM (
		SELECT id, %[2]s, ST_AsMVTGeom(geom_3857, ST_TileEnvelope($1, $2, $3), 4096, 256, true) AS geom
		FROM %[1]s WHERE geom_3857 && ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096)) q WHERE geom IS NOT NULL`,
		pgx.Identifier{layer}.Sanitize(), pgx.Identifier{prop}.Sanitize()), tl.Z, tl.X, tl.Y, layer).Scan(&oracle); err != nil {
		t.Fatal(err)
	}
	return served, oracle
}

func byName(t *testing.T, tile []byte) map[string][][][2]int64 {
	return featureRings(t, tile, func(f mvtread.Feature) string { return fmt.Sprint(f.Props["name"]) })
}

func byID(t *testing.T, tile []byte) map[uint64][][][2]int64 {
	return featureRings(t, tile, func(f mvtread.Feature) uint64 { return f.ID })
}

// featureRings decodes every polygon feature of tile into its rings (see rings), keyed.
func featureRings[K comparable](t *testing.T, tile []byte, key func(mvtread.Feature) K) map[K][][][2]int64 {
	t.Helper()
	ls, err := mvtread.Decode(tile)
	if err != nil {
		t.Fatal(err)
	}
	out := map[K][][][2]int64{}
	for _, l := range ls {
		for _, ft := range l.Features {
			r, err := rings(ft.Geometry)
			if err != nil {
				t.Fatal(err)
			}
			out[key(ft)] = r
		}
	}
	return out
}

// TestZ14GridMatchesAsMVTGeom: at zoom 14 the fast polygon path translates the stored
// geom_3857_z14 (migration 0024) instead of transforming and snapping per tile. Over 600
// random parcels (jittered hexagons of 5–60 m, some across tile edges, some thinner than
// a tile unit) in four adjacent z14 tiles, every served tile must equal, ring by ring, a
// tile built by ST_AsMVTGeom alone; and most parcels must have taken the translated path.
func TestZ14GridMatchesAsMVTGeom(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	city := f.cityID(t)
	if !f.svc.sources["residential_land"].(tableSource).grid14 {
		t.Fatal("residential_land has no geom_3857_z14: the zoom-14 grid path is off")
	}
	// The four tiles 14/tx..tx+1/ty..ty+1 span about lon 109.8193–109.8633, lat 40.6306–40.6640.
	if _, err := f.db.Pool.Exec(ctx, `INSERT INTO residential_land (city_id, population, households, geom)
		SELECT $1, 10, 4, ST_Multi(ST_MakePolygon(ST_AddPoint(l, ST_StartPoint(l)))) FROM (
		    SELECT ST_MakeLine(ARRAY(SELECT ST_MakePoint(cx + r * cos(k * pi() / 3) * (0.8 + 0.4 * random()) / 0.76,
		                                                 cy + r * sin(k * pi() / 3) * flat * (0.8 + 0.4 * random()))
		                             FROM generate_series(0, 5) k ORDER BY k)) AS l
		    FROM (SELECT g, 109.8193 + random() * 0.044 AS cx, 40.6306 + random() * 0.0334 AS cy,
		                 (5 + random() * 55) / 111320.0 AS r, CASE WHEN g % 10 = 0 THEN 0.02 ELSE 1 END AS flat
		          FROM generate_series(1, 600) g) p) h`, city); err != nil {
		t.Fatal(err)
	}
	unit := PixelSize(14)
	for _, tl := range []Tile{{14, tx, ty}, {14, tx + 1, ty}, {14, tx, ty + 1}, {14, tx + 1, ty + 1}} {
		var n, grid int
		if err := f.db.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE geom_3857_clearance >= 2 * $4::float8 AND geom_3857 @ ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096))
			FROM residential_land WHERE geom_3857 && ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096)`, tl.Z, tl.X, tl.Y, unit).Scan(&n, &grid); err != nil {
			t.Fatal(err)
		}
		if n < 100 || grid < n/2 || grid == n {
			t.Fatalf("%s: %d parcels, %d on the grid path: the fixture should exercise both paths", tl, n, grid)
		}
		served, oracle := servedAndAsMVTGeom(t, f, "residential_land", "population", tl)
		got, want := byID(t, served), byID(t, oracle)
		if len(got) != len(want) {
			t.Fatalf("%s: served %d features, ST_AsMVTGeom %d", tl, len(got), len(want))
		}
		for id, w := range want {
			if g, ok := got[id]; !ok || !slices.EqualFunc(g, w, slices.Equal) {
				t.Errorf("%s parcel %d: served rings %v, ST_AsMVTGeom %v", tl, id, g, w)
			}
		}
		t.Logf("%s: %d parcels, %d through the z14 grid, %d features equal", tl, n, grid, len(want))
	}
}
