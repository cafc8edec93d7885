package network

// heapItem is a tentative distance of a node in the Dijkstra queue.
type heapItem struct {
	d float64
	n int32
}

// minHeap is a binary min-heap on d with lazy deletion: a node may be pushed again with a
// smaller distance and its stale entries are skipped when popped. It keeps its backing
// array between searches, so a warmed-up Searcher allocates nothing.
type minHeap []heapItem

func (h *minHeap) push(it heapItem) {
	s := append(*h, it)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].d <= it.d {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = it
	*h = s
}

func (h *minHeap) pop() heapItem {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	n := len(s)
	if n > 0 {
		i := 0
		for {
			c := 2*i + 1
			if c >= n {
				break
			}
			if c+1 < n && s[c+1].d < s[c].d {
				c++
			}
			if last.d <= s[c].d {
				break
			}
			s[i] = s[c]
			i = c
		}
		s[i] = last
	}
	*h = s
	return top
}
