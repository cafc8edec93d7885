package walk

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// DefaultMaxSnap is the default largest access leg in metres: a point farther than this
// from every walkable edge is unattached.
const DefaultMaxSnap = 200.0

// Network is the immutable walking graph of one city at one data version, with its
// attachment index and connected components: the city's shared graph (internal/walkgraph,
// the one park coverage's network method walks too) seen by the living circle. It is
// safe for concurrent use.
type Network struct {
	City  City
	Graph *network.Graph
	Index *network.Index
	// Components labels the connected components (component 0 is the largest).
	Components network.Components
	// Version is the network_edges change detector the graph was loaded at ("" for a
	// scenario network derived with With).
	Version string
	Stats   NetworkStats
	// Steps are the ids of the edges with steps (network_edges.steps), which a profile
	// without steps leaves out (Profile.NoSteps).
	Steps []int64

	// shared is the graph this network shows and graphs the cache it came from (nil for a
	// network built by NewNetwork): With derives a scenario's graph through it, once per
	// set of changes for every indicator.
	shared *walkgraph.Graph
	graphs *walkgraph.Cache

	searchers sync.Pool
}

// NetworkStats describes a loaded network.
type NetworkStats struct {
	Edges      int `json:"edges"`
	Nodes      int `json:"nodes"`
	Components int `json:"components"`
	// LargestComponentNodes is the node count of the largest connected component and
	// LargestComponentShare its share of all nodes.
	LargestComponentNodes int     `json:"largest_component_nodes"`
	LargestComponentShare float64 `json:"largest_component_share"`
	// IsolatedComponents counts components of fewer than 10 nodes: usually digitising
	// errors or footways cut off by a missing link.
	IsolatedComponents int        `json:"small_components"`
	Skipped            EdgeCounts `json:"skipped"`
	LoadMS             float64    `json:"load_ms"`
}

// Load reads the walkable edges of city cityID from PostGIS and builds its Network.
func Load(ctx context.Context, pool *pgxpool.Pool, cityID int) (*Network, error) {
	st := Store{Pool: pool}
	city, err := st.CityByID(ctx, cityID)
	if err != nil {
		return nil, err
	}
	return st.loadNetwork(ctx, city, nil)
}

// loadNetwork returns the network of city at the current version of its edges, the graph
// taken from graphs (built there from the edges read in s when graphs has none; a nil
// graphs keeps nothing).
//
// The version, the edges and the steps are read in one transaction (Store.readTx), so the
// graph is kept under the version of the edges it was built from, whichever node — the
// primary or a replica — they were read on.
func (s Store) loadNetwork(ctx context.Context, city City, graphs *walkgraph.Cache) (*Network, error) {
	var n *Network
	err := s.readTx(ctx, func(st Store) error {
		var err error
		n, err = st.loadNetworkIn(ctx, city, graphs)
		return err
	})
	return n, err
}

// loadNetworkIn is loadNetwork in the transaction of s.
func (s Store) loadNetworkIn(ctx context.Context, city City, graphs *walkgraph.Cache) (*Network, error) {
	t0 := time.Now()
	version, err := s.NetworkVersion(ctx, city.ID)
	if err != nil {
		return nil, err
	}
	counts, err := walkgraph.Skipped(ctx, s.db(), city.ID)
	if err != nil {
		return nil, err
	}
	g, err := graphs.Get(city.ID, version, func() ([]network.Edge, error) { return walkgraph.Edges(ctx, s.db(), city.ID, nil) })
	if err != nil {
		return nil, fmt.Errorf("walk: city %s: %w", city.Slug, err)
	}
	n := networkOf(city, g)
	n.graphs = graphs
	if n.Steps, err = s.StepEdges(ctx, city.ID); err != nil {
		return nil, err
	}
	n.Version = version
	n.Stats.Skipped = counts
	n.Stats.LoadMS = since(t0)
	return n, nil
}

// NewNetwork builds a Network from edges in the city's metric CRS.
func NewNetwork(city City, edges []network.Edge) (*Network, error) {
	g, err := walkgraph.Build(city.ID, "", edges)
	if err != nil {
		return nil, fmt.Errorf("walk: city %s: %w", city.Slug, err)
	}
	return networkOf(city, g), nil
}

// networkOf is the Network showing g.
func networkOf(city City, g *walkgraph.Graph) *Network {
	n := &Network{City: city, Graph: g.Graph, Index: g.Index, Components: g.Components, shared: g}
	n.Stats = NetworkStats{Edges: g.Graph.NumEdges(), Nodes: g.Graph.NumNodes(), Components: n.Components.Count()}
	if len(n.Components.Sizes) > 0 {
		n.Stats.LargestComponentNodes = n.Components.Sizes[0]
		n.Stats.LargestComponentShare = float64(n.Components.Sizes[0]) / float64(g.Graph.NumNodes())
	}
	for _, sz := range n.Components.Sizes {
		if sz < 10 {
			n.Stats.IsolatedComponents++
		}
	}
	return n
}

// With returns a new Network: n minus the closed edges plus the added ones (a scenario's
// footbridge or closed road). n is not modified. A network from the shared cache derives
// its graph there, so every indicator of one scenario walks the same graph.
func (n *Network) With(add []network.Edge, closed []int64) (*Network, error) {
	g, err := n.graphs.With(n.shared, add, closed)
	if err != nil {
		return nil, fmt.Errorf("walk: city %s: %w", n.City.Slug, err)
	}
	out := networkOf(n.City, g)
	out.graphs = n.graphs
	out.Stats.Skipped = n.Stats.Skipped
	gone := make(map[int64]bool, len(closed))
	for _, id := range closed {
		gone[id] = true
	}
	for _, id := range n.Steps {
		if !gone[id] {
			out.Steps = append(out.Steps, id)
		}
	}
	return out, nil
}

// ForProfile is the network a walker of profile p walks: for a profile that takes no steps
// (Profile.NoSteps), n less its steps edges (network_edges.steps), derived through the
// shared graph cache (internal/walkgraph) once per base graph, so the living circle and
// capacity of one profile walk the same graph; n itself for any other profile, or when n
// has no steps. Park coverage's network method removes the same edges from its snapshot
// (coverage.Options.NoSteps).
func (n *Network) ForProfile(p Profile) (*Network, error) {
	if !p.NoSteps || len(n.Steps) == 0 {
		return n, nil
	}
	return n.With(nil, n.Steps)
}

// Shared is the shared graph n shows (internal/walkgraph).
func (n *Network) Shared() *walkgraph.Graph { return n.shared }

// searcher borrows a Searcher for this graph; give it back with release.
func (n *Network) searcher() *network.Searcher {
	if s, ok := n.searchers.Get().(*network.Searcher); ok {
		return s
	}
	return network.NewSearcher(n.Graph)
}

func (n *Network) release(s *network.Searcher) { n.searchers.Put(s) }

// ComponentSize returns the node count of the connected component holding edge e.
func (n *Network) ComponentSize(e int32) int {
	src, _ := n.Graph.EdgeEnds(e)
	return n.Components.Sizes[n.Components.Of[src]]
}
