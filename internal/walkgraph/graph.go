package walkgraph

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/cityreach/cityreach/internal/network"
)

// Graph is the walking graph of one city at one version of its network_edges (or a
// scenario's derivation of it). It is immutable and safe for concurrent use.
type Graph struct {
	CityID int
	// Version is the network_edges version the graph was built at (VersionOf); a
	// scenario's graph has its base's version followed by "+" and the digest of its edge
	// changes.
	Version    string
	Graph      *network.Graph
	Index      *network.Index
	Components network.Components
}

// Build returns the graph of edges (walkable edges in the city's metric CRS, with
// topology), its attachment index and its components.
func Build(cityID int, version string, edges []network.Edge) (*Graph, error) {
	g, err := network.NewGraph(edges)
	if err != nil {
		return nil, fmt.Errorf("walking graph of city %d: %w", cityID, err)
	}
	return &Graph{CityID: cityID, Version: version, Graph: g, Index: network.NewIndex(g, 0), Components: g.Components()}, nil
}

// Edges returns the graph's edges in edge-index order (the order they were built from),
// as network.Edge values whose geometries are views into the graph: never modify them.
func (g *Graph) Edges() []network.Edge {
	out := make([]network.Edge, g.Graph.NumEdges())
	for e := range out {
		out[e] = g.Graph.Edge(int32(e))
	}
	return out
}

// changed returns g's edges minus the closed ids plus add: in id order when g's edges are
// (a loaded graph's are), so that a graph derived by the changes an edit made is the
// graph a fresh load after the edit gives, edge for edge; else add follows g's edges.
func (g *Graph) changed(add []network.Edge, closed []int64) []network.Edge {
	gone := make(map[int64]bool, len(closed))
	for _, id := range closed {
		gone[id] = true
	}
	edges := make([]network.Edge, 0, g.Graph.NumEdges()+len(add))
	for e := range int32(g.Graph.NumEdges()) {
		if !gone[g.Graph.EdgeID(e)] {
			edges = append(edges, g.Graph.Edge(e)) // views; NewGraph copies them
		}
	}
	sorted := slices.IsSortedFunc(edges, byID)
	edges = append(edges, add...)
	if sorted {
		slices.SortStableFunc(edges, byID)
	}
	return edges
}

func byID(a, b network.Edge) int { return cmp.Compare(a.ID, b.ID) }
