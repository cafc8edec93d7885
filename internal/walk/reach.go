package walk

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/cityreach/cityreach/internal/network"
)

// ReachOptions configures ComputeReach.
type ReachOptions struct {
	// MaxSnap is the largest access leg in metres; 0 means DefaultMaxSnap.
	MaxSnap float64
	// Cutoff is the search distance in metres; 0 means the largest ReachM of the
	// categories. Distances beyond it are +Inf.
	Cutoff float64
	// Workers is the number of concurrent searches; 0 means GOMAXPROCS.
	Workers int
}

// Reach holds, for every residential parcel, the walking distance to the nearest facility
// of every category.
type Reach struct {
	Cutoff     float64
	MaxSnap    float64
	Categories []Category
	// Dist[k][p] is the walking distance in metres from parcel p (in Inputs.Parcels
	// order) to the nearest facility of Categories[k]: facility access leg + network +
	// parcel access leg. It is +Inf when no facility of the category is within Cutoff or
	// the parcel is unattached.
	Dist [][]float64
	// Nearest[k][p] is the index in Inputs.Facilities of the facility Dist[k][p] is the
	// distance to (the lowest index among equally near ones), -1 where Dist is +Inf. For
	// CategoryPark it is one access point of the nearest park.
	Nearest [][]int32
	// Attached[p] reports whether parcel p has a walkable edge within MaxSnap.
	Attached []bool
	// Facilities counts the facilities of each category (same order as Categories) and
	// those left unattached.
	Facilities []FacilityCount
	Unattached UnattachedParcels
	ComputeMS  float64
}

// FacilityCount is the number of facilities of one category and how many of them have no
// walkable edge within MaxSnap.
type FacilityCount struct {
	Total      int `json:"total"`
	Unattached int `json:"unattached"`
}

// UnattachedParcels sums the parcels with no walkable edge within MaxSnap.
type UnattachedParcels struct {
	Parcels    int     `json:"parcels"`
	AreaM2     float64 `json:"area_m2"`
	Population float64 `json:"population"`
}

// ComputeReach attaches every parcel and facility to the network and runs one
// multi-source search per category from all its attached facilities, to the cutoff.
// Categories run concurrently, one Searcher per worker.
func ComputeReach(ctx context.Context, n *Network, in *Inputs, opt ReachOptions) (*Reach, error) {
	t0 := time.Now()
	if opt.MaxSnap <= 0 {
		opt.MaxSnap = DefaultMaxSnap
	}
	if opt.Cutoff <= 0 {
		for _, c := range in.Categories {
			opt.Cutoff = math.Max(opt.Cutoff, c.ReachM)
		}
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	r := &Reach{Cutoff: opt.Cutoff, MaxSnap: opt.MaxSnap, Categories: in.Categories,
		Dist: make([][]float64, len(in.Categories)), Nearest: make([][]int32, len(in.Categories)),
		Facilities: make([]FacilityCount, len(in.Categories))}

	// Attach the parcels, in parallel chunks: the index is read-only.
	att := make([]network.Attachment, len(in.Parcels))
	r.Attached = make([]bool, len(in.Parcels))
	parallel(len(in.Parcels), opt.Workers, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			att[p], r.Attached[p] = n.Index.Attach(in.Parcels[p].Point, opt.MaxSnap)
		}
	})
	for p, ok := range r.Attached {
		if !ok {
			r.Unattached.Parcels++
			r.Unattached.AreaM2 += in.Parcels[p].AreaM2
			r.Unattached.Population += in.Parcels[p].Population
		}
	}

	// The sources of each category.
	slot := make(map[string]int, len(in.Categories))
	for k, c := range in.Categories {
		slot[c.Code] = k
	}
	sources := make([][]network.Source, len(in.Categories))
	srcFac := make([][]int32, len(in.Categories)) // the facility index of every source
	for i, f := range in.Facilities {
		k, ok := slot[f.Category]
		if !ok {
			continue
		}
		r.Facilities[k].Total++
		a, ok := n.Index.Attach(f.Point, opt.MaxSnap)
		if !ok {
			r.Facilities[k].Unattached++
			continue
		}
		sources[k] = append(sources[k], network.AtPoint(a))
		srcFac[k] = append(srcFac[k], int32(i))
	}

	err := n.eachSearch(ctx, opt.Workers, len(in.Categories), nil, func(s *network.Searcher, k int) error {
		d := make([]float64, len(in.Parcels))
		near := make([]int32, len(in.Parcels))
		r.Dist[k], r.Nearest[k] = d, near
		if len(sources[k]) == 0 {
			for p := range d {
				d[p], near[p] = math.Inf(1), -1
			}
			return nil
		}
		if err := s.Run(sources[k], opt.Cutoff); err != nil {
			return fmt.Errorf("walk: category %s: %w", in.Categories[k].Code, err)
		}
		for p := range d {
			d[p], near[p] = math.Inf(1), -1
			if r.Attached[p] {
				d[p], near[p] = nearest(s, att[p], srcFac[k])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.ComputeMS = since(t0)
	return r, nil
}

// nearest reads the distance of the attached point a from the last search and the facility
// index of its nearest source (srcFac maps source indexes to facility indexes).
func nearest(s *network.Searcher, a network.Attachment, srcFac []int32) (float64, int32) {
	d, src := s.DistanceTo(a)
	if src < 0 {
		return d, -1
	}
	return d, srcFac[src]
}

// eachSearch calls do(s, k) for every category slot k in [0, count) that want accepts (nil:
// every one), on up to workers goroutines that each hold one searcher of n. It returns
// ctx's error if ctx ended, else the first error of do.
func (n *Network) eachSearch(ctx context.Context, workers, count int, want func(k int) bool, do func(s *network.Searcher, k int) error) error {
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		runErr  error
		next    = make(chan int)
	)
	for range min(workers, max(count, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := n.searcher()
			defer n.release(s)
			for k := range next {
				if err := do(s, k); err != nil {
					errOnce.Do(func() { runErr = err })
				}
			}
		}()
	}
	for k := range count {
		if ctx.Err() != nil {
			break
		}
		if want == nil || want(k) {
			next <- k
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return runErr
}

// parallel splits [0, n) into about workers chunks and runs fn on each concurrently.
func parallel(n, workers int, fn func(lo, hi int)) {
	if n < 4096 || workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+step, n))
	}
	wg.Wait()
}
