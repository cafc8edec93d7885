package checks

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/walk"
)

// WalkSource is where NetworkReach finds a city's walking network and its residential
// parcels (their point on surface, where residents are taken to walk from). *walk.Service
// is one: its snapshots are cached and shared with the living-circle indicator.
type WalkSource interface {
	Network(ctx context.Context, city walk.City) (*walk.Network, error)
	Inputs(ctx context.Context, city walk.City) (*walk.Inputs, error)
}

// NetworkReach is the walking-network Reach, method "network". A facility serves a
// community when
//
//   - it lies inside the community polygon (boundary included), attached or not; or
//   - its walking distance to some point of the community is ≤ tier, where the points of a
//     community are the network nodes inside its polygon (boundary included) and the
//     attachment points of the residential parcels whose point on surface lies inside it.
//
// Walking distance follows internal/walk: facility access leg + network distance + the
// destination's access leg (0 for a node, the parcel's for a parcel). A point with no
// walkable edge within MaxSnap is unattached and walks nowhere. Edges with walkable =
// false (railways, motorways, water) are not in the graph, so a barrier lengthens the
// walk to the way around it. Communities and facilities come from the caller (a
// scenario's overlay included); the network and the parcels from Walk (under
// WithScenario, the scenario's).
type NetworkReach struct {
	Walk WalkSource
	// MaxSnap is the largest access leg in metres; 0 means walk.DefaultMaxSnap.
	MaxSnap float64
	// Workers is the number of concurrent searches; 0 means GOMAXPROCS.
	Workers int
}

// Method names the method in every report.
func (NetworkReach) Method() string { return "network" }

// ReachChooser is a Reach that depends on what a city has: For returns the Reach to use
// for city. The scorecard asks it before reporting the method, so the report names the
// method that really ran.
type ReachChooser interface {
	For(ctx context.Context, city City) (Reach, error)
}

// For returns r bound to the city's network and parcels, or BufferReach when the city has
// no walkable edge.
func (r NetworkReach) For(ctx context.Context, city City) (Reach, error) {
	n, homes, err := r.load(ctx, city)
	if err != nil {
		return nil, err
	}
	if n == nil || n.Graph.NumEdges() == 0 {
		return BufferReach{}, nil
	}
	return boundNetworkReach{r: r, n: n, homes: homes}, nil
}

// Reached implements Reach on the city's current network and parcels.
func (r NetworkReach) Reached(ctx context.Context, city City, cs []Community, sites []Facility, tier float64) ([][]int, error) {
	n, homes, err := r.load(ctx, city)
	if err != nil {
		return nil, err
	}
	return r.ReachedOn(ctx, n, homes, cs, sites, tier)
}

func (r NetworkReach) load(ctx context.Context, city City) (*walk.Network, []orb.Point, error) {
	if r.Walk == nil {
		return nil, nil, fmt.Errorf("checks: NetworkReach without a WalkSource")
	}
	wc := walk.City{ID: city.ID, Slug: city.Slug, Name: city.Name, MetricSRID: city.MetricSRID}
	n, err := r.Walk.Network(ctx, wc)
	if err != nil {
		return nil, nil, err
	}
	in, err := r.Walk.Inputs(ctx, wc)
	if err != nil {
		return nil, nil, err
	}
	homes := make([]orb.Point, len(in.Parcels))
	for i, p := range in.Parcels {
		homes[i] = p.Point
	}
	return n, homes, nil
}

// boundNetworkReach is a NetworkReach with the network and parcels For read.
type boundNetworkReach struct {
	r     NetworkReach
	n     *walk.Network
	homes []orb.Point
}

func (b boundNetworkReach) Method() string { return b.r.Method() }

func (b boundNetworkReach) Reached(ctx context.Context, _ City, cs []Community, sites []Facility, tier float64) ([][]int, error) {
	return b.r.ReachedOn(ctx, b.n, b.homes, cs, sites, tier)
}

// homeAt is a parcel attached to the network and one community containing its point.
type homeAt struct {
	at   network.Attachment
	comm int32
}

// ReachedOn is Reached on a given network n (nil: none) and parcel points homes, all in
// the city's metric CRS. It runs one search per attached facility with cutoff tier, one
// Searcher per worker, and maps the reached nodes to communities through a node →
// communities table built once with GEOS prepared point-in-polygon tests.
func (r NetworkReach) ReachedOn(ctx context.Context, n *walk.Network, homes []orb.Point, cs []Community, sites []Facility, tier float64) ([][]int, error) {
	if math.IsNaN(tier) || tier < 0 {
		return nil, fmt.Errorf("checks: tier %v m is not a distance", tier)
	}
	maxSnap := r.MaxSnap
	if maxSnap <= 0 {
		maxSnap = walk.DefaultMaxSnap
	}
	workers := r.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	loc := newLocator(cs)
	defer loc.destroy()

	// Facilities inside a community reach it whatever the network says.
	reachedBy := make([][]int32, len(sites)) // site → communities, ascending after the search
	for i, s := range sites {
		reachedBy[i] = loc.at(s.Geom.X(), s.Geom.Y(), nil)
	}
	out := make([][]int, len(cs))
	if n == nil || n.Graph.NumEdges() == 0 {
		return invert(out, reachedBy), nil
	}
	g := n.Graph

	// The node → communities table and the node → incident edges rows.
	nodeComms := make([][]int32, g.NumNodes())
	seen := make([]bool, g.NumNodes())
	rowLen := make([]int32, g.NumNodes()+1)
	for e := range int32(g.NumEdges()) {
		s, t := g.EdgeEnds(e)
		rowLen[s+1]++
		if t != s {
			rowLen[t+1]++
		}
		geom := g.EdgeGeom(e)
		for _, end := range [2]struct {
			node int32
			p    orb.Point
		}{{s, geom[0]}, {t, geom[len(geom)-1]}} {
			if !seen[end.node] {
				seen[end.node] = true
				nodeComms[end.node] = loc.at(end.p[0], end.p[1], nil)
			}
		}
	}
	for i := 1; i < len(rowLen); i++ {
		rowLen[i] += rowLen[i-1]
	}
	incident := make([]int32, rowLen[len(rowLen)-1])
	fill := make([]int32, g.NumNodes())
	for e := range int32(g.NumEdges()) {
		s, t := g.EdgeEnds(e)
		incident[rowLen[s]+fill[s]] = e
		fill[s]++
		if t != s {
			incident[rowLen[t]+fill[t]] = e
			fill[t]++
		}
	}

	// Parcels inside a community, attached, listed by edge.
	homesOn := map[int32][]homeAt{}
	var buf []int32
	for _, h := range homes {
		buf = loc.at(h[0], h[1], buf[:0])
		if len(buf) == 0 {
			continue
		}
		a, ok := n.Index.Attach(h, maxSnap)
		if !ok {
			continue
		}
		for _, c := range buf {
			homesOn[a.Edge] = append(homesOn[a.Edge], homeAt{at: a, comm: c})
		}
	}

	// Facilities attached.
	atts := make([]network.Attachment, len(sites))
	attached := make([]bool, len(sites))
	for i, s := range sites {
		atts[i], attached[i] = n.Index.Attach(orb.Point{s.Geom.X(), s.Geom.Y()}, maxSnap)
	}

	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		runErr  error
		next    = make(chan int)
	)
	for range min(workers, max(len(sites), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srch := network.NewSearcher(g)
			mark := make([]int32, len(cs))          // site index + 1 that last marked the community
			edgeSeen := make([]int32, g.NumEdges()) // site index + 1 that last read the edge
			src := make([]network.Source, 1)
			for i := range next {
				stamp := int32(i + 1)
				got := reachedBy[i]
				for _, c := range got {
					mark[c] = stamp
				}
				add := func(c int32) {
					if mark[c] != stamp {
						mark[c] = stamp
						got = append(got, c)
					}
				}
				visit := func(e int32) {
					if edgeSeen[e] == stamp {
						return
					}
					edgeSeen[e] = stamp
					for _, h := range homesOn[e] {
						if mark[h.comm] == stamp {
							continue
						}
						if d, _ := srch.DistanceTo(h.at); d <= tier {
							add(h.comm)
						}
					}
				}
				src[0] = network.AtPoint(atts[i])
				if err := srch.Run(src, tier); err != nil {
					errOnce.Do(func() { runErr = fmt.Errorf("checks: facility %d: %w", sites[i].ID, err) })
					continue
				}
				visit(atts[i].Edge) // parcels on the facility's own edge, walked along it
				for _, nd := range srch.Reached() {
					for _, c := range nodeComms[nd] {
						add(c)
					}
					for _, e := range incident[rowLen[nd]:rowLen[nd+1]] {
						visit(e)
					}
				}
				reachedBy[i] = got
			}
		}()
	}
	for i := range sites {
		if ctx.Err() != nil {
			break
		}
		if attached[i] {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if runErr != nil {
		return nil, runErr
	}
	return invert(out, reachedBy), nil
}

// invert turns site → communities into community → ascending site indices.
func invert(out [][]int, reachedBy [][]int32) [][]int {
	for i, comms := range reachedBy {
		for _, c := range comms {
			out[c] = append(out[c], i)
		}
	}
	return out
}

// locator finds the communities containing a point: a uniform grid over the community
// bounding boxes, then a GEOS prepared intersects test (boundary included). GEOS calls
// are made from one goroutine.
type locator struct {
	cell  float64
	grid  map[[2]int][]int32
	prep  []*geos.PrepGeom
	boxes []*geos.Box2D
}

func newLocator(cs []Community) *locator {
	l := &locator{cell: 500, grid: map[[2]int][]int32{}}
	for ci, c := range cs {
		l.prep = append(l.prep, c.Geom.Prepare())
		b := c.Geom.Bounds()
		l.boxes = append(l.boxes, b)
		for gx := l.key(b.MinX); gx <= l.key(b.MaxX); gx++ {
			for gy := l.key(b.MinY); gy <= l.key(b.MaxY); gy++ {
				l.grid[[2]int{gx, gy}] = append(l.grid[[2]int{gx, gy}], int32(ci))
			}
		}
	}
	return l
}

func (l *locator) key(v float64) int { return int(math.Floor(v / l.cell)) }

// at appends to dst the indices, ascending, of the communities containing (x, y).
//
// It builds a point rather than calling PrepGeom.IntersectsXY: go-geos stubs the XY
// predicates to false when built against GEOS < 3.12 (Debian bookworm ships 3.11).
func (l *locator) at(x, y float64, dst []int32) []int32 {
	var pt *geos.Geom
	for _, ci := range l.grid[[2]int{l.key(x), l.key(y)}] {
		b := l.boxes[ci]
		if x < b.MinX || x > b.MaxX || y < b.MinY || y > b.MaxY {
			continue
		}
		if pt == nil {
			pt = geos.NewPointFromXY(x, y)
			defer pt.Destroy()
		}
		if l.prep[ci].Intersects(pt) {
			dst = append(dst, ci)
		}
	}
	return dst
}

func (l *locator) destroy() {
	for _, p := range l.prep {
		p.Destroy()
	}
}

// reachFor picks the scorecard's Reach for city: s.Reach, or when it is nil a NetworkReach
// over a walk.Service of s.Store's pool (uncached between calls: a long-lived caller sets
// Reach to a NetworkReach over its shared walk.Service). A ReachChooser picks per city, so
// a city without a walkable network is scored by BufferReach and reported as "buffer".
func (s *Service) reachFor(ctx context.Context, city City) (Reach, error) {
	r := s.Reach
	if r == nil {
		if s.Store == nil || s.Store.Pool == nil {
			return BufferReach{}, nil
		}
		r = NetworkReach{Walk: walk.NewService(s.Store.Pool, nil)}
	}
	r = withWalk(ctx, r)
	if c, ok := r.(ReachChooser); ok {
		return c.For(ctx, city)
	}
	return r, nil
}
