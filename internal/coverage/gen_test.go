package coverage

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/network"
)

// genCity is this package's own synthetic city (the demo generator of internal/synth was
// not ready when these tests were written): a grid of blocks of Pitch metres separated by
// streets on the block edges, one residential parcel per block (a slightly rotated
// rectangle, sometimes split in two), parks of every class replacing blocks, and
// districts, 街道 and communities as rectangles. Coordinates are EPSG:4546 metres near
// Baotou. The same seed gives the same city.
type genCity struct {
	Cols, Rows int
	Pitch      float64
	Origin     orb.Point
	Parks      []Park
	Parcels    []Parcel
	Areas      []Area
	Edges      []network.Edge
}

func generateCity(seed uint64, parcels, parks int) *genCity {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	side := int(math.Ceil(math.Sqrt(float64(parcels+parks*3) / 1.1)))
	g := &genCity{Cols: side, Rows: side, Pitch: 130, Origin: orb.Point{390000, 4490000}}
	P, o := g.Pitch, g.Origin
	used := make([]bool, side*side)
	cell := func(i, j int) (float64, float64) { return o[0] + float64(i)*P, o[1] + float64(j)*P }
	// Parks: a few large comprehensive parks over 2×2 blocks, community parks over one
	// block, small gardens and squares inside one block.
	classes := []string{caliber.Comprehensive, caliber.Community, caliber.Community, caliber.Specialized, caliber.Garden, caliber.Garden, caliber.Garden, caliber.Square}
	for k := 0; k < parks; k++ {
		class := classes[rng.IntN(len(classes))]
		span := 1
		if class == caliber.Comprehensive {
			span = 2
		}
		var i, j int
		for {
			i, j = rng.IntN(side-span+1), rng.IntN(side-span+1)
			free := true
			for a := 0; a < span; a++ {
				for b := 0; b < span; b++ {
					free = free && !used[(j+b)*side+i+a]
				}
			}
			if free {
				break
			}
		}
		for a := 0; a < span; a++ {
			for b := 0; b < span; b++ {
				used[(j+b)*side+i+a] = true
			}
		}
		x, y := cell(i, j)
		var w, h float64
		switch class {
		case caliber.Comprehensive:
			w, h = float64(span)*P-20, float64(span)*P-20
		case caliber.Community, caliber.Specialized:
			w, h = 60+rng.Float64()*50, 60+rng.Float64()*50
		default:
			w, h = 25+rng.Float64()*60, 25+rng.Float64()*50
		}
		x0, y0 := x+10+rng.Float64()*(float64(span)*P-20-w), y+10+rng.Float64()*(float64(span)*P-20-h)
		p := park(int64(k+1), class, rect(x0, y0, x0+w, y0+h))
		p.Name = fmt.Sprintf("公园 %d", k+1)
		p.Pocket = class == caliber.Garden && w*h < 1000
		switch rng.IntN(20) {
		case 0:
			p.OpenStatus = "closed"
		case 1:
			p.OpenStatus = "shared"
		case 2:
			p.Historic = true
		}
		g.Parks = append(g.Parks, p)
	}
	id := int64(0)
	for j := 0; j < side && len(g.Parcels) < parcels; j++ {
		for i := 0; i < side && len(g.Parcels) < parcels; i++ {
			if used[j*side+i] {
				continue
			}
			x, y := cell(i, j)
			cx, cy := x+P/2, y+P/2
			hw, hh := 40+rng.Float64()*14, 40+rng.Float64()*14
			ang := (rng.Float64() - 0.5) * 0.16 // ±4.6°
			parts := [][4]float64{{-hw, -hh, hw, hh}}
			if rng.IntN(5) == 0 { // split the block in two
				parts = [][4]float64{{-hw, -hh, -2, hh}, {2, -hh, hw, hh}}
			}
			for _, pt := range parts {
				id++
				poly := rotRect(cx, cy, pt, ang)
				pop := math.Round(area(poly) * (0.02 + rng.Float64()*0.04))
				g.Parcels = append(g.Parcels, parcel(id, poly, pop))
			}
		}
	}
	// Streets on the block edges.
	node := func(i, j int) int64 { return int64(j*(side+1) + i + 1) }
	eid := int64(0)
	for j := 0; j <= side; j++ {
		for i := 0; i <= side; i++ {
			x, y := cell(i, j)
			if i < side {
				eid++
				g.Edges = append(g.Edges, network.Edge{ID: eid, Source: node(i, j), Target: node(i+1, j), Length: P, Geom: orb.LineString{{x, y}, {x + P, y}}, Walkable: true})
			}
			if j < side {
				eid++
				g.Edges = append(g.Edges, network.Edge{ID: eid, Source: node(i, j), Target: node(i, j+1), Length: P, Geom: orb.LineString{{x, y}, {x, y + P}}, Walkable: true})
			}
		}
	}
	// Administrative areas: 2×2 districts, 4×4 街道, 12×12 communities covering the grid.
	W := float64(side) * P
	grid := func(level string, n int, base int64) {
		for b := 0; b < n; b++ {
			for a := 0; a < n; a++ {
				x0, y0 := o[0]+W*float64(a)/float64(n), o[1]+W*float64(b)/float64(n)
				g.Areas = append(g.Areas, Area{Level: level, ID: base + int64(b*n+a), Name: fmt.Sprintf("%s %d-%d", level, a, b),
					Geom: rect(x0, y0, x0+W/float64(n), y0+W/float64(n))})
			}
		}
	}
	grid(LevelDistrict, 2, 1)
	grid(LevelSubdistrict, 4, 1)
	grid(LevelCommunity, 12, 1)
	return g
}

func rotRect(cx, cy float64, r [4]float64, ang float64) orb.MultiPolygon {
	s, c := math.Sin(ang), math.Cos(ang)
	pt := func(x, y float64) orb.Point { return orb.Point{cx + x*c - y*s, cy + x*s + y*c} }
	a, b, d, e := pt(r[0], r[1]), pt(r[2], r[1]), pt(r[2], r[3]), pt(r[0], r[3])
	return orb.MultiPolygon{{{a, b, d, e, a}}}
}

// Snapshot returns the city in memory, as Store.Load would give it before the metric
// round trip through EPSG:4326.
func (g *genCity) Snapshot() *Snapshot {
	return &Snapshot{CityID: 1, City: "gen", CityName: "Generated", MetricSRID: 4546,
		Parks: g.Parks, Parcels: g.Parcels, Areas: g.Areas, Edges: g.Edges}
}

// load writes the city into a migrated database as city slug and returns its id. The
// geometries go in as EPSG:4326 (the triggers derive geom_m), in bulk-load mode.
func (g *genCity) load(t testing.TB, pool *pgxpool.Pool, slug string) int {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tx.Exec(ctx, `SET LOCAL cityreach.bulk_load = 'on'`))
	var city int
	if err := tx.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid, synthetic) VALUES ($1, $2, '150200', 4546, true) RETURNING id`, slug, "生成城市 "+slug).Scan(&city); err != nil {
		t.Fatal(err)
	}
	wkbs := func(n int, geom func(int) orb.Geometry) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			b, err := wkb.Marshal(geom(i))
			if err != nil {
				t.Fatal(err)
			}
			out[i] = b
		}
		return out
	}
	const to4326 = `ST_Multi(ST_Transform(ST_SetSRID(ST_GeomFromWKB(w), 4546), 4326))`
	var names, classes, status []string
	var pocket, hist []bool
	for _, p := range g.Parks {
		names, classes, status = append(names, p.Name), append(classes, p.Class), append(status, p.OpenStatus)
		pocket, hist = append(pocket, p.Pocket), append(hist, p.Historic)
	}
	must(tx.Exec(ctx, `INSERT INTO parks (city_id, name, park_class, pocket, open_status, in_historic_district, geom)
		SELECT $1, n, c, pk, s, h, `+to4326+` FROM unnest($2::text[], $3::text[], $4::bool[], $5::text[], $6::bool[], $7::bytea[]) AS u(n, c, pk, s, h, w)`,
		city, names, classes, pocket, status, hist, wkbs(len(g.Parks), func(i int) orb.Geometry { return g.Parks[i].Geom })))
	pops := make([]int64, len(g.Parcels))
	for i, p := range g.Parcels {
		pops[i] = int64(p.Population)
	}
	must(tx.Exec(ctx, `INSERT INTO residential_land (city_id, population, households, geom)
		SELECT $1, p, p / 3, `+to4326+` FROM unnest($2::bigint[], $3::bytea[]) AS u(p, w)`,
		city, pops, wkbs(len(g.Parcels), func(i int) orb.Geometry { return g.Parcels[i].Geom })))
	var dist, sub, com []Area
	for _, a := range g.Areas {
		switch a.Level {
		case LevelDistrict:
			dist = append(dist, a)
		case LevelSubdistrict:
			sub = append(sub, a)
		default:
			com = append(com, a)
		}
	}
	aw := func(as []Area) [][]byte { return wkbs(len(as), func(i int) orb.Geometry { return as[i].Geom }) }
	an := func(as []Area) []string {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = a.Name
		}
		return out
	}
	must(tx.Exec(ctx, `INSERT INTO districts (city_id, adcode, name, geom)
		SELECT $1, (150200 + o)::text, n, `+to4326+` FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS u(n, w, o)`, city, an(dist), aw(dist)))
	must(tx.Exec(ctx, `INSERT INTO subdistricts (city_id, district_id, code, name, geom)
		SELECT $1, (SELECT min(id) FROM districts WHERE city_id = $1), (150200000 + o)::text, n, `+to4326+`
		FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS u(n, w, o)`, city, an(sub), aw(sub)))
	must(tx.Exec(ctx, `INSERT INTO communities (city_id, code, name, population, households, geom)
		SELECT $1, (150200000000 + o)::text, n, 0, 0, `+to4326+` FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS u(n, w, o)`, city, an(com), aw(com)))
	src, dst := make([]int64, len(g.Edges)), make([]int64, len(g.Edges))
	for i, e := range g.Edges {
		src[i], dst[i] = e.Source, e.Target
	}
	must(tx.Exec(ctx, `INSERT INTO network_edges (city_id, source, target, highway, geom)
		SELECT $1, s, t, 'residential', ST_Transform(ST_SetSRID(ST_GeomFromWKB(w), 4546), 4326)
		FROM unnest($2::bigint[], $3::bigint[], $4::bytea[]) AS u(s, t, w)`,
		city, src, dst, wkbs(len(g.Edges), func(i int) orb.Geometry { return g.Edges[i].Geom })))
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	must(pool.Exec(ctx, `ANALYZE parks; ANALYZE residential_land`))
	return city
}
