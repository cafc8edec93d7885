// Package walkgraph holds the one walking graph of a city per data version, shared by
// every indicator that walks: the living circle, isochrones and capacity (internal/walk)
// and the network method of park coverage (internal/coverage). A Graph is the immutable
// graph of internal/network built from the city's walkable network_edges, with its
// attachment index (how every point — a home, a facility, a park entrance — attaches to
// the network) and its connected components. A Cache builds it once per (city, version of
// network_edges) and hands the same value to every caller; a scenario's graph is derived
// from it once per set of edge changes, and the graph of an edit, which one indicator sees
// as changes and another as a new version, is expected under both keys and built once by
// whichever asks first (Expect).
//
// The version is citydata's version of the city's network_edges alone (VersionOf): a
// content hash, so the as-of state of a past edition with the same edges shares the
// current graph, and an edit of any edge gives a new graph. Edges are read by one query
// (Edges), in id order, so a graph built from a loader's rows and one rebuilt from edges
// kept in memory are the same graph.
package walkgraph
