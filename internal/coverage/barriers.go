package coverage

import (
	"context"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	geos "github.com/twpayne/go-geos"
)

// CrossingGapM is the gap cut into a barrier line on each side of a walkable edge crossing
// it (a bridge, an underpass, a level crossing): a barrier line with a gap inside a
// service area no longer splits it, so the radius passes the crossing.
const CrossingGapM = 1.0

// loadBarriers reads the city's barrier lines: its non-walkable network edges (rivers,
// railways, expressways), each less the discs of radius CrossingGapM around the points
// where a walkable edge crosses it, in id order, as line strings in the metric CRS.
func loadBarriers(ctx context.Context, q querier, cityID int) ([]orb.LineString, error) {
	rows, err := q.Query(ctx, `WITH b AS (SELECT id, geom_m FROM network_edges WHERE city_id = $1 AND NOT walkable AND geom_m IS NOT NULL),
		x AS (SELECT b.id, ST_Union(ST_Buffer(ST_Intersection(b.geom_m, w.geom_m), $2)) AS g FROM b
		      JOIN network_edges w ON w.city_id = $1 AND w.walkable AND w.geom_m IS NOT NULL AND ST_Intersects(b.geom_m, w.geom_m)
		      GROUP BY b.id)
		SELECT b.id, ST_AsBinary(coalesce(ST_Difference(b.geom_m, x.g), b.geom_m)) FROM b LEFT JOIN x USING (id) ORDER BY b.id`, cityID, CrossingGapM)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orb.LineString
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return nil, fmt.Errorf("barrier edge %d: %w", id, err)
		}
		switch l := g.(type) {
		case orb.LineString:
			out = append(out, l)
		case orb.MultiLineString:
			out = append(out, l...)
		case orb.Collection:
			for _, x := range l {
				if ls, ok := x.(orb.LineString); ok {
					out = append(out, ls)
				}
			}
		}
	}
	return out, rows.Err()
}

// barrierIndex is an STR tree over the boxes of a snapshot's barrier lines.
type barrierIndex struct {
	boxes []box
	tree  *strTree
}

// barriers returns the index of s.Barriers, built on first use.
func (s *Snapshot) barriers() *barrierIndex {
	s.barrierOnce.Do(func() {
		bx := make([]box, len(s.Barriers))
		for i, l := range s.Barriers {
			bx[i] = boxOf(l.Bound())
		}
		s.barrierIdx = &barrierIndex{boxes: bx, tree: newSTRTree(bx)}
	})
	return s.barrierIdx
}

// serviceArea builds counted park k's straight-line service area in c: the park buffered
// by its radius and, when the caliber has Barriers, less the parts that cannot be reached
// without crossing a barrier line: the buffer is cut by the barrier lines within it
// (noded with its boundary and polygonized) and the pieces sharing area with the park are
// kept. A barrier line that ends inside the buffer (at a crossing's gap, or its own end)
// does not cut it.
func serviceArea(c *geos.Context, snap *Snapshot, res *Result, k int32) *geos.Geom {
	cp := res.Parks[k]
	park := toGEOS(c, snap.Parks[cp.Index].Geom)
	defer park.Destroy()
	return cutBuffer(c, snap, res.Caliber.Barriers, park, snap.Parks[cp.Index].Geom.Bound(), cp.RadiusM)
}

// cutBuffer is park (whose box is bound) buffered by radius and, with barriers, cut as
// serviceArea says.
func cutBuffer(c *geos.Context, snap *Snapshot, barriers bool, park *geos.Geom, bound orb.Bound, radius float64) *geos.Geom {
	buf := park.Buffer(radius, QuadSegs)
	if !barriers || len(snap.Barriers) == 0 {
		return buf
	}
	idx := snap.barriers()
	hits := idx.tree.query(boxOf(bound).expand(radius), idx.boxes, nil)
	if len(hits) == 0 {
		return buf
	}
	// The lines are clipped to the buffer's box grown by a metre, not to the buffer: a
	// line clipped to the buffer ends at a computed point that may lie a hair inside the
	// boundary and would then no longer cut it. Parts outside the buffer make no face
	// that meets the park.
	bb := boxOf(bound).expand(radius + 1)
	parts := []*geos.Geom{buf.Boundary()}
	for _, h := range hits {
		l := lineToGEOS(c, snap.Barriers[h])
		parts = append(parts, l.ClipByRect(bb.minX, bb.minY, bb.maxX, bb.maxY))
		l.Destroy()
	}
	coll := c.NewCollection(geos.TypeIDGeometryCollection, parts)
	noded := coll.UnaryUnion()
	coll.Destroy()
	faces := c.Polygonize([]*geos.Geom{noded})
	noded.Destroy()
	var keep []*geos.Geom
	for i := range faces.NumGeometries() {
		f := faces.Geometry(i)
		x := f.Intersection(park)
		if x.Area() > 0 {
			keep = append(keep, f.Clone())
		}
		x.Destroy()
	}
	faces.Destroy()
	if len(keep) == 0 {
		return buf // a park without area: nothing to cut by
	}
	buf.Destroy()
	pieces := c.NewCollection(geos.TypeIDMultiPolygon, keep)
	defer pieces.Destroy()
	return pieces.UnaryUnion()
}
