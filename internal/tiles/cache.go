package tiles

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// entry is one cached tile: the gzipped MVT (nil for an empty tile) and what eviction needs.
type entry struct {
	key     string
	sources []string
	env     Box // the tile's envelope grown by the clip buffer, EPSG:3857
	gz      []byte
	rawLen  int
	etag    string
	elem    *list.Element
}

func (e *entry) cost() int64 { return int64(len(e.gz) + len(e.key) + 200) }

// cache is the size-bounded LRU of rendered tiles with one generation counter per source.
// A render snapshots the generations of its sources before querying and stores its tile
// only if none moved meanwhile: an edit that committed while the tile was being rendered
// may be missing from it, and its notification may already have been processed.
type cache struct {
	mu    sync.Mutex
	max   int64
	used  int64
	ll    *list.List // front = most recently used
	byKey map[string]*entry
	gen   map[string]uint64
	epoch uint64 // bumped by reset: every generation moves at once

	hits, misses, evicted      atomic.Int64
	invalidations, invalidated atomic.Int64
}

func newCache(maxBytes int64) *cache {
	return &cache{max: maxBytes, ll: list.New(), byKey: map[string]*entry{}, gen: map[string]uint64{}}
}

func (c *cache) get(key string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.byKey[key]
	if e == nil {
		c.misses.Add(1)
		return nil
	}
	c.ll.MoveToFront(e.elem)
	c.hits.Add(1)
	return e
}

// generations is the snapshot a render compares against before storing.
type generations struct {
	epoch uint64
	gens  []uint64
}

func (c *cache) snapshot(sources []string) generations {
	c.mu.Lock()
	defer c.mu.Unlock()
	g := generations{epoch: c.epoch, gens: make([]uint64, len(sources))}
	for i, s := range sources {
		g.gens[i] = c.gen[s]
	}
	return g
}

// put stores e unless one of its sources changed since snap was taken; it reports whether
// e was stored.
func (c *cache) put(e *entry, snap generations) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if snap.epoch != c.epoch {
		return false
	}
	for i, s := range e.sources {
		if c.gen[s] != snap.gens[i] {
			return false
		}
	}
	if e.cost() > c.max/8 {
		return false // one tile may not push out an eighth of the cache
	}
	if old := c.byKey[e.key]; old != nil {
		c.remove(old)
	}
	e.elem = c.ll.PushFront(e)
	c.byKey[e.key] = e
	c.used += e.cost()
	for c.used > c.max {
		c.remove(c.ll.Back().Value.(*entry))
		c.evicted.Add(1)
	}
	return true
}

func (c *cache) remove(e *entry) {
	c.ll.Remove(e.elem)
	delete(c.byKey, e.key)
	c.used -= e.cost()
}

// invalidate evicts every tile of any of sources whose buffered envelope meets one of
// boxes (EPSG:3857), on every zoom, and bumps the sources' generations. A nil boxes evicts
// every tile of the sources. It returns how many tiles were evicted.
func (c *cache) invalidate(sources map[string][]Box, all map[string]bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range sources {
		c.gen[s]++
	}
	for s := range all {
		c.gen[s]++
	}
	n := 0
	for _, e := range c.byKey {
		if hit(e, sources, all) {
			c.remove(e)
			n++
		}
	}
	c.invalidations.Add(1)
	c.invalidated.Add(int64(n))
	return n
}

func hit(e *entry, sources map[string][]Box, all map[string]bool) bool {
	for _, s := range e.sources {
		if all[s] {
			return true
		}
		for _, b := range sources[s] {
			if b.Intersects(e.env) {
				return true
			}
		}
	}
	return false
}

// reset drops every tile and moves every generation: after the listener reconnects,
// notifications may have been missed.
func (c *cache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.ll.Init()
	c.byKey = map[string]*entry{}
	c.used = 0
}

// Stats are the cache's counters.
type Stats struct {
	Tiles   int
	Bytes   int64
	Max     int64
	Hits    int64
	Misses  int64
	Evicted int64 // pushed out by the size bound
	// Invalidations counts the edits (notifications) processed; Invalidated the tiles they
	// removed.
	Invalidations int64
	Invalidated   int64
}

func (c *cache) stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Tiles: len(c.byKey), Bytes: c.used, Max: c.max, Hits: c.hits.Load(), Misses: c.misses.Load(), Evicted: c.evicted.Load(),
		Invalidations: c.invalidations.Load(), Invalidated: c.invalidated.Load()}
}
