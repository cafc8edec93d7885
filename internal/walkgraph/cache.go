package walkgraph

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cityreach/cityreach/internal/network"
)

// DefaultKeep is how many graphs a Cache keeps per city when Keep is 0: the current one,
// the one before it (a caller still on the previous version) and a scenario's or a past
// edition's.
const DefaultKeep = 3

// Cache builds each city's walking graph once per version and hands the same Graph to
// every caller. Concurrent callers for one key wait for a single build; a failed build is
// not kept. It is safe for concurrent use. The zero value is ready to use; a nil Cache
// keeps nothing (every Get builds).
type Cache struct {
	// Keep is how many graphs are kept per city (the least recently used goes first);
	// 0 means DefaultKeep.
	Keep int
	// ObserveBuild, when set, is told of every build (not of cached answers).
	ObserveBuild func(d time.Duration)

	mu     sync.Mutex
	graphs map[key]*entry
	tick   uint64
	builds atomic.Int64
}

type key struct {
	city    int
	version string
}

type entry struct {
	done chan struct{} // closed when g and err are set
	g    *Graph
	err  error
	used uint64
	// pending, when set, is an expected graph nobody has asked for yet (Expect): the first
	// caller builds it from these edges, whatever its own loader.
	pending []network.Edge
	version string
}

// Builds is how many graphs the cache has built (0 for a nil Cache).
func (c *Cache) Builds() int64 {
	if c == nil {
		return 0
	}
	return c.builds.Load()
}

// Get returns the graph of city at version, building it from the edges load returns when
// it is not cached. load must return the city's walkable edges with topology in id order
// at that version (Edges, read in the snapshot version was read in, or edges kept in
// memory that are those rows).
func (c *Cache) Get(city int, version string, load func() ([]network.Edge, error)) (*Graph, error) {
	return c.get([]key{{city, version}}, func() (*Graph, error) {
		edges, err := load()
		if err != nil {
			return nil, err
		}
		return Build(city, version, edges)
	})
}

// Peek returns the graph of city at version when it is built and kept, without building.
func (c *Cache) Peek(city int, version string) (*Graph, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.graphs[key{city, version}]
	if !ok || e.g == nil {
		return nil, false
	}
	c.tick++
	e.used = c.tick
	return e.g, true
}

// With returns base's graph with the closed edge ids removed and the add edges appended (a
// scenario's footbridge or closed road), built once per base and set of changes: the
// living circle and park coverage of one scenario walk the same derived graph. base is
// not modified. With no change it is base itself.
func (c *Cache) With(base *Graph, add []network.Edge, closed []int64) (*Graph, error) {
	if len(add)+len(closed) == 0 {
		return base, nil
	}
	if base.Version == "" { // an uncached graph: nothing to key the derivation by
		return Build(base.CityID, "", base.changed(add, closed))
	}
	v := base.Version + "+" + changesDigest(add, closed)
	return c.get([]key{{base.CityID, v}}, func() (*Graph, error) {
		return Build(base.CityID, v, base.changed(add, closed))
	})
}

// Expect records that the graph of city at version will be built from edges (the city's
// edges at that version, in id order) and is also the graph of city at baseVersion with the
// closed ids removed and add added: the graph an edit made, which one indicator sees as changes to the graph
// it holds (With) and another as a new version to load (Get). Nothing is built until one
// of them asks; then it is built once for both. Only the latest expectation per city is
// kept unasked.
func (c *Cache) Expect(city int, baseVersion string, add []network.Edge, closed []int64, version string, edges []network.Edge) {
	if c == nil || baseVersion == "" || len(add)+len(closed) == 0 {
		return
	}
	ks := []key{{city, version}, {city, baseVersion + "+" + changesDigest(add, closed)}}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.graphs == nil {
		c.graphs = map[key]*entry{}
	}
	for _, k := range ks {
		if e, ok := c.graphs[k]; ok {
			for _, k2 := range ks {
				if _, ok := c.graphs[k2]; !ok {
					c.graphs[k2] = e
				}
			}
			return
		}
	}
	for k, e := range c.graphs {
		if k.city == city && e.pending != nil {
			delete(c.graphs, k)
		}
	}
	c.tick++
	e := &entry{done: make(chan struct{}), used: c.tick, pending: edges, version: version}
	for _, k := range ks {
		c.graphs[k] = e
	}
}

// get returns the graph kept under any of ks (keeping it under all of them), else builds
// it once and keeps it under every key.
func (c *Cache) get(ks []key, build func() (*Graph, error)) (*Graph, error) {
	if c == nil {
		return build()
	}
	// A build that failed for another caller (its request was cancelled, say) is not this
	// caller's failure: it tries again, building itself when nobody else is.
	for range 3 {
		e, mine, expected := c.entry(ks)
		if expected != nil {
			return c.build(ks, e, expected)
		}
		if mine {
			return c.build(ks, e, build)
		}
		<-e.done
		if e.err == nil {
			return e.g, nil
		}
	}
	return build()
}

// entry returns the entry kept under any of ks (keeping it under all of them), or a new
// one kept under all of them that the caller must build (mine); for an expected graph
// nobody asked for yet, the build of its recorded edges, which the caller must run.
func (c *Cache) entry(ks []key) (e *entry, mine bool, expected func() (*Graph, error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.graphs == nil {
		c.graphs = map[key]*entry{}
	}
	c.tick++
	for _, k := range ks {
		if e, ok := c.graphs[k]; ok {
			e.used = c.tick
			for _, k2 := range ks {
				if _, ok := c.graphs[k2]; !ok {
					c.graphs[k2] = e
				}
			}
			if edges := e.pending; edges != nil {
				e.pending = nil // this caller builds it; the others wait
				city, version := k.city, e.version
				return e, true, func() (*Graph, error) { return Build(city, version, edges) }
			}
			return e, false, nil
		}
	}
	e = &entry{done: make(chan struct{}), used: c.tick}
	for _, k := range ks {
		c.graphs[k] = e
	}
	return e, true, nil
}

// build builds e, kept under ks, and lets its waiters go. A failed build is dropped
// before they wake, so that they find no entry and build themselves.
func (c *Cache) build(ks []key, e *entry, build func() (*Graph, error)) (*Graph, error) {
	t := time.Now()
	g, err := build()
	c.mu.Lock()
	defer c.mu.Unlock()
	e.g, e.err = g, err
	close(e.done)
	if err != nil {
		for k, x := range c.graphs {
			if x == e {
				delete(c.graphs, k)
			}
		}
		return nil, err
	}
	c.builds.Add(1)
	if c.ObserveBuild != nil {
		c.ObserveBuild(time.Since(t))
	}
	c.evict(ks[0].city)
	return g, nil
}

// evict drops the least recently used built graphs of city beyond Keep (a graph kept
// under two keys counts once), with c.mu held.
func (c *Cache) evict(city int) {
	keep := c.Keep
	if keep <= 0 {
		keep = DefaultKeep
	}
	var es []*entry
	for k, e := range c.graphs {
		if k.city == city && e.g != nil && !slices.Contains(es, e) {
			es = append(es, e)
		}
	}
	if len(es) <= keep {
		return
	}
	slices.SortFunc(es, func(a, b *entry) int { return cmp.Compare(b.used, a.used) })
	for k, e := range c.graphs {
		if slices.Contains(es[keep:], e) {
			delete(c.graphs, k)
		}
	}
}

// changesDigest identifies a set of edge changes: the closed ids and the added edges, as
// sets (a derived graph holds its edges in id order).
func changesDigest(add []network.Edge, closed []int64) string {
	closed = slices.Sorted(slices.Values(closed))
	add = slices.Clone(add)
	slices.SortStableFunc(add, byID) // the derived graph puts them in id order
	h := sha256.New()
	var b [8]byte
	put := func(x uint64) {
		binary.LittleEndian.PutUint64(b[:], x)
		h.Write(b[:])
	}
	put(uint64(len(closed)))
	for _, id := range closed {
		put(uint64(id))
	}
	put(uint64(len(add)))
	for _, e := range add {
		put(uint64(e.ID))
		put(uint64(e.Source))
		put(uint64(e.Target))
		put(math.Float64bits(e.Length))
		put(uint64(len(e.Geom)))
		for _, p := range e.Geom {
			put(math.Float64bits(p[0]))
			put(math.Float64bits(p[1]))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
