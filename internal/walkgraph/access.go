package walkgraph

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	geos "github.com/twpayne/go-geos"
)

// ParkSnapM is how far a walkable edge may pass from the boundary of a park without a
// crossing and still give the park an access point (ParkAccessPoints).
const ParkSnapM = 20.0

// ParkAccessPoints is the one rule, shared by park coverage (internal/coverage) and the
// living circle (internal/walk), for the access points of a park without recorded
// entrances, given the walkable edges near it (at least every edge within ParkSnapM of
// it; others are ignored):
//
//   - every point where an edge crosses or touches the park's boundary (for a stretch
//     where an edge runs along the boundary, the stretch's vertices), one per distinct
//     position: a street or path going into the park enters it there;
//   - when no edge crosses the boundary, for every edge within ParkSnapM of the park the
//     point of the park nearest to that edge: a park fronted by a street (whose centre
//     line lies a few metres off the park's edge) is entered from it, and the caller
//     attaches the point to the nearest walkable edge and walks the leg (≤ ParkSnapM).
//
// A park with neither has no access point: nothing walkable comes within ParkSnapM of it.
// The points are in the park's CRS, sorted by x then y.
func ParkAccessPoints(c *geos.Context, park orb.MultiPolygon, edges []orb.LineString) ([]orb.Point, error) {
	if len(park) == 0 || len(edges) == 0 {
		return nil, nil
	}
	pb, err := wkb.Marshal(park)
	if err != nil {
		return nil, fmt.Errorf("park access points: %w", err)
	}
	pg, err := c.NewGeomFromWKB(pb)
	if err != nil {
		return nil, fmt.Errorf("park access points: %w", err)
	}
	bd := pg.Boundary()
	prepBd := bd.Prepare()
	prep := pg.Prepare()
	var crossings, near []orb.Point
	for _, e := range edges {
		if len(e) < 2 {
			continue
		}
		cs := make([][]float64, len(e))
		for j, p := range e {
			cs[j] = []float64{p[0], p[1]}
		}
		lg := c.NewLineString(cs)
		if !prep.DistanceWithin(lg, ParkSnapM) {
			continue
		}
		if prepBd.Intersects(lg) {
			pts, err := points(bd.Intersection(lg))
			if err != nil {
				return nil, err
			}
			crossings = append(crossings, pts...)
			continue
		}
		if len(crossings) > 0 {
			continue
		}
		if np := pg.NearestPoints(lg); len(np) == 2 { // [point of the park, point of the edge]
			near = append(near, orb.Point{np[0][0], np[0][1]})
		}
	}
	out := crossings
	if len(out) == 0 {
		out = near
	}
	slices.SortFunc(out, func(a, b orb.Point) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	return slices.Compact(out), nil
}

// points returns the vertices of g (a point, line or collection of them).
func points(g *geos.Geom) ([]orb.Point, error) {
	if g.IsEmpty() {
		return nil, nil
	}
	o, err := wkb.Unmarshal(g.ToWKB())
	if err != nil {
		return nil, fmt.Errorf("park access points: %w", err)
	}
	var out []orb.Point
	var walk func(orb.Geometry)
	walk = func(o orb.Geometry) {
		switch v := o.(type) {
		case orb.Point:
			out = append(out, v)
		case orb.MultiPoint:
			out = append(out, v...)
		case orb.LineString:
			out = append(out, v...)
		case orb.MultiLineString:
			for _, l := range v {
				out = append(out, l...)
			}
		case orb.Collection:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(o)
	return out, nil
}
