package osmimport

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/osm"
)

// area is a polygon feature assembled from a closed way or a multipolygon relation.
type area struct {
	Ref  string // "w123" or "r45"
	Tags osm.Tags
	Geom orb.MultiPolygon
}

// wayPolygon returns the polygon of a closed way, or why it has none.
func (d *data) wayPolygon(w *way) (orb.MultiPolygon, error) {
	if len(w.Nodes) < 4 || w.Nodes[0] != w.Nodes[len(w.Nodes)-1] {
		return nil, fmt.Errorf("way is not closed")
	}
	ring, missing := d.line(w.Nodes)
	if missing > 0 {
		return nil, fmt.Errorf("%d of %d nodes are outside the extract", missing, len(w.Nodes))
	}
	return orb.MultiPolygon{{orb.Ring(ring)}}, nil
}

// line returns the coordinates of the nodes present in the extract and how many are missing.
func (d *data) line(ids []osm.NodeID) ([]orb.Point, int) {
	pts := make([]orb.Point, 0, len(ids))
	missing := 0
	for _, id := range ids {
		p, ok := d.coords[id]
		if !ok {
			missing++
			continue
		}
		pts = append(pts, p)
	}
	return pts, missing
}

// relationPolygon assembles a multipolygon relation: member ways are joined end to end
// into closed rings; each inner ring becomes a hole of the smallest outer ring that
// contains it.
func (d *data) relationPolygon(r *relation) (orb.MultiPolygon, error) {
	var outer, inner [][]osm.NodeID
	for _, m := range r.Members {
		if m.Type != osm.TypeWay {
			continue
		}
		w, ok := d.wayByID[osm.WayID(m.Ref)]
		if !ok {
			return nil, fmt.Errorf("member way %d is outside the extract", m.Ref)
		}
		if m.Role == "inner" {
			inner = append(inner, w.Nodes)
		} else {
			outer = append(outer, w.Nodes)
		}
	}
	outRings, err := joinRings(outer)
	if err != nil {
		return nil, fmt.Errorf("outer: %w", err)
	}
	inRings, err := joinRings(inner)
	if err != nil {
		return nil, fmt.Errorf("inner: %w", err)
	}
	var mp orb.MultiPolygon
	for _, ids := range outRings {
		pts, missing := d.line(ids)
		if missing > 0 {
			return nil, fmt.Errorf("%d outer ring nodes are outside the extract", missing)
		}
		mp = append(mp, orb.Polygon{orb.Ring(pts)})
	}
	if len(mp) == 0 {
		return nil, fmt.Errorf("no outer ring")
	}
	for _, ids := range inRings {
		pts, missing := d.line(ids)
		if missing > 0 {
			return nil, fmt.Errorf("%d inner ring nodes are outside the extract", missing)
		}
		h := orb.Ring(pts)
		best, bestArea := -1, math.Inf(1)
		for i, p := range mp {
			if planar.RingContains(p[0], h[0]) {
				if a := math.Abs(planar.Area(p[0])); a < bestArea {
					best, bestArea = i, a
				}
			}
		}
		if best < 0 {
			return nil, fmt.Errorf("an inner ring lies in no outer ring")
		}
		mp[best] = append(mp[best], h)
	}
	return mp, nil
}

// joinRings joins node sequences that share end nodes into closed rings.
func joinRings(parts [][]osm.NodeID) ([][]osm.NodeID, error) {
	used := make([]bool, len(parts))
	var rings [][]osm.NodeID
	for i := range parts {
		if used[i] || len(parts[i]) == 0 {
			continue
		}
		used[i] = true
		ring := append([]osm.NodeID(nil), parts[i]...)
		for ring[0] != ring[len(ring)-1] {
			found := false
			for j := range parts {
				if used[j] || len(parts[j]) == 0 {
					continue
				}
				p := parts[j]
				switch end := ring[len(ring)-1]; {
				case p[0] == end:
					ring = append(ring, p[1:]...)
				case p[len(p)-1] == end:
					for k := len(p) - 2; k >= 0; k-- {
						ring = append(ring, p[k])
					}
				default:
					continue
				}
				used[j], found = true, true
				break
			}
			if !found {
				return nil, fmt.Errorf("ring starting at node %d is not closed", ring[0])
			}
		}
		if len(ring) < 4 {
			return nil, fmt.Errorf("ring at node %d has fewer than 4 nodes", ring[0])
		}
		rings = append(rings, ring)
	}
	return rings, nil
}

// areas returns every closed way and multipolygon relation whose tags pass keep, and
// reports the ones that pass but cannot be assembled.
func (d *data) areas(keep func(osm.Tags) bool, skip func(ref string, tags osm.Tags, reason string)) []area {
	var out []area
	for _, w := range d.ways {
		if !keep(w.Tags) {
			continue
		}
		g, err := d.wayPolygon(w)
		if err != nil {
			skip(fmt.Sprintf("w%d", w.ID), w.Tags, err.Error())
			continue
		}
		out = append(out, area{Ref: fmt.Sprintf("w%d", w.ID), Tags: w.Tags, Geom: g})
	}
	for _, r := range d.relations {
		if r.Tags.Find("type") != "multipolygon" || !keep(r.Tags) {
			continue
		}
		g, err := d.relationPolygon(r)
		if err != nil {
			skip(fmt.Sprintf("r%d", r.ID), r.Tags, err.Error())
			continue
		}
		out = append(out, area{Ref: fmt.Sprintf("r%d", r.ID), Tags: r.Tags, Geom: g})
	}
	return out
}
