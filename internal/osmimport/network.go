package osmimport

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
)

// Walkable highway values: streets and paths a pedestrian may use (docs/osm-mapping.md).
var walkableHighways = set("footway", "path", "pedestrian", "steps", "corridor", "living_street",
	"residential", "service", "unclassified", "road", "track", "cycleway", "bridleway",
	"tertiary", "tertiary_link", "secondary", "secondary_link", "primary", "primary_link")

// Barrier highway values: roads a pedestrian may not walk along or across, unless
// foot=yes/designated/permissive.
var barrierHighways = set("motorway", "motorway_link", "trunk", "trunk_link")

// Barrier railways and waterways, on the surface (bridge or tunnel ones are not barriers).
var barrierRailways = set("rail", "light_rail", "narrow_gauge", "subway", "monorail")
var barrierWaterways = set("river", "canal")

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func yes(v string) bool { return v != "" && v != "no" && v != "0" && v != "false" }

// edgeClass classifies a way for the network: its class (the highway column: the highway
// value, or railway_<v> / waterway_<v> for barriers), whether it is walkable, and ok false
// when the way is not part of the network.
func edgeClass(t osm.Tags) (class string, walkable, ok bool) {
	if t.Find("area") == "yes" {
		return "", false, false
	}
	foot := t.Find("foot")
	footOK := foot == "yes" || foot == "designated" || foot == "permissive"
	if h := t.Find("highway"); h != "" {
		switch {
		case walkableHighways[h]:
			access := t.Find("access")
			walk := !(foot == "no" || ((access == "no" || access == "private") && !footOK))
			return h, walk, true
		case barrierHighways[h]:
			return h, footOK, true
		}
		return "", false, false
	}
	surface := !yes(t.Find("bridge")) && !yes(t.Find("tunnel"))
	if r := t.Find("railway"); barrierRailways[r] && surface {
		return "railway_" + r, false, true
	}
	if w := t.Find("waterway"); barrierWaterways[w] && surface {
		return "waterway_" + w, false, true
	}
	return "", false, false
}

// edge is one piece of a way between split nodes.
type edge struct {
	WayID          osm.WayID
	Class, Name    string
	Walkable       bool
	Bridge, Tunnel bool
	Source, Target osm.NodeID
	Geom           orb.LineString
}

// networkWays returns the ways that are part of the network.
func (d *data) networkWays() []*way {
	var out []*way
	for _, w := range d.ways {
		if _, _, ok := edgeClass(w.Tags); ok {
			out = append(out, w)
		}
	}
	return out
}

// splitEdges splits every network way at each node that another network way (or the same
// way a second time) also uses, so edges meet only at their ends. A way with nodes
// outside the extract is cut into the runs of nodes inside it. Consecutive duplicate
// positions are dropped; a piece with no length left is counted in zeroLength.
func (d *data) splitEdges(ways []*way) (edges []edge, zeroLength int) {
	uses := map[osm.NodeID]int{}
	for _, w := range ways {
		for _, n := range w.Nodes {
			uses[n]++
		}
	}
	for _, w := range ways {
		class, walk, _ := edgeClass(w.Tags)
		base := edge{WayID: w.ID, Class: class, Walkable: walk, Name: w.Tags.Find("name"),
			Bridge: yes(w.Tags.Find("bridge")), Tunnel: yes(w.Tags.Find("tunnel"))}
		var run []osm.NodeID
		flush := func() {
			if len(run) >= 2 {
				e := base
				e.Source, e.Target = run[0], run[len(run)-1]
				for _, id := range run {
					p := d.coords[id]
					if len(e.Geom) == 0 || e.Geom[len(e.Geom)-1] != p {
						e.Geom = append(e.Geom, p)
					}
				}
				if len(e.Geom) < 2 {
					zeroLength++
				} else {
					edges = append(edges, e)
				}
			}
			run = nil
		}
		for i, id := range w.Nodes {
			if _, ok := d.coords[id]; !ok {
				flush()
				continue
			}
			run = append(run, id)
			if i > 0 && i < len(w.Nodes)-1 && uses[id] > 1 && len(run) > 1 {
				flush()
				run = append(run, id)
			}
		}
		flush()
	}
	return edges, zeroLength
}
