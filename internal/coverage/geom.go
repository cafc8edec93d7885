package coverage

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	geos "github.com/twpayne/go-geos"
)

// QuadSegs is the number of segments per quarter circle of every buffer: PostGIS's
// ST_Buffer default, so a stored buffer and ours are the same polygon.
const QuadSegs = 8

// toGEOS builds g in the GEOS context c.
func toGEOS(c *geos.Context, mp orb.MultiPolygon) *geos.Geom {
	polys := make([]*geos.Geom, 0, len(mp))
	for _, p := range mp {
		polys = append(polys, polyToGEOS(c, p))
	}
	if len(polys) == 1 {
		return polys[0]
	}
	return c.NewCollection(geos.TypeIDMultiPolygon, polys)
}

func polyToGEOS(c *geos.Context, p orb.Polygon) *geos.Geom {
	rings := make([][][]float64, len(p))
	for i, r := range p {
		cs := make([][]float64, len(r))
		for j, pt := range r {
			cs[j] = []float64{pt[0], pt[1]}
		}
		rings[i] = cs
	}
	return c.NewPolygon(rings)
}

func lineToGEOS(c *geos.Context, ls orb.LineString) *geos.Geom {
	cs := make([][]float64, len(ls))
	for j, pt := range ls {
		cs[j] = []float64{pt[0], pt[1]}
	}
	return c.NewLineString(cs)
}

// fromGEOS returns the polygonal part of g as an orb.MultiPolygon (empty for none).
func fromGEOS(g *geos.Geom) (orb.MultiPolygon, error) {
	if g == nil || g.IsEmpty() {
		return nil, nil
	}
	geom, err := wkb.Unmarshal(g.ToWKB())
	if err != nil {
		return nil, err
	}
	var out orb.MultiPolygon
	var walk func(orb.Geometry) error
	walk = func(x orb.Geometry) error {
		switch t := x.(type) {
		case orb.Polygon:
			out = append(out, t)
		case orb.MultiPolygon:
			out = append(out, t...)
		case orb.Collection:
			for _, y := range t {
				if err := walk(y); err != nil {
					return err
				}
			}
		case orb.LineString, orb.MultiLineString, orb.Point, orb.MultiPoint:
			// lower-dimensional leftovers of an overlay carry no area
		default:
			return fmt.Errorf("coverage: unexpected geometry %T", x)
		}
		return nil
	}
	return out, walk(geom)
}

// box is an axis-aligned rectangle.
type box struct{ minX, minY, maxX, maxY float64 }

func boxOf(b orb.Bound) box { return box{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} }

func (a box) intersects(b box) bool {
	return a.minX <= b.maxX && b.minX <= a.maxX && a.minY <= b.maxY && b.minY <= a.maxY
}

func (a box) contains(b box) bool {
	return a.minX <= b.minX && a.minY <= b.minY && b.maxX <= a.maxX && b.maxY <= a.maxY
}

func (a box) expand(d float64) box { return box{a.minX - d, a.minY - d, a.maxX + d, a.maxY + d} }

// strTree is a static Sort-Tile-Recursive packed R-tree over boxes, in pure Go so that
// queries from several workers need no lock and no cgo call. Items are int32 indexes.
type strTree struct {
	levels [][]strNode // levels[0] are leaves
	ids    []int32     // item ids in leaf order
}

type strNode struct {
	b          box
	start, end int32 // children in the level below (or items for leaves)
}

const strCap = 16

func newSTRTree(boxes []box) *strTree {
	t := &strTree{}
	if len(boxes) == 0 {
		return t
	}
	type item struct {
		b  box
		id int32
	}
	items := make([]item, len(boxes))
	for i, b := range boxes {
		items[i] = item{b, int32(i)}
	}
	// Pack: sort by x centre into vertical slices, each by y centre.
	cx := func(b box) float64 { return b.minX + b.maxX }
	cy := func(b box) float64 { return b.minY + b.maxY }
	sort.Slice(items, func(i, j int) bool { return cx(items[i].b) < cx(items[j].b) })
	leaves := int(math.Ceil(float64(len(items)) / strCap))
	slices := int(math.Ceil(math.Sqrt(float64(leaves))))
	per := slices * strCap
	for s := 0; s < len(items); s += per {
		e := min(s+per, len(items))
		part := items[s:e]
		sort.Slice(part, func(i, j int) bool { return cy(part[i].b) < cy(part[j].b) })
	}
	t.ids = make([]int32, len(items))
	var level []strNode
	for s := 0; s < len(items); s += strCap {
		e := min(s+strCap, len(items))
		n := strNode{b: items[s].b, start: int32(s), end: int32(e)}
		for i := s; i < e; i++ {
			t.ids[i] = items[i].id
			n.b = union(n.b, items[i].b)
		}
		level = append(level, n)
	}
	t.levels = append(t.levels, level)
	for len(level) > 1 {
		var up []strNode
		for s := 0; s < len(level); s += strCap {
			e := min(s+strCap, len(level))
			n := strNode{b: level[s].b, start: int32(s), end: int32(e)}
			for i := s; i < e; i++ {
				n.b = union(n.b, level[i].b)
			}
			up = append(up, n)
		}
		t.levels = append(t.levels, up)
		level = up
	}
	return t
}

func union(a, b box) box {
	return box{math.Min(a.minX, b.minX), math.Min(a.minY, b.minY), math.Max(a.maxX, b.maxX), math.Max(a.maxY, b.maxY)}
}

// query appends to dst the ids of the items whose boxes intersect q, in increasing id order.
func (t *strTree) query(q box, boxes []box, dst []int32) []int32 {
	if len(t.levels) == 0 {
		return dst
	}
	start := len(dst)
	var rec func(level int, i int32)
	rec = func(level int, i int32) {
		n := &t.levels[level][i]
		if !n.b.intersects(q) {
			return
		}
		if level == 0 {
			for k := n.start; k < n.end; k++ {
				if id := t.ids[k]; boxes[id].intersects(q) {
					dst = append(dst, id)
				}
			}
			return
		}
		for k := n.start; k < n.end; k++ {
			rec(level-1, k)
		}
	}
	top := len(t.levels) - 1
	for i := range t.levels[top] {
		rec(top, int32(i))
	}
	out := dst[start:]
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return dst
}

// area is the planar area of mp in m² (shoelace; holes subtracted).
func area(mp orb.MultiPolygon) float64 {
	a := 0.0
	for _, p := range mp {
		for i, r := range p {
			s := 0.0
			for k := 0; k+1 < len(r); k++ {
				s += r[k][0]*r[k+1][1] - r[k+1][0]*r[k][1]
			}
			if i == 0 {
				a += math.Abs(s) / 2
			} else {
				a -= math.Abs(s) / 2
			}
		}
	}
	return a
}
