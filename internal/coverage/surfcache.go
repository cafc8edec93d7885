package coverage

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"
)

// DefaultSurfaceCacheBytes is the budget of a Service's SurfaceCache: at scale 1 the
// buffered network of every tile of the demo city takes about 40 MiB.
const DefaultSurfaceCacheBytes = 256 << 20

// SurfaceCache keeps the network method's buffered reached network of a tile (the
// buffer by the tolerance of the reached pieces near it, clipped to it: the costly part
// of the covered surface, 80 % of a computation's CPU) by what it is made of: the tile,
// the tolerance and the exact set of clipped pieces. Whatever asks for the same tile with
// the same pieces — the same caliber after an edit that left the reach there as it was,
// or another caliber whose parks reach the same streets — gets the geometry a fresh
// buffer gives, without the buffer. The buffer of a set is computed from the pieces in a
// canonical order, so a cached entry is what a computation would build itself, vertex for
// vertex. It holds at most its budget of WKB bytes, letting the least recently used go.
// It is safe for concurrent use; the zero value is not usable (NewSurfaceCache).
type SurfaceCache struct {
	mu      sync.Mutex
	budget  int
	used    int
	tick    uint64
	entries map[surfaceKey]*surfaceEntry
	// hits and misses count the lookups, for the log.
	hits, misses int
}

type surfaceKey struct {
	minX, minY, maxX, maxY, tol float64
	pieces                      int
	h1, h2                      uint64
}

type surfaceEntry struct {
	wkb  []byte // nil: the surface is empty
	used uint64
}

// NewSurfaceCache returns a cache holding at most budget bytes.
func NewSurfaceCache(budget int) *SurfaceCache {
	return &SurfaceCache{budget: budget, entries: map[surfaceKey]*surfaceEntry{}}
}

// seeds of the two independent 64-bit hashes of a set of pieces (128 bits in all, so two
// different sets of a city share a key with odds far below a hardware error's).
var pieceSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// canonical sorts lines by content and returns the key of the set: the tile, the
// tolerance and two hashes of the sorted pieces.
func canonical(tb box, tol float64, lines []orb.LineString) surfaceKey {
	type hashed struct {
		h  uint64
		ls orb.LineString
	}
	hs := make([]hashed, len(lines))
	var buf []byte
	for i, ls := range lines {
		buf = lineBytes(buf[:0], ls)
		hs[i] = hashed{maphash.Bytes(pieceSeeds[0], buf), ls}
	}
	slices.SortFunc(hs, func(a, b hashed) int {
		if a.h != b.h {
			if a.h < b.h {
				return -1
			}
			return 1
		}
		return compareLines(a.ls, b.ls)
	})
	k := surfaceKey{minX: tb.minX, minY: tb.minY, maxX: tb.maxX, maxY: tb.maxY, tol: tol, pieces: len(lines)}
	var h1, h2 maphash.Hash
	h1.SetSeed(pieceSeeds[0])
	h2.SetSeed(pieceSeeds[1])
	for i, x := range hs {
		lines[i] = x.ls
		buf = lineBytes(buf[:0], x.ls)
		h1.Write(buf)
		h2.Write(buf)
	}
	k.h1, k.h2 = h1.Sum64(), h2.Sum64()
	return k
}

// lineBytes appends the coordinates of ls (and its length) to b.
func lineBytes(b []byte, ls orb.LineString) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ls)))
	for _, p := range ls {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[0]))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p[1]))
	}
	return b
}

// compareLines orders lines by their coordinates, for equal hashes.
func compareLines(a, b orb.LineString) int {
	for i := range min(len(a), len(b)) {
		for d := range 2 {
			if a[i][d] != b[i][d] {
				if a[i][d] < b[i][d] {
					return -1
				}
				return 1
			}
		}
	}
	return len(a) - len(b)
}

// get returns the WKB of key's surface (nil for an empty one) and whether it is held.
func (c *SurfaceCache) get(k surfaceKey) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	c.tick++
	e.used = c.tick
	return e.wkb, true
}

// put keeps wkb as key's surface, letting the least recently used entries go when over
// budget.
func (c *SurfaceCache) put(k surfaceKey, wkb []byte) {
	if c == nil || len(wkb) > c.budget/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; ok {
		return
	}
	c.tick++
	c.entries[k] = &surfaceEntry{wkb: wkb, used: c.tick}
	c.used += len(wkb) + entryOverhead
	if c.used <= c.budget {
		return
	}
	// Over budget: drop the older half by last use (amortised: one sort per many puts).
	ticks := make([]uint64, 0, len(c.entries))
	for _, e := range c.entries {
		ticks = append(ticks, e.used)
	}
	slices.Sort(ticks)
	cut := ticks[len(ticks)/2]
	for key, e := range c.entries {
		if e.used < cut {
			c.used -= len(e.wkb) + entryOverhead
			delete(c.entries, key)
		}
	}
}

// entryOverhead is what an entry costs beyond its bytes (key, map slot, header).
const entryOverhead = 128

// Stats returns the bytes and entries held and the lookups that found an entry and
// that did not, for the logs and tests.
func (c *SurfaceCache) Stats() (bytes, entries, hits, misses int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, len(c.entries), c.hits, c.misses
}
