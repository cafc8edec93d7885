package network

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// isoWork holds the reusable buffers of the isochrone raster and its tracing.
type isoWork struct {
	val    []float64 // per cell: least network distance within the tolerance
	mask   []bool    // per cell: inside the current cutoff
	comp   []int32   // per cell: 4-connected component id of inside cells
	out    []uint8   // per cell corner: directions of unused boundary edges leaving it
	onPath []int32   // per cell corner: 1 + position on the current walk, 0 when off it
	path   []int32   // corners of the current walk
	dirs   []uint8   // dirs[k]: direction from path[k] to the next corner
	stack  []int32   // flood-fill stack
	shells []int32   // per component: polygon index of its outer ring, -1 before it is seen
}

// Boundary edge directions; each is the left turn of the one before.
const (
	dirE uint8 = 1 << iota
	dirN
	dirW
	dirS
)

func leftOf(d uint8) uint8 {
	if d == dirS {
		return dirE
	}
	return d << 1
}

// ring is one closed boundary loop found by trace.
type ring struct {
	comp  int32
	shell bool
	pts   orb.Ring
}

// trace turns the cells whose value is <= c into a MultiPolygon and returns it with its
// area in m².
//
// Every boundary edge between an inside and an outside cell is directed with the inside
// on its left, which makes outer rings counter-clockwise and holes clockwise. Edges are
// chained corner to corner; at a corner where two inside cells meet only diagonally the
// walk turns left, hugging the cell it came along, and a walk that comes back to a corner
// it already passed is cut there into a closed loop. Loops are therefore simple; they can
// touch at a corner but never cross. Inside cells are grouped into 4-connected components:
// each component has one counter-clockwise loop (its shell) and its clockwise loops are
// its holes.
func (w *isoWork) trace(r raster, c float64) (orb.MultiPolygon, float64) {
	nx, ny := r.nx, r.ny
	nCells := nx * ny
	w.mask = grow(w.mask, nCells)
	count := 0
	for i, v := range w.val[:nCells] {
		w.mask[i] = v <= c
		if w.mask[i] {
			count++
		}
	}
	mp := orb.MultiPolygon{}
	if count == 0 {
		return mp, 0
	}
	nComp := w.label(nx, ny)

	// Boundary edges, as outgoing direction bits on cell corners (nx+1 per corner row).
	vx := nx + 1
	w.out = grow(w.out, vx*(ny+1))
	clear(w.out)
	inside := func(i, j int) bool { return i >= 0 && j >= 0 && i < nx && j < ny && w.mask[j*nx+i] }
	for j := range ny {
		for i := range nx {
			if !w.mask[j*nx+i] {
				continue
			}
			if !inside(i, j-1) {
				w.out[j*vx+i] |= dirE // bottom side, west to east
			}
			if !inside(i+1, j) {
				w.out[j*vx+i+1] |= dirN // right side, south to north
			}
			if !inside(i, j+1) {
				w.out[(j+1)*vx+i+1] |= dirW // top side, east to west
			}
			if !inside(i-1, j) {
				w.out[(j+1)*vx+i] |= dirS // left side, north to south
			}
		}
	}

	var rings []ring
	w.onPath = grow(w.onPath, vx*(ny+1))
	clear(w.onPath)
	step := [16]int{dirE: 1, dirN: vx, dirW: -1, dirS: -vx}
	for start := range w.out {
		if w.out[start] == 0 {
			continue
		}
		cur := int32(start)
		var in uint8
		w.path = append(w.path[:0], cur)
		w.dirs = w.dirs[:0]
		w.onPath[cur] = 1
		for {
			bits := w.out[cur]
			if bits == 0 {
				break
			}
			d := bits & -bits // lowest set bit
			if bits != d && in != 0 && bits&leftOf(in) != 0 {
				d = leftOf(in)
			}
			w.out[cur] &^= d
			w.dirs = append(w.dirs, d)
			next := cur + int32(step[d])
			if p := w.onPath[next]; p != 0 {
				rings = append(rings, w.loop(r, int(p-1)))
				for _, q := range w.path[p:] {
					w.onPath[q] = 0
				}
				w.path = w.path[:p]
				w.dirs = w.dirs[:p-1]
			} else {
				w.path = append(w.path, next)
				w.onPath[next] = int32(len(w.path))
			}
			cur, in = next, d
		}
		for _, q := range w.path {
			w.onPath[q] = 0
		}
	}

	// One polygon per component, shells first, then holes.
	w.shells = grow(w.shells, nComp)
	for i := range w.shells {
		w.shells[i] = -1
	}
	multi := false
	for _, rg := range rings {
		if !rg.shell {
			continue
		}
		if w.shells[rg.comp] >= 0 {
			multi = true
		}
		w.shells[rg.comp] = int32(len(mp))
		mp = append(mp, orb.Polygon{rg.pts})
	}
	for _, rg := range rings {
		if rg.shell {
			continue
		}
		k := w.shells[rg.comp]
		if multi {
			// Defensive: should a component ever have two shells, place the hole in
			// the one containing the midpoint of its first side, which lies on no
			// other loop.
			mid := orb.Point{(rg.pts[0][0] + rg.pts[1][0]) / 2, (rg.pts[0][1] + rg.pts[1][1]) / 2}
			for pi, poly := range mp {
				if planar.RingContains(poly[0], mid) {
					k = int32(pi)
					break
				}
			}
		}
		if k >= 0 {
			mp[k] = append(mp[k], rg.pts)
		}
	}
	return mp, float64(count) * r.cell * r.cell
}

// loop closes the walk from path[p] back to it as a ring, keeping only the corners where
// the direction changes.
func (w *isoWork) loop(r raster, p int) ring {
	vx := r.nx + 1
	path, dirs := w.path[p:], w.dirs[p:]
	n := len(path)
	pts := make(orb.Ring, 0, 8)
	var area2 int64 // twice the signed area in cell units
	for k := range n {
		v := path[k]
		i, j := int64(v)%int64(vx), int64(v)/int64(vx)
		nv := path[(k+1)%n]
		ni, nj := int64(nv)%int64(vx), int64(nv)/int64(vx)
		area2 += i*nj - ni*j
		if dirs[k] != dirs[(k+n-1)%n] {
			pts = append(pts, orb.Point{r.ox + float64(i)*r.cell, r.oy + float64(j)*r.cell})
		}
	}
	pts = append(pts, pts[0])

	// The inside cell on the left of the first side identifies the component.
	v := path[0]
	i, j := int(v)%vx, int(v)/vx
	switch dirs[0] {
	case dirN:
		i--
	case dirW:
		i, j = i-1, j-1
	case dirS:
		j--
	}
	return ring{comp: w.comp[j*r.nx+i], shell: area2 > 0, pts: pts}
}

// label numbers the 4-connected components of inside cells and returns their count.
func (w *isoWork) label(nx, ny int) int {
	n := nx * ny
	w.comp = grow(w.comp, n)
	for i := range w.comp {
		w.comp[i] = -1
	}
	next := int32(0)
	for startCell := range n {
		if !w.mask[startCell] || w.comp[startCell] >= 0 {
			continue
		}
		w.comp[startCell] = next
		w.stack = append(w.stack[:0], int32(startCell))
		for len(w.stack) > 0 {
			c := int(w.stack[len(w.stack)-1])
			w.stack = w.stack[:len(w.stack)-1]
			i, j := c%nx, c/nx
			for _, nb := range [4][2]int{{i - 1, j}, {i + 1, j}, {i, j - 1}, {i, j + 1}} {
				if nb[0] < 0 || nb[1] < 0 || nb[0] >= nx || nb[1] >= ny {
					continue
				}
				k := nb[1]*nx + nb[0]
				if w.mask[k] && w.comp[k] < 0 {
					w.comp[k] = next
					w.stack = append(w.stack, int32(k))
				}
			}
		}
		next++
	}
	return int(next)
}
