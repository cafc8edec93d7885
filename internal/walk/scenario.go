package walk

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"time"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/network"
)

// DefaultFullShare is the share of all (parcel, category) pairs above which Base.Apply
// recomputes everything with ComputeReach instead of the pairs a change set can reach.
const DefaultFullShare = 0.5

// DefaultMaxChanges is the number of changed facilities, edges and added parcels above
// which Base.Apply recomputes everything without looking for the pairs they reach (the
// search for them grows with parcels × changes).
const DefaultMaxChanges = 500

// boundMarginM is added to every bounding distance of Base.Apply, so that a rounding
// difference of a few ulps at the cutoff never leaves out a parcel or a source.
const boundMarginM = 1.0

// Base is a city's baseline prepared for scenarios: its network, inputs and facility
// reach, with the lookups an incremental recomputation needs. It is immutable and safe
// for concurrent use; build one per baseline reach (Service.Baseline caches the reach per
// city and data version).
type Base struct {
	Net   *Network
	In    *Inputs
	Reach *Reach

	// stretch is the least ratio of walking length to planar length over the edges (at
	// most 1): a walk of length d never leaves the disc of radius d/stretch.
	stretch  float64
	parcel   map[int64]int   // parcel id → index in In.Parcels
	facility map[int64]int   // facility id → index in In.Facilities (not parks)
	park     map[int64][]int // park id → indexes of its access points in In.Facilities
	edge     map[int64]int32 // edge id → edge index in Net.Graph
	facOK    []bool          // facility i has a walkable edge within Reach.MaxSnap
	slot     map[string]int  // category code → index in Reach.Categories
}

// NewBase prepares the baseline (n, in) and its reach r for Apply.
func NewBase(n *Network, in *Inputs, r *Reach) *Base {
	b := &Base{Net: n, In: in, Reach: r, stretch: 1,
		parcel:   make(map[int64]int, len(in.Parcels)),
		facility: make(map[int64]int, len(in.Facilities)),
		park:     map[int64][]int{},
		edge:     make(map[int64]int32, n.Graph.NumEdges()),
		facOK:    make([]bool, len(in.Facilities)),
		slot:     make(map[string]int, len(r.Categories)),
	}
	for i := range in.Parcels {
		b.parcel[in.Parcels[i].ID] = i
	}
	for i := range in.Facilities {
		if f := &in.Facilities[i]; f.Park {
			b.park[f.ID] = append(b.park[f.ID], i)
		} else {
			b.facility[f.ID] = i
		}
		_, b.facOK[i] = n.Index.Attach(in.Facilities[i].Point, r.MaxSnap)
	}
	for e := range int32(n.Graph.NumEdges()) {
		b.edge[n.Graph.EdgeID(e)] = e
		b.stretch = math.Min(b.stretch, stretch(n.Graph.EdgeLength(e), n.Graph.EdgeGeom(e)))
	}
	for k, c := range r.Categories {
		b.slot[c.Code] = k
	}
	return b
}

// stretch is an edge's walking length over its planar length (1 for a degenerate one;
// NewGraph refuses those anyway).
func stretch(length float64, ls orb.LineString) float64 {
	planar := 0.0
	for i := 1; i < len(ls); i++ {
		planar += math.Hypot(ls[i][0]-ls[i-1][0], ls[i][1]-ls[i-1][1])
	}
	if !(planar > 0) || !(length > 0) {
		return 1
	}
	return length / planar
}

// ApplyOptions configures Base.Apply.
type ApplyOptions struct {
	// FullShare: when the (parcel, category) pairs to recompute exceed this share of all
	// pairs, Apply runs ComputeReach on everything instead. 0 means DefaultFullShare; a
	// value ≥ 1 never falls back; a negative value always recomputes everything.
	FullShare float64
	// MaxChanges: above this many changed facilities, changed edges and added parcels,
	// Apply recomputes everything; 0 means DefaultMaxChanges.
	MaxChanges int
	// Workers is the number of concurrent category searches; 0 means GOMAXPROCS.
	Workers int
	// LoadOrder puts the facilities of the result in the order Store.Inputs reads them
	// (facilities by id, then the parks' access points as in the baseline) rather than
	// the baseline's followed by the added ones, so that the nearest facility among
	// equally near ones is the one a fresh load gives (Service follows facility edits so).
	LoadOrder bool
}

// Applied is the network, inputs and facility reach of a baseline plus changes, and what
// computing them took.
type Applied struct {
	Net   *Network
	In    *Inputs
	Reach *Reach
	// Recomputed counts the parcels of In with at least one category recomputed, Pairs
	// the (parcel, category) pairs recomputed; every other pair kept its baseline
	// distance. Full is set when everything was recomputed.
	Recomputed int
	Pairs      int
	Full       bool
	Duration   time.Duration
}

// box is a region of the metric plane: a parcel whose point lies in it (and, when
// disc is set, within radius of centre) may change.
type box struct {
	b      orb.Bound
	disc   bool
	centre orb.Point
	radius float64
}

func (x *box) contains(p orb.Point) bool {
	if !x.b.Contains(p) {
		return false
	}
	return !x.disc || math.Hypot(p[0]-x.centre[0], p[1]-x.centre[1]) <= x.radius
}

func discBox(c orb.Point, r float64) box {
	return box{b: orb.Bound{Min: c, Max: c}.Pad(r), disc: true, centre: c, radius: r}
}

// Apply computes the facility reach of the baseline plus ch, recomputing only the
// (parcel, category) pairs the changes can reach and keeping the baseline distance of
// every other pair. With C the search cutoff, ρ the least walking-to-planar length ratio of
// any edge (old or added) and R = C/ρ + 1 m, a walking distance ≤ C between two points
// implies a straight distance ≤ R, so:
//
//   - a facility added or removed (either side of a modify) changes only its category's
//     distances of parcels within R of it; a park's access points are facilities of
//     CategoryPark, removed together by the park's id (DeleteParks);
//   - an added or closed edge changes only the distances of parcels within R + MaxSnap of
//     it, for every category: those whose walk to a facility can pass it, those it can
//     re-attach (within MaxSnap) and those within R of a facility it can re-attach;
//   - added or modified parcels are computed for every category.
//
// Each category's pairs are then recomputed on the scenario network by one multi-source
// search from the category's facilities that can be within R of them (every other
// facility is farther than C on foot), which gives exactly the distances ComputeReach
// gives on the scenario's network and inputs. When the pairs exceed opt.FullShare of all
// pairs, or the changes opt.MaxChanges, Apply runs ComputeReach itself.
func (b *Base) Apply(ctx context.Context, ch Changes, opt ApplyOptions) (*Applied, error) {
	start := time.Now()
	if opt.FullShare == 0 {
		opt.FullShare = DefaultFullShare
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	r0 := b.Reach
	n1 := b.Net
	if len(ch.AddEdges)+len(ch.CloseEdges) > 0 {
		var err error
		if n1, err = b.Net.With(ch.AddEdges, ch.CloseEdges); err != nil {
			return nil, err
		}
	}
	in1 := b.In.With(ch)
	// src[i] is the baseline index of facility i of in1, -1 for an added one.
	src := make([]int, 0, len(in1.Facilities))
	if len(ch.DeleteFacilities)+len(ch.DeleteParks) == 0 {
		for i := range b.In.Facilities {
			src = append(src, i)
		}
	} else {
		src = append(src, withoutIndexes(b.In.Facilities, ch)...)
	}
	for len(src) < len(in1.Facilities) {
		src = append(src, -1)
	}
	if opt.LoadOrder {
		in1, src = in1.inLoadOrder(src)
	}
	full := func() (*Applied, error) {
		r, err := ComputeReach(ctx, n1, in1, ReachOptions{MaxSnap: r0.MaxSnap, Cutoff: r0.Cutoff, Workers: opt.Workers})
		if err != nil {
			return nil, err
		}
		return &Applied{Net: n1, In: in1, Reach: r, Recomputed: len(in1.Parcels), Pairs: len(in1.Parcels) * len(r.Categories),
			Full: true, Duration: time.Since(start)}, nil
	}
	if opt.MaxChanges <= 0 {
		opt.MaxChanges = DefaultMaxChanges
	}
	changed := len(ch.AddFacilities) + len(ch.DeleteFacilities) + len(ch.AddParcels) + len(ch.AddEdges) + len(ch.CloseEdges)
	for _, id := range ch.DeleteParks {
		changed += len(b.park[id])
	}
	if opt.FullShare < 0 || changed > opt.MaxChanges {
		return full()
	}

	rho := b.stretch
	for _, e := range ch.AddEdges {
		rho = math.Min(rho, stretch(e.Length, e.Geom))
	}
	bound := r0.Cutoff/rho + boundMarginM
	snap := r0.MaxSnap

	// Regions reached by edge changes (every category) and those where a facility may be
	// re-attached.
	var edgeAff, edgeSrc, edgeFac []box
	edgeRegion := func(eb orb.Bound) {
		edgeAff = append(edgeAff, box{b: eb.Pad(bound + snap)})
		edgeSrc = append(edgeSrc, box{b: eb.Pad(2*bound + snap)})
		edgeFac = append(edgeFac, box{b: eb.Pad(snap + boundMarginM)})
	}
	for _, id := range ch.CloseEdges {
		if e, ok := b.edge[id]; ok {
			edgeRegion(b.Net.Graph.EdgeGeom(e).Bound())
		}
	}
	for _, e := range ch.AddEdges {
		if e.Walkable && !e.Barrier {
			edgeRegion(e.Geom.Bound())
		}
	}
	// Regions of each category reached by facility changes, and where their sources lie.
	nk := len(r0.Categories)
	catAff := make([][]box, nk)
	catSrc := make([][]box, nk)
	facRegion := func(f *Facility) {
		if k, ok := b.slot[f.Category]; ok {
			catAff[k] = append(catAff[k], discBox(f.Point, bound))
			catSrc[k] = append(catSrc[k], discBox(f.Point, 2*bound))
		}
	}
	for _, id := range ch.DeleteFacilities {
		if i, ok := b.facility[id]; ok {
			facRegion(&b.In.Facilities[i])
		}
	}
	for _, id := range ch.DeleteParks {
		for _, i := range b.park[id] {
			facRegion(&b.In.Facilities[i])
		}
	}
	for i := range ch.AddFacilities {
		facRegion(&ch.AddFacilities[i])
	}

	// from[p] is the baseline index of scenario parcel p, -1 for an added one (With keeps
	// the baseline parcels in order, minus the deleted ones, and appends the added ones).
	from := make([]int32, len(in1.Parcels))
	if len(ch.AddParcels)+len(ch.DeleteParcels) == 0 {
		for p := range from {
			from[p] = int32(p)
		}
	} else {
		gone := make(map[int64]bool, len(ch.DeleteParcels))
		for _, id := range ch.DeleteParcels {
			gone[id] = true
		}
		p := 0
		for i := range b.In.Parcels {
			if !gone[b.In.Parcels[i].ID] {
				from[p] = int32(i)
				p++
			}
		}
		for ; p < len(from); p++ {
			from[p] = -1
		}
	}

	// The pairs to recompute: aff[k] lists the scenario parcels of category k.
	aff := make([][]int32, nk)
	union := make([]bool, len(in1.Parcels))
	var added []orb.Point
	pairs := 0
	for p := range in1.Parcels {
		pt := in1.Parcels[p].Point
		all := from[p] < 0
		if all {
			added = append(added, pt)
			union[p] = true
		}
		for i := 0; !all && i < len(edgeAff); i++ {
			all = edgeAff[i].contains(pt)
		}
		for k := range nk {
			hit := all
			for i := 0; !hit && i < len(catAff[k]); i++ {
				hit = catAff[k][i].contains(pt)
			}
			if hit {
				aff[k] = append(aff[k], int32(p))
				union[p] = true
				pairs++
			}
		}
	}
	if total := len(in1.Parcels) * nk; total > 0 && float64(pairs) > opt.FullShare*float64(total) {
		return full()
	}

	// Attach the parcels to recompute to the scenario network; every other parcel keeps
	// its baseline attachment (no changed edge lies within MaxSnap of it).
	r1 := &Reach{Cutoff: r0.Cutoff, MaxSnap: snap, Categories: r0.Categories, Dist: make([][]float64, nk),
		Nearest: make([][]int32, nk), Attached: make([]bool, len(in1.Parcels)), Facilities: make([]FacilityCount, nk)}
	att := make(map[int32]network.Attachment)
	recomputed := 0
	for p := range in1.Parcels {
		if union[p] {
			recomputed++
			a, ok := n1.Index.Attach(in1.Parcels[p].Point, snap)
			r1.Attached[p] = ok
			if ok {
				att[int32(p)] = a
			}
		} else {
			r1.Attached[p] = r0.Attached[from[p]]
		}
	}
	for p, ok := range r1.Attached {
		if !ok {
			r1.Unattached.Parcels++
			r1.Unattached.AreaM2 += in1.Parcels[p].AreaM2
			r1.Unattached.Population += in1.Parcels[p].Population
		}
	}

	// Facility counts, and the sources of every category with pairs to recompute.
	sources := make([][]network.Source, nk)
	srcFac := make([][]int32, nk)
	for i := range in1.Facilities {
		f := &in1.Facilities[i]
		k, ok := b.slot[f.Category]
		if !ok {
			continue
		}
		r1.Facilities[k].Total++
		isSource := false
		for j := 0; !isSource && len(aff[k]) > 0 && j < len(edgeSrc); j++ {
			isSource = edgeSrc[j].contains(f.Point)
		}
		for j := 0; !isSource && j < len(catSrc[k]); j++ {
			isSource = catSrc[k][j].contains(f.Point)
		}
		for j := 0; !isSource && len(aff[k]) > 0 && j < len(added); j++ {
			isSource = math.Hypot(f.Point[0]-added[j][0], f.Point[1]-added[j][1]) <= bound
		}
		// A baseline facility away from every changed edge keeps its attachment.
		reattach := isSource || src[i] < 0
		for j := 0; !reattach && j < len(edgeFac); j++ {
			reattach = edgeFac[j].contains(f.Point)
		}
		attached := false
		if reattach {
			var a network.Attachment
			if a, attached = n1.Index.Attach(f.Point, snap); attached && isSource && len(aff[k]) > 0 {
				sources[k] = append(sources[k], network.AtPoint(a))
				srcFac[k] = append(srcFac[k], int32(i))
			}
		} else {
			attached = b.facOK[src[i]]
		}
		if !attached {
			r1.Facilities[k].Unattached++
		}
	}

	// Distances: the baseline's, remapped to the scenario's parcels, with the pairs to
	// recompute replaced by a search on the scenario network.
	// The nearest facilities likewise, their baseline indexes mapped to the scenario's
	// (a kept pair's facility is never a removed one: its parcel would be recomputed).
	sameParcels := len(ch.AddParcels)+len(ch.DeleteParcels) == 0
	sameFacilities := true // every baseline facility keeps its index
	facTo := make([]int32, len(b.In.Facilities))
	for i := range facTo {
		facTo[i] = -1
	}
	for i, j := range src {
		if j >= 0 {
			facTo[j] = int32(i)
		}
	}
	for j, i := range facTo {
		sameFacilities = sameFacilities && i == int32(j)
	}
	for k := range nk {
		if sameParcels && len(aff[k]) == 0 {
			r1.Dist[k] = r0.Dist[k] // immutable, shared
			if sameFacilities {
				r1.Nearest[k] = r0.Nearest[k]
				continue
			}
		}
		near := make([]int32, len(in1.Parcels))
		for p, i := range from {
			near[p] = -1
			if i >= 0 && r0.Nearest[k][i] >= 0 {
				near[p] = facTo[r0.Nearest[k][i]]
			}
		}
		r1.Nearest[k] = near
		if sameParcels && len(aff[k]) == 0 {
			continue
		}
		d := make([]float64, len(in1.Parcels))
		for p, i := range from {
			if i >= 0 {
				d[p] = r0.Dist[k][i]
			} else {
				d[p] = math.Inf(1)
			}
		}
		r1.Dist[k] = d
	}
	err := n1.eachSearch(ctx, opt.Workers, nk, func(k int) bool { return len(aff[k]) > 0 }, func(s *network.Searcher, k int) error {
		d, near := r1.Dist[k], r1.Nearest[k]
		if len(sources[k]) == 0 {
			for _, p := range aff[k] {
				d[p], near[p] = math.Inf(1), -1
			}
			return nil
		}
		if err := s.Run(sources[k], r0.Cutoff); err != nil {
			return fmt.Errorf("walk: category %s: %w", r0.Categories[k].Code, err)
		}
		for _, p := range aff[k] {
			d[p], near[p] = math.Inf(1), -1
			if a, ok := att[p]; ok {
				d[p], near[p] = nearest(s, a, srcFac[k])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d := time.Since(start)
	r1.ComputeMS = float64(d.Microseconds()) / 1000
	return &Applied{Net: n1, In: in1, Reach: r1, Recomputed: recomputed, Pairs: pairs, Duration: d}, nil
}

// inLoadOrder returns in with its facilities in the order Store.Inputs reads them —
// facilities (not parks) by id, then the parks' access points in their order in in — and
// src permuted alike.
func (in *Inputs) inLoadOrder(src []int) (*Inputs, []int) {
	ix := make([]int, len(in.Facilities))
	for i := range ix {
		ix[i] = i
	}
	fs := in.Facilities
	sort.SliceStable(ix, func(a, b int) bool {
		fa, fb := &fs[ix[a]], &fs[ix[b]]
		if fa.Park != fb.Park {
			return !fa.Park
		}
		return !fa.Park && fa.ID < fb.ID
	})
	out := *in
	out.Facilities = make([]Facility, len(ix))
	src1 := make([]int, len(ix))
	for k, i := range ix {
		out.Facilities[k], src1[k] = fs[i], src[i]
	}
	return &out, src1
}

// withoutIndexes returns the indexes of the facilities of fs that withoutFacilities keeps.
func withoutIndexes(fs []Facility, ch Changes) []int {
	gone := make(map[int64]bool, len(ch.DeleteFacilities))
	for _, d := range ch.DeleteFacilities {
		gone[d] = true
	}
	goneParks := make(map[int64]bool, len(ch.DeleteParks))
	for _, d := range ch.DeleteParks {
		goneParks[d] = true
	}
	out := make([]int, 0, len(fs))
	for i, f := range fs {
		if (f.Park && !goneParks[f.ID]) || (!f.Park && !gone[f.ID]) {
			out = append(out, i)
		}
	}
	return out
}

// ScenarioRun describes how a scenario's figures were computed.
type ScenarioRun struct {
	ID int64 `json:"id"`
	// Recomputed counts the parcels whose distances were recomputed, Pairs the (parcel,
	// category) pairs; Full is set when everything was.
	Recomputed int     `json:"recomputed_parcels"`
	Pairs      int     `json:"recomputed_pairs"`
	Full       bool    `json:"full_recomputation"`
	ComputeMS  float64 `json:"compute_ms"`
}

// ScenarioReport is the living-circle indicator on a scenario applied to a baseline.
// Tier overrides beyond the reach's cutoff need a search to the larger cutoff on the
// scenario's network and inputs.
func ScenarioReport(ctx context.Context, a *Applied, opt Options) (*Report, error) {
	n, in, r, err := reachFor(ctx, a.Net, a.In, a.Reach, &opt, a.Reach.MaxSnap)
	if err != nil {
		return nil, err
	}
	return Indicator(n, in, r, opt)
}

// ScenarioParcels is Parcels on a scenario applied to a baseline.
func ScenarioParcels(ctx context.Context, a *Applied, opt Options, q ParcelQuery) (*ParcelPage, error) {
	_, in, r, err := reachFor(ctx, a.Net, a.In, a.Reach, &opt, a.Reach.MaxSnap)
	if err != nil {
		return nil, err
	}
	return Parcels(in, r, opt, q)
}
