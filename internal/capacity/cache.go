package capacity

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/walk"
)

// versionTables are the tables a baseline capacity report is computed from: the walking
// inputs (walk.Store.InputsVersion's tables: facilities with their capacities, parks with
// their areas and entrances, the walking edges, residential land, the administrative areas
// and the facility categories with their norms) and the residents by age band.
var versionTables = []string{"facilities", "parks", "park_entrances", "network_edges", "residential_land",
	"communities", "subdistricts", "districts", citydata.FacilityCategories, citydata.AgeBands, citydata.CommunityAgePopulation}

// cacheSize is how many baseline reports a Service keeps (least recently used out). A
// parcel-level report of a scale-1 city is a few MB.
const cacheSize = 32

// reportCache holds baseline capacity reports by (city, data version of versionTables,
// resolved options). A report is immutable once stored: callers only read it.
type reportCache struct {
	mu    sync.Mutex
	items map[string]*cacheItem
	tick  uint64
	hits  uint64
	miss  uint64
}

type cacheItem struct {
	rep  *Report
	used uint64
}

// cacheKey is the key of a baseline report: the city, the data version of every table it
// reads, and every option that changes the answer (category, bands, d0, decay, profile,
// level). opt is resolved (bands and d0 filled in).
func cacheKey(cityID int, version string, opt Options) string {
	return fmt.Sprintf("%d|%s|%s|%s|%g|%s|%s|%s", cityID, version, opt.Category, strings.Join(opt.Bands, ","), opt.D0, opt.Decay, opt.Profile, opt.Level)
}

func (c *reportCache) get(key string) (*Report, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok {
		c.miss++
		return nil, false
	}
	c.tick++
	it.used = c.tick
	c.hits++
	return it.rep, true
}

func (c *reportCache) put(key string, rep *Report) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[string]*cacheItem{}
	}
	c.tick++
	c.items[key] = &cacheItem{rep: rep, used: c.tick}
	for len(c.items) > cacheSize {
		var oldest string
		var at uint64
		for k, it := range c.items {
			if oldest == "" || it.used < at {
				oldest, at = k, it.used
			}
		}
		delete(c.items, oldest)
	}
}

// Stats returns the cache's hits and misses since the Service was made.
func (s *Service) Stats() (hits, misses uint64) {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.hits, s.cache.miss
}

// cached returns the baseline report of opt (resolved) for city from the cache, or computes
// it with compute and keeps it. The data version is read before and after computing, in
// full (citydata.Read of versionTables); the report is kept only when both readings agree,
// so every row the computation read is of that version and the report is never served
// for any other. The walking service checks its inputs' version on every call, so the
// snapshot compute reads is not older than the first reading.
func (s *Service) cached(ctx context.Context, city walk.City, opt Options, compute func(context.Context) (*Report, error)) (*Report, error) {
	before, err := citydata.Read(ctx, s.Store.Pool, city.ID, versionTables...)
	if err != nil {
		return nil, err
	}
	key := cacheKey(city.ID, before.Hash, opt)
	if rep, ok := s.cache.get(key); ok {
		return rep, nil
	}
	rep, err := compute(ctx)
	if err != nil {
		return nil, err
	}
	after, err := citydata.Read(ctx, s.Store.Pool, city.ID, versionTables...)
	if err != nil {
		return nil, err
	}
	if after.Hash == before.Hash {
		s.cache.put(key, rep)
	}
	return rep, nil
}
