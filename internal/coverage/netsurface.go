package coverage

import (
	"context"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	geos "github.com/twpayne/go-geos"
)

// TileM is the side in metres of the square tiles over which the network method builds
// its covered surface. A tile holds a few dozen parcels: big enough that a parcel rarely
// straddles tiles, small enough that a tile's surface stays a few hundred vertices, so the
// overlay with each parcel is cheap.
const TileM = 500.0

// The network method draws the covered surface once per city, tile by tile, rather than
// once per parcel: per tile t (a TileM square of a grid anchored at the parcels' lower
// left corner)
//
//	S_t = t ∩ ⋃ service areas ∩ buffer(reached pieces clipped to t grown by tol, tol)
//
// and a parcel's covered area is Σ_t area(parcel ∩ S_t), the tiles' interiors being
// disjoint. Clipping the pieces loses nothing inside t: a point of t within tol of a
// reached point q has q inside t grown by tol, and the round caps added where a piece is
// cut lie farther than tol from t. So S_t is the per-parcel definition restricted to t,
// built from the same lines, and the figures are those of the per-parcel construction to
// rounding (TestNetworkMatchesReference). A worker owns a tile from start to end — its
// GEOS context, the tile's surface, the prepared surface and every parcel that touches it
// — so no GEOS object is shared between goroutines (a prepared geometry builds its index
// lazily and is not safe for concurrent use).

// straightTurn is the largest turn, in radians, at which mergeStraight still joins two
// pieces (see there).
const straightTurn = 1e-6

// tileGrid maps points to tiles.
type tileGrid struct {
	x0, y0 float64
	nx, ny int
}

func (tg tileGrid) box(t int) box {
	i, j := t%tg.nx, t/tg.nx
	x, y := tg.x0+float64(i)*TileM, tg.y0+float64(j)*TileM
	return box{x, y, x + TileM, y + TileM}
}

// span returns the tile column or row range [lo, hi] that v0–v1 touches.
func span(v0, v1, origin float64, n int) (int, int) {
	lo := int(math.Floor((v0 - origin) / TileM))
	hi := int(math.Floor((v1 - origin) / TileM))
	return max(lo, 0), min(hi, n-1)
}

// coverPiece is a parcel's share of one tile's covered surface.
type coverPiece struct {
	parcel int32
	full   bool // the parcel lies in the tile and inside its surface
	area   float64
	geom   orb.MultiPolygon // parcel ∩ S_t, kept only when gaps are asked for
}

// networkCover fills res.Covered (and res.Gaps when gaps) for the network method: for
// every parcel, or only for the parcels of only when it is not nil (Result.Apply).
// sa and tree are the service areas' boxes and their index, reach the reached network.
// The tiles are those of a grid anchored at multiples of TileM, the same for every
// computation on a city, so a parcel's figure does not depend on which other parcels
// were computed with it and a tile's buffered network can be found again in cache.
func networkCover(ctx context.Context, snap *Snapshot, res *Result, sa []box, tree *strTree, reach *reachedNet, workers int, gaps bool, only []int32, cache *SurfaceCache) error {
	n := len(snap.Parcels)
	if only == nil {
		only = make([]int32, n)
		for i := range only {
			only[i] = int32(i)
		}
	}
	if len(only) == 0 {
		return nil
	}
	pboxes := make([]box, n)
	var ext box
	for k, i := range only {
		pboxes[i] = boxOf(snap.Parcels[i].Geom.Bound())
		if k == 0 {
			ext = pboxes[i]
		} else {
			ext = union(ext, pboxes[i])
		}
	}
	x0, y0 := math.Floor(ext.minX/TileM)*TileM, math.Floor(ext.minY/TileM)*TileM
	tg := tileGrid{x0: x0, y0: y0, nx: int((ext.maxX-x0)/TileM) + 1, ny: int((ext.maxY-y0)/TileM) + 1}
	// The parcels each tile must answer for: those whose box meets the tile and some
	// service area's box (no other parcel can be covered).
	byTile := map[int][]int32{}
	var hits []int32
	for _, i := range only {
		pb := pboxes[i]
		if hits = tree.query(pb, sa, hits[:0]); len(hits) == 0 {
			continue
		}
		i0, i1 := span(pb.minX, pb.maxX, tg.x0, tg.nx)
		j0, j1 := span(pb.minY, pb.maxY, tg.y0, tg.ny)
		for j := j0; j <= j1; j++ {
			for k := i0; k <= i1; k++ {
				t := j*tg.nx + k
				byTile[t] = append(byTile[t], i)
			}
		}
	}
	tiles := make([]int, 0, len(byTile))
	for t := range byTile {
		tiles = append(tiles, t)
	}
	slices.Sort(tiles) // row by row from the grid's origin: the same order for every grid
	out := make([][]coverPiece, len(tiles))
	err := parallel(ctx, workers, len(tiles), 1, func() (func(int) error, func()) {
		tw := &tileWorker{snap: snap, res: res, sa: sa, tree: tree, reach: reach, gaps: gaps, cache: cache,
			c: geos.NewContext(), bufs: make([]*geos.Geom, len(res.Parks))}
		return func(k int) error {
			var err error
			out[k], err = tw.tile(tg.box(tiles[k]), byTile[tiles[k]], pboxes)
			return err
		}, tw.close
	})
	if err != nil {
		return err
	}
	// Sum in tile order, so the figures do not depend on scheduling.
	var pieces [][]coverPiece
	if gaps {
		pieces = make([][]coverPiece, n)
	}
	for _, i := range only {
		res.Covered[i] = 0
	}
	for _, ps := range out {
		for _, p := range ps {
			res.Covered[p.parcel] += p.area
			if gaps {
				pieces[p.parcel] = append(pieces[p.parcel], p)
			}
		}
	}
	if !gaps {
		return nil
	}
	return parallel(ctx, workers, len(only), 128, func() (func(int) error, func()) {
		c := geos.NewContext()
		return func(k int) error {
			i := only[k]
			var err error
			res.Gaps[i], err = gap(c, &snap.Parcels[i], pieces[i])
			return err
		}, func() {}
	})
}

// gap returns parcel p minus its covered pieces (nil when p is covered whole).
func gap(c *geos.Context, p *Parcel, pieces []coverPiece) (orb.MultiPolygon, error) {
	switch {
	case len(pieces) == 0:
		return p.Geom, nil
	case len(pieces) == 1 && pieces[0].full:
		return nil, nil
	}
	g := toGEOS(c, p.Geom)
	defer g.Destroy()
	parts := make([]*geos.Geom, 0, len(pieces))
	for _, pc := range pieces {
		if pc.full {
			return nil, nil
		}
		if len(pc.geom) > 0 {
			parts = append(parts, toGEOS(c, pc.geom))
		}
	}
	var cov *geos.Geom
	switch len(parts) {
	case 0:
		return p.Geom, nil
	case 1:
		cov = parts[0]
	default:
		coll := c.NewCollection(geos.TypeIDGeometryCollection, parts)
		cov = coll.UnaryUnion()
		coll.Destroy()
	}
	d := g.Difference(cov)
	cov.Destroy()
	defer d.Destroy()
	return fromGEOS(d)
}

// tileWorker builds tiles' covered surfaces in its own GEOS context.
type tileWorker struct {
	snap  *Snapshot
	res   *Result
	sa    []box
	tree  *strTree
	reach *reachedNet
	gaps  bool
	cache *SurfaceCache

	c       *geos.Context
	bufs    []*geos.Geom // service area of each counted park, built on first use
	hits    []int32
	clipped []orb.LineString
	rings   []ringBox
	scratch [2][]orb.Point
}

func (w *tileWorker) close() {
	for _, b := range w.bufs {
		if b != nil {
			b.Destroy()
		}
	}
}

func (w *tileWorker) buffer(k int32) *geos.Geom {
	if w.bufs[k] == nil {
		w.bufs[k] = serviceArea(w.c, w.snap, w.res, k)
	}
	return w.bufs[k]
}

// surface returns S_t for tile box tb, or nil when it is empty.
func (w *tileWorker) surface(tb box) *geos.Geom {
	// ⋃ service areas ∩ t. ClipByRect is GEOS's linear-time clip to a rectangle.
	w.hits = w.tree.query(tb, w.sa, w.hits[:0])
	parts := make([]*geos.Geom, 0, len(w.hits))
	for _, h := range w.hits {
		if part := w.buffer(h).ClipByRect(tb.minX, tb.minY, tb.maxX, tb.maxY); part.IsEmpty() {
			part.Destroy()
		} else {
			parts = append(parts, part)
		}
	}
	var served *geos.Geom
	switch len(parts) {
	case 0:
		return nil
	case 1:
		served = parts[0]
	default:
		coll := w.c.NewCollection(geos.TypeIDGeometryCollection, parts)
		served = coll.UnaryUnion()
		coll.Destroy()
	}
	defer served.Destroy()
	// buffer(reached pieces, tol) ∩ t: the pieces are clipped to t grown by a little
	// more than tol, so the caps of the cuts stay out of t.
	rn := w.reach
	q := tb.expand(rn.tol + 1)
	bound := orb.Bound{Min: orb.Point{q.minX, q.minY}, Max: orb.Point{q.maxX, q.maxY}}
	w.clipped = w.clipped[:0]
	w.hits = rn.tree.query(tb, rn.boxes, w.hits[:0])
	for _, h := range w.hits {
		for _, ls := range clip.LineString(bound, rn.lines[h]) {
			if len(ls) >= 2 {
				w.clipped = append(w.clipped, ls)
			}
		}
	}
	if len(w.clipped) == 0 {
		return nil
	}
	netT := w.buffered(tb, rn.tol)
	if netT == nil {
		return nil
	}
	var s *geos.Geom
	if served.Area() >= (tb.maxX-tb.minX)*(tb.maxY-tb.minY)*(1-1e-12) {
		s = netT // the tile lies in a service area
	} else {
		s = served.Intersection(netT)
		netT.Destroy()
	}
	if s.IsEmpty() {
		s.Destroy()
		return nil
	}
	return s
}

// buffered returns buffer(w.clipped, tol) ∩ tb (nil when empty), from the cache when it
// holds the same tile and pieces. The pieces are put in canonical order first, so the
// buffer built here is the one any computation with the same pieces builds.
func (w *tileWorker) buffered(tb box, tol float64) *geos.Geom {
	key := canonical(tb, tol, w.clipped)
	if wkb, ok := w.cache.get(key); ok {
		if wkb == nil {
			return nil
		}
		if g, err := w.c.NewGeomFromWKB(wkb); err == nil {
			return g
		}
	}
	lines := make([]*geos.Geom, 0, len(w.clipped))
	for _, ls := range mergeStraight(w.clipped) {
		lines = append(lines, lineToGEOS(w.c, ls))
	}
	ml := w.c.NewCollection(geos.TypeIDMultiLineString, lines)
	net := ml.Buffer(tol, QuadSegs)
	ml.Destroy()
	netT := net.ClipByRect(tb.minX, tb.minY, tb.maxX, tb.maxY)
	net.Destroy()
	if netT.IsEmpty() {
		netT.Destroy()
		w.cache.put(key, nil)
		return nil
	}
	if w.cache != nil {
		w.cache.put(key, netT.ToWKB())
	}
	return netT
}

// tile returns the covered pieces of the parcels (indexes into the snapshot) that touch
// tile box tb: area(parcel ∩ S_t), in pure Go for a convex parcel (clippedArea), else
// with GEOS against S_t clipped to the parcel's box, so that the overlay sees only the
// few strips near the parcel. With gaps the piece itself is kept, always from GEOS.
func (w *tileWorker) tile(tb box, parcels []int32, pboxes []box) ([]coverPiece, error) {
	s := w.surface(tb)
	if s == nil {
		return nil, nil
	}
	defer s.Destroy()
	if !w.gaps {
		mp, err := fromGEOS(s)
		if err != nil {
			return nil, err
		}
		w.rings = ringBoxes(mp, w.rings[:0])
	}
	var out []coverPiece
	for _, i := range parcels {
		pb := pboxes[i]
		p := &w.snap.Parcels[i]
		if !w.gaps {
			if r, ok := convexRing(p.Geom); ok {
				if a := clippedArea(w.rings, r, pb, &w.scratch); a > 0 {
					out = append(out, coverPiece{parcel: i, area: a})
				}
				continue
			}
		}
		near := s.ClipByRect(pb.minX, pb.minY, pb.maxX, pb.maxY)
		if near.IsEmpty() {
			near.Destroy()
			continue
		}
		g := toGEOS(w.c, p.Geom)
		x := g.Intersection(near)
		g.Destroy()
		near.Destroy()
		pc := coverPiece{parcel: i, area: x.Area()}
		if w.gaps {
			mp, err := fromGEOS(x)
			if err != nil {
				x.Destroy()
				return nil, err
			}
			pc.geom = mp
		}
		x.Destroy()
		if pc.area > 0 || len(pc.geom) > 0 {
			out = append(out, pc)
		}
	}
	return out, nil
}

// mergeStraight joins lines that meet end to end and continue in a straight line (the
// same street cut into pieces at its crossings) into one line. The round caps it drops lie
// inside the buffer of the continuing line — a cap is inscribed in the disc of radius tol
// about the joint, which lies in the straight strip around the line — so the buffer is the
// same set, but GEOS no longer has to node the overlapping, nearly tangent cap arcs of
// every crossing, which is where buffering a street network spends its time (and, when its
// fast noder fails on them, falls back to snap rounding). Lines meeting at an angle keep
// their caps, so the polygon is the per-piece one, vertex for vertex where it matters.
// "Straight" allows a turn of straightTurn radians: coordinates read back from PostGIS
// (stored in EPSG:4326, transformed to the metric CRS) bend a straight street by ~1e-11 rad
// at every node. At such a turn GEOS puts one offset vertex where the caps would have
// filled a wedge of r²θ/2 (3e-4 m² at r = 25 m, θ = 1e-6): far below the 0.01 m² the
// figures are checked to.
func mergeStraight(lines []orb.LineString) []orb.LineString {
	type end struct{ line, side int32 } // side 0: first point, 1: last point
	at := make(map[orb.Point][]end, 2*len(lines))
	for i, l := range lines {
		at[l[0]] = append(at[l[0]], end{int32(i), 0})
		at[l[len(l)-1]] = append(at[l[len(l)-1]], end{int32(i), 1})
	}
	// out returns the outward direction of a line at one of its ends.
	out := func(x end) (float64, float64) {
		l := lines[x.line]
		if x.side == 0 {
			return l[0][0] - l[1][0], l[0][1] - l[1][1]
		}
		n := len(l)
		return l[n-1][0] - l[n-2][0], l[n-1][1] - l[n-2][1]
	}
	// partner[i][side] is the end joined to that end of line i, plus one (0: none).
	partner := make([][2]int32, len(lines))
	for _, es := range at {
		for a := range es {
			if partner[es[a].line][es[a].side] != 0 {
				continue
			}
			ax, ay := out(es[a])
			for b := a + 1; b < len(es); b++ {
				if partner[es[b].line][es[b].side] != 0 || es[a].line == es[b].line {
					continue
				}
				bx, by := out(es[b])
				cross, dot := ax*by-ay*bx, ax*bx+ay*by
				// Opposite directions, parallel to within straightTurn.
				if dot < 0 && cross*cross <= straightTurn*straightTurn*(ax*ax+ay*ay)*(bx*bx+by*by) {
					partner[es[a].line][es[a].side] = es[b].line*2 + es[b].side + 1
					partner[es[b].line][es[b].side] = es[a].line*2 + es[a].side + 1
					break
				}
			}
		}
	}
	done := make([]bool, len(lines))
	var merged []orb.LineString
	for i := range lines {
		if done[i] {
			continue
		}
		// Walk back to the start of the chain holding line i (or around a ring).
		s, side := int32(i), int32(0)
		for n := 0; partner[s][side] != 0 && n < len(lines); n++ {
			p := partner[s][side] - 1
			s, side = p/2, 1-p%2
			if s == int32(i) {
				break
			}
		}
		// Walk forward, entering each line at its end side.
		var chain orb.LineString
		for cur, in := s, side; !done[cur]; {
			done[cur] = true
			l := lines[cur]
			if in == 0 {
				for k, pt := range l {
					if k > 0 || len(chain) == 0 {
						chain = append(chain, pt)
					}
				}
			} else {
				for k := len(l) - 1; k >= 0; k-- {
					if k < len(l)-1 || len(chain) == 0 {
						chain = append(chain, l[k])
					}
				}
			}
			p := partner[cur][1-in]
			if p == 0 {
				break
			}
			cur, in = (p-1)/2, (p-1)%2
		}
		merged = append(merged, chain)
	}
	return merged
}
