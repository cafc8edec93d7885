package network

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// ErrTooLarge is returned when an isochrone raster would exceed IsochroneOptions.MaxCells.
var ErrTooLarge = errors.New("network: isochrone raster too large")

// Default isochrone raster settings.
const (
	DefaultCellSize  = 10.0    // metres
	DefaultTolerance = 25.0    // metres
	DefaultMaxCells  = 1 << 24 // about 130 MB of raster workspace
)

// IsochroneOptions sets the raster that turns reached pieces into polygons.
type IsochroneOptions struct {
	// CellSize is the raster cell side in metres; 0 means DefaultCellSize.
	CellSize float64
	// Tolerance r is the buffer distance in metres around the reached pieces; 0 means
	// DefaultTolerance. It must be at least half the cell diagonal (CellSize·√2/2), which
	// makes every reached network point fall inside the polygon.
	Tolerance float64
	// MaxCells caps the raster size; 0 means DefaultMaxCells.
	MaxCells int
}

func (o IsochroneOptions) withDefaults() (IsochroneOptions, error) {
	if o.CellSize == 0 {
		o.CellSize = DefaultCellSize
	}
	if o.Tolerance == 0 {
		o.Tolerance = DefaultTolerance
	}
	if o.MaxCells == 0 {
		o.MaxCells = DefaultMaxCells
	}
	if !(o.CellSize > 0) || math.IsInf(o.CellSize, 0) {
		return o, fmt.Errorf("network: isochrone cell size %v m is not finite and > 0", o.CellSize)
	}
	if math.IsInf(o.Tolerance, 0) || !(o.Tolerance >= o.CellSize*math.Sqrt2/2) {
		return o, fmt.Errorf("network: isochrone tolerance %v m is below half the cell diagonal %v m", o.Tolerance, o.CellSize*math.Sqrt2/2)
	}
	return o, nil
}

// Isochrone is the walkable area within one cutoff.
type Isochrone struct {
	// Cutoff is the walking distance in metres.
	Cutoff float64
	// Polygon is the area in the metric working CRS: outer rings counter-clockwise, holes
	// clockwise (RFC 7946 once reprojected to longitude/latitude), rings closed, vertices
	// on raster cell corners with collinear steps merged. Rings may touch at single
	// corners, never cross. It is empty when nothing was reached.
	Polygon orb.MultiPolygon
	// Area is the planar area of Polygon in m² (its cell count times CellSize²).
	Area float64
}

// Isochrones returns one isochrone per cutoff (in the order given) from the last Run; every
// cutoff must be <= the search cutoff, so one traversal to the largest serves them all.
//
// Construction: the pieces reached within the largest cutoff are rasterised once onto a
// grid aligned to multiples of CellSize in the working CRS; each cell keeps the least
// network distance over the network points within Tolerance r of its centre (exact: the
// distance along an edge is piecewise linear). The isochrone for cutoff c is the union of
// cells whose value is <= c, traced into rings.
//
// Guarantee: every point inside the polygon for c lies within r + CellSize·√2/2 straight
// line of a network point whose walking distance is <= c; every network point with walking
// distance <= c, and every point within r - CellSize·√2/2 of one, lies inside it.
// Access legs of sources are not drawn. The polygons allocate; the raster buffers are
// reused.
func (s *Searcher) Isochrones(cutoffs []float64, opt IsochroneOptions) ([]Isochrone, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	maxC := 0.0
	for _, c := range cutoffs {
		if err := s.checkCutoff(c); err != nil {
			return nil, err
		}
		maxC = max(maxC, c)
	}
	out := make([]Isochrone, len(cutoffs))
	for i, c := range cutoffs {
		out[i] = Isochrone{Cutoff: c, Polygon: orb.MultiPolygon{}}
	}
	if len(cutoffs) == 0 {
		return out, nil
	}
	s.pieces = s.appendPieces(maxC, s.pieces[:0])
	if len(s.pieces) == 0 {
		return out, nil
	}
	r, err := s.rasterise(opt)
	if err != nil {
		return nil, err
	}
	for i, c := range cutoffs {
		out[i].Polygon, out[i].Area = s.iso.trace(r, c)
	}
	return out, nil
}

// raster is the geometry of the isochrone grid: cell (i, j) spans
// [ox + i·cell, ox + (i+1)·cell] × [oy + j·cell, oy + (j+1)·cell].
type raster struct {
	ox, oy, cell float64
	nx, ny       int
}

// rasterise fills s.iso.val with, per cell, the least network distance within the
// tolerance of the cell centre (+Inf when no reached piece is that near).
func (s *Searcher) rasterise(opt IsochroneOptions) (raster, error) {
	g := s.g
	cs, rad := opt.CellSize, opt.Tolerance
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, p := range s.pieces {
		b = g.extendPiece(b, p)
	}
	// One empty cell of margin on every side, so every ring lies inside the grid.
	i0 := math.Floor((b.Min[0]-rad)/cs) - 1
	j0 := math.Floor((b.Min[1]-rad)/cs) - 1
	i1 := math.Floor((b.Max[0]+rad)/cs) + 1
	j1 := math.Floor((b.Max[1]+rad)/cs) + 1
	if (i1-i0+1)*(j1-j0+1) > float64(opt.MaxCells) {
		return raster{}, fmt.Errorf("%w: %v × %v cells of %v m exceed %d", ErrTooLarge, i1-i0+1, j1-j0+1, cs, opt.MaxCells)
	}
	r := raster{ox: i0 * cs, oy: j0 * cs, cell: cs, nx: int(i1-i0) + 1, ny: int(j1-j0) + 1}
	val := grow(s.iso.val, r.nx*r.ny)
	for i := range val {
		val[i] = math.Inf(1)
	}
	s.iso.val = val

	r2 := rad * rad
	for _, p := range s.pieces {
		e := p.edge
		ev := s.edgeView(e)
		scale := g.edgeLen[e] / g.geomLen[e] // planar position → offset
		p0, p1 := g.geomPos(e, p.from), g.geomPos(e, p.to)
		for k := int(g.ptStart[e]); k < int(g.ptStart[e+1])-1; k++ {
			s0, s1 := max(g.cum[k], p0), min(g.cum[k+1], p1)
			if s1 <= s0 {
				continue
			}
			a, _ := g.pointAtPos(e, s0)
			bb, _ := g.pointAtPos(e, s1)
			ux, uy := bb[0]-a[0], bb[1]-a[1]
			sl := math.Hypot(ux, uy)
			if sl == 0 {
				continue
			}
			ux, uy = ux/sl, uy/sl
			posPerT := (s1 - s0) / sl
			ci0 := max(int(math.Floor((min(a[0], bb[0])-rad-r.ox)/cs-0.5)), 0)
			ci1 := min(int(math.Ceil((max(a[0], bb[0])+rad-r.ox)/cs-0.5)), r.nx-1)
			cj0 := max(int(math.Floor((min(a[1], bb[1])-rad-r.oy)/cs-0.5)), 0)
			cj1 := min(int(math.Ceil((max(a[1], bb[1])+rad-r.oy)/cs-0.5)), r.ny-1)
			for j := cj0; j <= cj1; j++ {
				wy := r.oy + (float64(j)+0.5)*cs - a[1]
				row := val[j*r.nx : (j+1)*r.nx]
				for i := ci0; i <= ci1; i++ {
					wx := r.ox + (float64(i)+0.5)*cs - a[0]
					t0 := wx*ux + wy*uy
					h := wx*uy - wy*ux // signed distance from the segment's line
					h2 := h * h
					if h2 > r2 {
						continue
					}
					half := math.Sqrt(r2 - h2)
					ta, tb := max(0, t0-half), min(sl, t0+half)
					if ta > tb {
						continue
					}
					x1 := (s0 + ta*posPerT) * scale
					x2 := (s0 + tb*posPerT) * scale
					if d := ev.minDist(x1, x2); d < row[i] {
						row[i] = d
					}
				}
			}
		}
	}
	return r, nil
}

// extendPiece extends b by the geometry of piece p.
func (g *Graph) extendPiece(b orb.Bound, p piece) orb.Bound {
	p0, p1 := g.geomPos(p.edge, p.from), g.geomPos(p.edge, p.to)
	a, ka := g.pointAtPos(p.edge, p0)
	z, kb := g.pointAtPos(p.edge, p1)
	b = b.Extend(a).Extend(z)
	for k := ka + 1; k <= kb; k++ {
		if g.cum[k] > p0 && g.cum[k] < p1 {
			b = b.Extend(g.pts[k])
		}
	}
	return b
}

// grow returns buf resliced to n elements, reallocating only when it is too small.
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}
