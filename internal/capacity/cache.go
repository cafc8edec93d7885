package capacity

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/walk"
)

// A baseline capacity report is computed from the walking inputs (the tables of
// walk.Service.InputsData: facilities with their capacities, parks with their areas and
// entrances, the walking edges, residential land, the administrative areas and the facility
// categories with their norms) and ageTables, the residents by age band. The walking
// service checks the version of its tables on every call, with the tile service's listener
// when it has one (only the tables it saw edited are read again): the capacity service
// shares that reading rather than reading them again, and checks ageTables the same way,
// after the same barrier (their triggers: migration 0029).

// ageTables are the age tables a report reads besides the walking inputs.
var ageTables = []string{citydata.AgeBands, citydata.CommunityAgePopulation}

// cacheSize is how many baseline reports a Service keeps (least recently used out). A
// parcel-level report of a scale-1 city is a few MB.
const cacheSize = 32

// reportCache holds baseline capacity reports by (city, data version of its tables,
// options as requested). A report is immutable once stored: callers only read it.
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
// level) as requested, before the category fills in its bands and reach: those come from
// facility_categories and age_bands, whose versions are in the key, so one request and
// version always resolve alike. The strings are quoted, so no request's fields run into
// another's.
func cacheKey(cityID int, version string, opt Options) string {
	return fmt.Sprintf("%d|%s|%q|%q|%g|%q|%q|%q", cityID, version, opt.Category, opt.Bands, opt.D0, opt.Decay, opt.Profile, opt.Level)
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

// version returns the city's data version of every table a report reads, now, and its
// part of ageTables alone: after one barrier of the walking service's Watcher, the walking
// service's reading of its tables (walk.Service.InputsData) and the reading of ageTables
// kept here (ageWatch), each reading only the tables the listener saw edited since its last
// check (nothing when there was no edit; everything without a live Watcher). Its Hash is
// that of citydata.Read of all of them (Combine of the same parts).
func (s *Service) version(ctx context.Context, city walk.City) (all, ages citydata.Version, err error) {
	b := citydata.Synced(ctx, s.Walk.Watch)
	w, err := s.Walk.InputsData(ctx, city, b)
	if err != nil {
		return all, ages, err
	}
	a, err := s.ages.current(ctx, b, s.Store.reads(), city.ID)
	if err != nil {
		return all, ages, err
	}
	parts := make(map[string]citydata.TableVersion, len(w.Tables)+len(a.Tables))
	maps.Copy(parts, w.Tables)
	maps.Copy(parts, a.Tables)
	return citydata.Combine(parts), a.Version, nil
}

// cached returns the baseline report of opt (as requested) for city from the cache, or
// computes it with compute (which resolves opt) and keeps it. The data version (version)
// is taken before and after computing; the report is kept only when both agree, so every
// row the computation read (the category and bands it resolved opt with included) is of
// that version and the report is never served for any other. The report's DataVersion
// gets the age tables' part of the version before (withAges), so an age import changes it:
// the figures read them whenever bands apply (band=all alone reads none, and gets the part
// all the same, so that every capacity answer's version has one form).
//
// With the walking service's Watcher (cityreach serve: the tile service's listener) a
// reading reads only the tables the listener saw edited, and a hit with no edit reads no
// version at all; the guarantee still holds because version syncs the Watcher (a barrier:
// every edit committed before the call has been counted) before it takes the Watcher's
// state. So the reading after computing counts every edit committed before it began; an
// edit committed since the reading before was taken has moved its table's generation, that
// table is read again and the two versions differ (the edit is not kept). An edit that
// landed between the first reading's state and its read is already in the first version:
// read again, it gives the same part, and the computation, which began after it, read it.
// The walking service checks its inputs' version on every call, so the snapshot compute
// reads is not older than the first reading.
func (s *Service) cached(ctx context.Context, city walk.City, opt Options, compute func(context.Context) (*Report, error)) (*Report, error) {
	before, ages, err := s.version(ctx, city)
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
	rep.DataVersion = withAges(rep.DataVersion, ages)
	after, _, err := s.version(ctx, city)
	if err != nil {
		return nil, err
	}
	if after.Hash == before.Hash {
		s.cache.put(key, rep)
	}
	return rep, nil
}
