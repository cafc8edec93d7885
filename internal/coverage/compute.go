package coverage

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	geos "github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/openness"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// Defaults of the network method.
const (
	// DefaultTolerance is the distance in metres around reached edge pieces that counts as
	// reached: the depth of a plot or courtyard from the street it fronts.
	DefaultTolerance = 25.0
	// EntranceSnapM is how far a walkable edge may pass from a park boundary and still give
	// the park a generated access point (ParkServe style), when none is recorded.
	EntranceSnapM = walkgraph.ParkSnapM
	// RecordedEntranceSnapM is how far a recorded entrance may lie from the network.
	RecordedEntranceSnapM = 100.0
)

// ErrNoNetwork is returned by the network method for a city without walkable edges.
var ErrNoNetwork = errors.New("coverage: the city has no walking network")

// Options tune one computation.
type Options struct {
	// Method is caliber.Buffer or caliber.Network; empty means the caliber's default.
	Method string
	// Workers is the number of parallel workers; 0 means GOMAXPROCS.
	Workers int
	// Gaps asks for the uncovered part of every parcel (the gap layer).
	Gaps bool
	// Tolerance is the network method's reach around reached edge pieces; 0 means
	// DefaultTolerance.
	Tolerance float64
	// Surfaces, when not nil, keeps the network method's buffered network by tile for
	// later computations (Service: one cache for every caliber and edit); the result
	// keeps it for Apply.
	Surfaces *SurfaceCache
	// only, when not nil, names the parcels (indexes into Snapshot.Parcels) to compute
	// with the network method (Result.Apply); the others are left at zero.
	only []int32
	// reach, when not nil, is an earlier walk that is reused when it was searched from
	// the same sources (Result.Apply).
	reach *reachedNet
	// At is the time of day of the network method: parks are entered only through gates
	// open then (internal/openness). The zero value counts gates open at any time of day.
	At openness.At
	// NoSteps leaves the edges with steps out of the network method's walk (a walking
	// profile without steps, walk.Profile.NoSteps).
	NoSteps bool
}

// Parameters are the settings a result depends on, stored with it.
type Parameters struct {
	QuadSegs int `json:"quad_segs"`
	// Network holds the time of day and the steps rule of the network method (absent:
	// any time of day, steps walked).
	Network       *NetworkParameters `json:"network,omitempty"`
	ToleranceM    float64            `json:"tolerance_m,omitempty"`
	EntranceSnapM float64            `json:"entrance_snap_m,omitempty"`
	Assignment    string             `json:"assignment"`
}

// CountedPark is a park the caliber counts, with its radius in metres.
type CountedPark struct {
	Index   int   // into Snapshot.Parks
	ID      int64 // parks.id
	RadiusM float64
	// Entrances is the number of access points used by the network method: recorded
	// entrances attached to the network, or generated ones.
	Entrances int `json:",omitempty"`
	// Generated is true when the access points were generated from the network.
	Generated bool `json:",omitempty"`
}

// NetworkParameters are the network method's options a result was computed with.
type NetworkParameters struct {
	At      string `json:"at,omitempty"`
	NoSteps bool   `json:"no_steps,omitempty"`
}

// Result is the coverage of one snapshot under one caliber and method.
type Result struct {
	Caliber    caliber.Caliber
	Method     string
	Parameters Parameters
	Parks      []CountedPark
	// Covered is the covered area in m² of each parcel, in Snapshot.Parcels order.
	Covered []float64
	// Gaps holds the uncovered part of each parcel when Options.Gaps was set (nil for a
	// fully covered parcel).
	Gaps []orb.MultiPolygon
	// City-wide totals: residential land area (m²) and residents.
	CoveredM2, TotalM2 float64
	// With Bands, the population figures count only the residents of those age bands
	// (weight: each parcel's, withBands).
	Population, CoveredPopulation float64
	Bands                         []string
	weight                        []float64
	Duration                      time.Duration
	snapshot                      *Snapshot
	// surfaces is the cache the result was computed with (Options.Surfaces).
	surfaces *SurfaceCache
	// reach is the network method's walk (nil with the buffer method).
	reach *reachedNet
}

// variant is the part of a stored run's key the network options make ("" for any time of
// day with steps walked, and for the buffer method).
func (r *Result) variant() string {
	if r.Parameters.Network == nil {
		return ""
	}
	at, _ := openness.ParseAt(r.Parameters.Network.At)
	return variantOf(at, r.Parameters.Network.NoSteps)
}

// variantOf writes the network options as a run key part: "at=HH:MM", "no_steps", both
// joined by ";", or "".
func variantOf(at openness.At, noSteps bool) string {
	var parts []string
	if _, set := at.Minute(); set {
		parts = append(parts, "at="+at.String())
	}
	if noSteps {
		parts = append(parts, "no_steps")
	}
	return strings.Join(parts, ";")
}

// networkOptions are the time of day and steps rule r's network method was computed with.
func (r *Result) networkOptions() (openness.At, bool) {
	if r.Parameters.Network == nil {
		return openness.AnyTime, false
	}
	at, _ := openness.ParseAt(r.Parameters.Network.At) // written by Compute: always valid
	return at, r.Parameters.Network.NoSteps
}

// Ratio is the official figure: covered residential land over all residential land
// (0 when there is none).
func (r *Result) Ratio() float64 { return ratio(r.CoveredM2, r.TotalM2) }

// PopulationShare is the share of residents served, each parcel's population spread
// evenly over its area.
func (r *Result) PopulationShare() float64 { return ratio(r.CoveredPopulation, r.Population) }

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// Compute returns the coverage of snap under cal. It honours ctx between parcels.
func Compute(ctx context.Context, snap *Snapshot, cal caliber.Caliber, opt Options) (*Result, error) {
	start := time.Now()
	method := opt.Method
	if method == "" {
		method = cal.Method
	}
	if method != caliber.Buffer && method != caliber.Network {
		return nil, fmt.Errorf("coverage: unknown method %q", method)
	}
	res := &Result{Caliber: cal, Method: method, snapshot: snap, surfaces: opt.Surfaces,
		Parameters: Parameters{QuadSegs: QuadSegs, Assignment: "point on surface"}}
	for i := range snap.Parks {
		if r, ok := cal.Radius(snap.Parks[i].Facts()); ok {
			res.Parks = append(res.Parks, CountedPark{Index: i, ID: snap.Parks[i].ID, RadiusM: r})
		}
	}
	// Service-area boxes: the park's box grown by its radius contains its buffer.
	sa := make([]box, len(res.Parks))
	for k, cp := range res.Parks {
		sa[k] = boxOf(snap.Parks[cp.Index].Geom.Bound()).expand(cp.RadiusM)
	}
	tree := newSTRTree(sa)

	var reach *reachedNet
	if method == caliber.Network {
		tol := opt.Tolerance
		if tol == 0 {
			tol = DefaultTolerance
		}
		if !(tol > 0) {
			return nil, fmt.Errorf("coverage: tolerance must be positive, not %v", tol)
		}
		res.Parameters.ToleranceM = tol
		res.Parameters.EntranceSnapM = EntranceSnapM
		wsnap := snap
		if opt.NoSteps {
			wsnap = snap.withoutSteps()
		}
		if _, set := opt.At.Minute(); set || opt.NoSteps {
			res.Parameters.Network = &NetworkParameters{At: opt.At.String(), NoSteps: opt.NoSteps}
		}
		var err error
		if reach, err = walk(wsnap, res.Parks, tol, opt.At, opt.reach); err != nil {
			return nil, err
		}
		res.reach = reach
	}

	res.Covered = make([]float64, len(snap.Parcels))
	if opt.Gaps {
		res.Gaps = make([]orb.MultiPolygon, len(snap.Parcels))
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var err error
	if reach != nil {
		err = networkCover(ctx, snap, res, sa, tree, reach, workers, opt.Gaps, opt.only, opt.Surfaces)
	} else {
		err = parallel(ctx, workers, len(snap.Parcels), 128, func() (func(int) error, func()) {
			wk := newWorker(snap, res, sa, tree, opt.Gaps)
			return wk.parcel, wk.close
		})
	}
	if err != nil {
		return nil, err
	}
	for i := range snap.Parcels {
		p := &snap.Parcels[i]
		res.TotalM2 += p.AreaM2
		res.CoveredM2 += res.Covered[i]
		res.Population += p.Population
		if p.AreaM2 > 0 {
			res.CoveredPopulation += p.Population * res.Covered[i] / p.AreaM2
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

// parallel runs do(i) for i in [0, n) on workers goroutines, handing out chunks of
// indexes. Each goroutine gets its own do (and done, called when it stops) from
// newWorker, so per-goroutine state such as a GEOS context needs no lock. It honours ctx
// between chunks and returns the errors joined.
func parallel(ctx context.Context, workers, n, chunk int, newWorker func() (do func(int) error, done func())) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			do, done := newWorker()
			defer done()
			for {
				if ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				s := int(next.Add(int64(chunk))) - chunk
				if s >= n {
					return
				}
				for i := s; i < min(s+chunk, n); i++ {
					if err := do(i); err != nil {
						errs[w] = err
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	return errors.Join(errs...)
}

// worker owns a GEOS context: go-geos serialises every call on a context, so parallel
// work needs one context, and its own buffers, per goroutine.
type worker struct {
	snap *Snapshot
	res  *Result
	sa   []box
	tree *strTree
	gaps bool

	c     *geos.Context
	bufs  []*geos.Geom
	preps []*geos.PrepGeom
	hits  []int32
}

func newWorker(snap *Snapshot, res *Result, sa []box, tree *strTree, gaps bool) *worker {
	return &worker{snap: snap, res: res, sa: sa, tree: tree, gaps: gaps,
		c: geos.NewContext(), bufs: make([]*geos.Geom, len(res.Parks)), preps: make([]*geos.PrepGeom, len(res.Parks))}
}

func (w *worker) close() {
	for k := range w.bufs {
		if w.preps[k] != nil {
			w.preps[k].Destroy()
		}
		if w.bufs[k] != nil {
			w.bufs[k].Destroy()
		}
	}
}

// buffer returns counted park k's service area (built on first use).
func (w *worker) buffer(k int32) (*geos.Geom, *geos.PrepGeom) {
	if w.bufs[k] == nil {
		w.bufs[k] = serviceArea(w.c, w.snap, w.res, k)
		w.preps[k] = w.bufs[k].Prepare()
	}
	return w.bufs[k], w.preps[k]
}

func (w *worker) parcel(i int) error {
	p := &w.snap.Parcels[i]
	pb := boxOf(p.Geom.Bound())
	w.hits = w.tree.query(pb, w.sa, w.hits[:0])
	if len(w.hits) == 0 {
		if w.gaps {
			w.res.Gaps[i] = p.Geom
		}
		return nil
	}
	g := toGEOS(w.c, p.Geom)
	defer g.Destroy()
	var touching []*geos.Geom
	full := false
	for _, k := range w.hits {
		buf, prep := w.buffer(k)
		if w.sa[k].contains(pb) && prep.Contains(g) {
			full = true
			touching = append(touching[:0], buf)
			break
		}
		if prep.Intersects(g) {
			touching = append(touching, buf)
		}
	}
	if len(touching) == 0 {
		if w.gaps {
			w.res.Gaps[i] = p.Geom
		}
		return nil
	}
	if full {
		w.res.Covered[i] = p.AreaM2
		return nil
	}
	// The covered part: parcel ∩ ⋃ touching buffers, computed as the union of the
	// per-buffer pieces, each small because the parcel is.
	pieces := make([]*geos.Geom, 0, len(touching))
	for _, b := range touching {
		pieces = append(pieces, g.Intersection(b))
	}
	var cov *geos.Geom
	if len(pieces) == 1 {
		cov = pieces[0]
	} else {
		coll := w.c.NewCollection(geos.TypeIDGeometryCollection, pieces)
		cov = coll.UnaryUnion()
		coll.Destroy()
	}
	defer cov.Destroy()
	w.res.Covered[i] = cov.Area()
	if w.gaps {
		d := g.Difference(cov)
		mp, err := fromGEOS(d)
		d.Destroy()
		if err != nil {
			return err
		}
		w.res.Gaps[i] = mp
	}
	return nil
}
