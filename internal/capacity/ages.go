package capacity

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cityreach/cityreach/internal/citydata"
)

// Ages lends the residents by age band to the other indicators: park coverage and the
// living circle weigh each parcel by its residents of the requested bands (band=), spread
// from the community counts by the dasymetric rule of Spread. internal/walk and
// internal/coverage cannot import this package (walk is imported by it), so each declares
// the interface it needs and internal/cli hands them an Ages (NewAges: one for both, so
// they share its kept counts).
type Ages struct {
	Store Store
	// Watch, when set, tells which tables had edits (cityreach serve: the tile service's
	// listener), so that a repeated BandCounts reads no table.
	Watch citydata.Watcher

	memo *ageWatch // nil: nothing kept
}

// NewAges returns an Ages on store that keeps its band counts per version of the age
// tables, checked with watch (nil: the version is read on every call).
func NewAges(store Store, watch citydata.Watcher) Ages {
	return Ages{Store: store, Watch: watch, memo: &ageWatch{}}
}

// read is BandCounts without the version: it reads age_bands and the city's counts.
func (a Ages) read(ctx context.Context, cityID int, bands []string) ([]string, map[int64]float64, string, error) {
	known, err := a.Store.Bands(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	codes := make([]string, len(known))
	for i, b := range known {
		codes[i] = b.Code
	}
	for _, b := range bands {
		if !slices.Contains(codes, b) {
			return nil, nil, "", invalid("band", fmt.Sprintf("band %q is not one of %v", clip(b), codes))
		}
	}
	var canon []string
	for _, c := range codes {
		if slices.Contains(bands, c) {
			canon = append(canon, c)
		}
	}
	if len(canon) == 0 {
		return nil, nil, "", invalid("band", "band needs at least one age band code (e.g. 60-80)")
	}
	ok, err := a.Store.HasAgeData(ctx, cityID)
	if err != nil {
		return nil, nil, "", err
	}
	if !ok {
		return nil, nil, "", invalid("band", "this city has no residents by age band: import an age table (cityreach import ages) first")
	}
	counts, err := a.Store.CommunityCounts(ctx, cityID, canon)
	if err != nil {
		return nil, nil, "", err
	}
	return canon, counts, countsDigest(canon, counts), nil
}

// countsDigest is the first 16 hex digits of the SHA-256 of the bands and the counts by
// community id.
func countsDigest(bands []string, counts map[int64]float64) string {
	ids := make([]int64, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	h := sha256.New()
	h.Write([]byte(strings.Join(bands, ",") + "\x00"))
	var b [16]byte
	for _, id := range ids {
		binary.LittleEndian.PutUint64(b[:8], uint64(id))
		binary.LittleEndian.PutUint64(b[8:], math.Float64bits(counts[id]))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// SpreadBands is Spread over community ids: community[i] is the id of the community
// holding parcel i's point on surface (0: none), counts the residents of the bands by
// community id (BandCounts). It returns each parcel's residents of the bands.
func (Ages) SpreadBands(pop []float64, community []int64, counts map[int64]float64) []float64 {
	slots := map[int64]int32{}
	com := make([]int32, len(community))
	bySlot := map[int32]float64{}
	for i, id := range community {
		if id == 0 {
			com[i] = -1
			continue
		}
		s, ok := slots[id]
		if !ok {
			s = int32(len(slots))
			slots[id] = s
			if n, has := counts[id]; has {
				bySlot[s] = n
			}
		}
		com[i] = s
	}
	return Spread(pop, com, bySlot).Demand
}
