package network

import "slices"

// Components describes the connected components of a Graph.
//
// Component ids run from 0 to len(Sizes)-1, ordered by decreasing size (ties by the
// smallest node index in the component), so component 0 is the largest.
type Components struct {
	// Sizes holds the number of nodes of each component.
	Sizes []int
	// Of holds the component id of each node index.
	Of []int32
}

// Count returns the number of connected components.
func (c Components) Count() int { return len(c.Sizes) }

// Components labels the connected components of the walking graph by breadth-first
// search over the CSR rows. It allocates O(NumNodes) memory and runs in O(nodes + edges).
// An empty graph has no components.
func (g *Graph) Components() Components {
	n := len(g.nodeIDs)
	of := make([]int32, n)
	for i := range of {
		of[i] = -1
	}
	var sizes []int
	queue := make([]int32, 0, 64)
	for start := range n {
		if of[start] >= 0 {
			continue
		}
		id := int32(len(sizes))
		of[start] = id
		queue = append(queue[:0], int32(start))
		for head := 0; head < len(queue); head++ {
			u := queue[head]
			for _, h := range g.adj[g.adjStart[u]:g.adjStart[u+1]] {
				if of[h.to] < 0 {
					of[h.to] = id
					queue = append(queue, h.to)
				}
			}
		}
		sizes = append(sizes, len(queue))
	}

	// Renumber by decreasing size; discovery order (smallest first node) breaks ties.
	order := make([]int32, len(sizes))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return sizes[b] - sizes[a] })
	rank := make([]int32, len(sizes))
	sorted := make([]int, len(sizes))
	for r, old := range order {
		rank[old] = int32(r)
		sorted[r] = sizes[old]
	}
	for i := range of {
		of[i] = rank[of[i]]
	}
	return Components{Sizes: sorted, Of: of}
}
