package network

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Segment is a reached piece of one edge: every point of it is within the cutoff.
type Segment struct {
	// Edge is the edge index.
	Edge int32
	// From and To are offsets in metres along the edge from its Source, in units of the
	// edge's Length, with From < To.
	From, To float64
	// DistFrom and DistTo are the network distances in metres at From and To.
	DistFrom, DistTo float64
	// Geom is the edge geometry between From and To, interpolated at both ends, in the
	// direction Source to Target.
	Geom orb.LineString
}

// piece is a Segment without geometry, used internally so that rasterising allocates
// nothing.
type piece struct {
	edge     int32
	from, to float64
}

// Segments appends to dst every maximal edge piece whose points all have a network
// distance <= c metres, for c no larger than the cutoff of the last Run, and returns the
// extended slice. The distance at offset x of an edge of Length L with end distances
// dA, dB is min(dA + x, dB + (L - x), Cost_s + Access_s + |x - Offset_s|) over the sources
// s attached to that edge, so an edge reached from both ends with a gap in the middle
// gives two pieces, and an edge holding a source is reached around it even when neither
// end is. Pieces of zero length (a node reached at exactly c) are omitted. Access legs are
// not network and are not returned. Pieces come in reached-node order, each edge's pieces
// by increasing offset.
func (s *Searcher) Segments(c float64, dst []Segment) ([]Segment, error) {
	if err := s.checkCutoff(c); err != nil {
		return dst, err
	}
	s.pieces = s.appendPieces(c, s.pieces[:0])
	for _, p := range s.pieces {
		dst = append(dst, Segment{
			Edge:     p.edge,
			From:     p.from,
			To:       p.to,
			DistFrom: s.distAt(p.edge, p.from),
			DistTo:   s.distAt(p.edge, p.to),
			Geom:     s.g.cut(p.edge, p.from, p.to),
		})
	}
	return dst, nil
}

func (s *Searcher) checkCutoff(c float64) error {
	if s.cutoff < 0 {
		return fmt.Errorf("%w: no search has run", ErrCutoff)
	}
	if math.IsNaN(c) || c < 0 || c > s.cutoff {
		return fmt.Errorf("%w: %v m outside [0, %v] of the last search", ErrCutoff, c, s.cutoff)
	}
	return nil
}

// appendPieces appends the reached pieces for cutoff c. Each edge is visited once: from
// its Source when the Source is reached, else from its Target; edges holding a source
// whose ends are both beyond c are added last.
func (s *Searcher) appendPieces(c float64, dst []piece) []piece {
	g := s.g
	for _, u := range s.ReachedWithin(c) {
		for _, h := range g.adj[g.adjStart[u]:g.adjStart[u+1]] {
			e := h.edge
			if a := g.edgeSrc[e]; a == u || s.dist[a] > c {
				dst = s.appendEdgePieces(e, c, dst)
			}
		}
	}
	for k, es := range s.onEdge {
		e := es.edge
		if k > 0 && s.onEdge[k-1].edge == e {
			continue
		}
		if s.dist[g.edgeSrc[e]] > c && s.dist[g.edgeTgt[e]] > c {
			dst = s.appendEdgePieces(e, c, dst)
		}
	}
	return dst
}

// appendEdgePieces appends the pieces of edge e within c: the union of the interval
// reached from each end and the interval around each source on the edge.
func (s *Searcher) appendEdgePieces(e int32, c float64, dst []piece) []piece {
	g := s.g
	L := g.edgeLen[e]
	// At most two end intervals plus one per source; sources on one edge are few, so
	// intervals are merged by repeated minimum selection without a buffer.
	var ivs [2][2]float64
	n := 0
	if da := s.dist[g.edgeSrc[e]]; da <= c {
		ivs[n] = [2]float64{0, min(L, c-da)}
		n++
	}
	if db := s.dist[g.edgeTgt[e]]; db <= c {
		ivs[n] = [2]float64{max(0, L-(c-db)), L}
		n++
	}
	srcs := s.sourcesOn(e)
	interval := func(k int) (float64, float64, bool) {
		if k < n {
			return ivs[k][0], ivs[k][1], true
		}
		src := &s.sources[srcs[k-n].src]
		r := c - (src.Cost + src.At.Access)
		if r < 0 {
			return 0, 0, false
		}
		return max(0, src.At.Offset-r), min(L, src.At.Offset+r), true
	}
	total := n + len(srcs)
	// Sweep the intervals in order of start, merging overlaps.
	pos := math.Inf(-1) // everything below pos has been emitted
	for {
		lo, hi, found := math.Inf(1), 0.0, false
		for k := range total {
			a, b, ok := interval(k)
			if !ok || b <= pos {
				continue
			}
			a = max(a, pos)
			if a < lo || (a == lo && b > hi) {
				lo, hi, found = a, b, true
			}
		}
		if !found {
			return dst
		}
		// Extend hi over every interval that starts inside [lo, hi].
		for grown := true; grown; {
			grown = false
			for k := range total {
				a, b, ok := interval(k)
				if ok && a <= hi && b > hi {
					hi, grown = b, true
				}
			}
		}
		if hi > lo {
			dst = append(dst, piece{edge: e, from: lo, to: hi})
		}
		pos = hi
		if hi >= L {
			return dst
		}
	}
}

// distAt returns the network distance in metres at offset x along edge e.
func (s *Searcher) distAt(e int32, x float64) float64 {
	v := s.edgeView(e)
	return v.minDist(x, x)
}

// edgeDist is what the distance along one edge depends on: its end distances, its
// Length and the sources attached to it.
type edgeDist struct {
	s      *Searcher
	da, db float64
	length float64
	srcs   []edgeSource
}

func (s *Searcher) edgeView(e int32) edgeDist {
	g := s.g
	return edgeDist{s: s, da: s.dist[g.edgeSrc[e]], db: s.dist[g.edgeTgt[e]], length: g.edgeLen[e], srcs: s.sourcesOn(e)}
}

// minDist returns the least network distance over offsets [x1, x2] of the edge. The
// distance is a minimum of two linear functions of the offset and one V per source on
// the edge, so the least value is at an interval end or at a source offset.
func (v *edgeDist) minDist(x1, x2 float64) float64 {
	d := min(v.da+x1, v.db+(v.length-x2))
	for _, es := range v.srcs {
		src := &v.s.sources[es.src]
		o := src.At.Offset
		gap := 0.0
		if o < x1 {
			gap = x1 - o
		} else if o > x2 {
			gap = o - x2
		}
		d = min(d, src.Cost+src.At.Access+gap)
	}
	return d
}
