package capacity

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/cityreach/cityreach/internal/citydata"
)

// ageWatch keeps each city's data version of ageTables as last read (citydata.Current), so
// that a reading after no edit reads nothing, and the band counts (Ages.BandCounts) read
// under the version kept. The capacity service keeps one for its report cache, Ages one
// for park coverage and the living circle.
type ageWatch struct {
	mu     sync.Mutex
	seen   map[int]citydata.Watched
	counts map[string]keptCounts // by countsKey
}

// keptCounts is an answer of Ages.BandCounts and the hash of the version of ageTables it was
// read under.
type keptCounts struct {
	hash   string
	bands  []string
	counts map[int64]float64
	digest string
}

// maxKeptCounts bounds the band selections kept (a selection's counts are one number per
// community); past it, the kept counts are dropped and read again as asked.
const maxKeptCounts = 64

// current returns the city's version of ageTables now, after barrier b, read on q: only the
// tables the Watcher saw edited since the last reading (nothing after no edit; everything
// with the zero Barrier).
func (w *ageWatch) current(ctx context.Context, b citydata.Barrier, q Querier, cityID int) (citydata.Watched, error) {
	w.mu.Lock()
	prev := w.seen[cityID]
	w.mu.Unlock()
	// Concurrent requests may read at once; the last to store wins, and a state older
	// than the newest reading only makes the next call read the edited part again.
	a, err := b.Current(ctx, q, cityID, ageTables, prev)
	if err != nil {
		return a, err
	}
	w.mu.Lock()
	if w.seen == nil {
		w.seen = map[int]citydata.Watched{}
	}
	w.seen[cityID] = a
	w.mu.Unlock()
	return a, nil
}

// countsKey is the key of a band selection as requested (quoted, so no code runs into
// another).
func countsKey(cityID int, bands []string) string {
	return fmt.Sprintf("%d|%q", cityID, bands)
}

// kept returns the counts kept under key when they were read under version hash.
func (w *ageWatch) kept(key, hash string) (keptCounts, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.counts[key]
	return c, ok && c.hash == hash
}

// keep stores c under key.
func (w *ageWatch) keep(key string, c keptCounts) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.counts == nil || len(w.counts) >= maxKeptCounts {
		w.counts = map[string]keptCounts{}
	}
	w.counts[key] = c
}

// withAges is a report's data version (the walking inputs' and network's) followed by the
// version of the age tables its figures were read under: an age import changes it.
func withAges(version string, ages citydata.Version) string {
	return version + "/" + ages.Hash
}

// BandCounts checks the band codes against the configured bands (an Invalid fault naming
// band), and returns them in the configured order without repeats, the city's residents
// of those bands summed per community id, a digest of those counts (what a stored result
// keyed by the bands must also be keyed by) and the data version of ageTables they were
// read under (what the data version of an answer weighed by them must cover). A city
// without age data is an Invalid fault naming band.
//
// Made by NewAges, an Ages keeps the answer per (city, bands as requested) under the
// version of ageTables, as the capacity service keeps its reports (cache.go): after one
// barrier of Watch, the version is read only for the tables the listener saw edited (with
// no edit, nothing: a repeated request reads no table), and an answer is kept only when
// the version read after reading it equals the one read before. The zero Ages keeps
// nothing and reads the version with every answer.
func (a Ages) BandCounts(ctx context.Context, cityID int, bands []string) ([]string, map[int64]float64, string, citydata.Version, error) {
	w := a.memo
	if w == nil {
		w = &ageWatch{}
	}
	before, err := w.current(ctx, citydata.Synced(ctx, a.Watch), a.Store.reads(), cityID)
	if err != nil {
		return nil, nil, "", citydata.Version{}, err
	}
	key := countsKey(cityID, bands)
	if c, ok := w.kept(key, before.Hash); ok {
		return slices.Clone(c.bands), c.counts, c.digest, before.Version, nil
	}
	canon, counts, digest, err := a.read(ctx, cityID, bands)
	if err != nil {
		return nil, nil, "", citydata.Version{}, err
	}
	if a.memo != nil {
		after, err := w.current(ctx, citydata.Synced(ctx, a.Watch), a.Store.reads(), cityID)
		if err != nil {
			return nil, nil, "", citydata.Version{}, err
		}
		if after.Hash == before.Hash {
			w.keep(key, keptCounts{hash: before.Hash, bands: slices.Clone(canon), counts: maps.Clone(counts), digest: digest})
		}
	}
	return canon, counts, digest, before.Version, nil
}
