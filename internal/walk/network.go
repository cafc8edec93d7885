package walk

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/network"
)

// DefaultMaxSnap is the default largest access leg in metres: a point farther than this
// from every walkable edge is unattached.
const DefaultMaxSnap = 200.0

// Network is the immutable walking graph of one city at one data version, with its
// attachment index and connected components. It is safe for concurrent use.
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
	return st.loadNetwork(ctx, city)
}

func (s Store) loadNetwork(ctx context.Context, city City) (*Network, error) {
	t0 := time.Now()
	// The version is read first: an edit committed during the load changes it again, so
	// the next check reloads rather than keeping a graph newer than its version says.
	version, err := s.NetworkVersion(ctx, city.ID)
	if err != nil {
		return nil, err
	}
	edges, counts, err := s.Edges(ctx, city.ID)
	if err != nil {
		return nil, err
	}
	n, err := NewNetwork(city, edges)
	if err != nil {
		return nil, err
	}
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
	g, err := network.NewGraph(edges)
	if err != nil {
		return nil, fmt.Errorf("walk: city %s: %w", city.Slug, err)
	}
	n := &Network{City: city, Graph: g, Index: network.NewIndex(g, 0), Components: g.Components()}
	n.Stats = NetworkStats{Edges: g.NumEdges(), Nodes: g.NumNodes(), Components: n.Components.Count()}
	if len(n.Components.Sizes) > 0 {
		n.Stats.LargestComponentNodes = n.Components.Sizes[0]
		n.Stats.LargestComponentShare = float64(n.Components.Sizes[0]) / float64(g.NumNodes())
	}
	for _, sz := range n.Components.Sizes {
		if sz < 10 {
			n.Stats.IsolatedComponents++
		}
	}
	return n, nil
}

// With returns a new Network: n minus the closed edges plus the added ones (a scenario's
// footbridge or closed road). n is not modified.
func (n *Network) With(add []network.Edge, closed []int64) (*Network, error) {
	gone := make(map[int64]bool, len(closed))
	for _, id := range closed {
		gone[id] = true
	}
	edges := make([]network.Edge, 0, n.Graph.NumEdges()+len(add))
	for e := range int32(n.Graph.NumEdges()) {
		if !gone[n.Graph.EdgeID(e)] {
			edges = append(edges, n.Graph.Edge(e)) // geometry views; NewGraph copies them
		}
	}
	out, err := NewNetwork(n.City, append(edges, add...))
	if err != nil {
		return nil, err
	}
	out.Stats.Skipped = n.Stats.Skipped
	for _, id := range n.Steps {
		if !gone[id] {
			out.Steps = append(out.Steps, id)
		}
	}
	return out, nil
}

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
