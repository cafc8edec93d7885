package coverage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// Watcher tells the service which input tables had edits, so that an unchanged city's data
// version needs no reading (citydata.Watcher: the tile service's LISTEN connection).
type Watcher = citydata.Watcher

// diffTables are the input tables whose edits a city's state applies row by row; an edit
// of another input table (the districts, 街道 and communities) reloads the city.
var diffTables = []string{"parks", "park_entrances", "residential_land", "network_edges"}

// MaxDiffShare is the largest share of a city's parcels, parks or edges an edit may change
// and still be applied to the kept state; a larger change (an import) reloads the city.
const MaxDiffShare = 0.05

// cityState is one city's data as of one data version, with the results computed on it.
// It is replaced, never changed, when the data changes, but for results, which are added
// under the city's lock.
type cityState struct {
	snap *Snapshot
	dv   DataVersion
	// rows are the row hashes (citydata.ReadRows) of diffTables, by id; entrancePark maps
	// each entrance to its park, so that a deleted entrance names the park it changes.
	rows         map[string]map[int64]int64
	entrancePark map[int64]int64
	// watched is the Watcher's state when dv was read (ok false: none).
	epoch   uint64
	gens    []uint64
	watched bool
	// results are the results on snap by resultKey, with the run each is stored as.
	results map[string]liveResult
	// from is the state this one was derived from by changes (nil after a full load):
	// a result of from is brought forward with Result.Apply instead of computed afresh.
	from    *cityState
	changes Changes
}

type liveResult struct {
	res   *Result
	runID int64
	// gaps is the run's gap storage when this process does it (nil: stored before).
	gaps *persisting
}

// liveCity serialises the refreshes of one city.
type liveCity struct {
	mu sync.Mutex
	st *cityState
}

func resultKey(cal caliber.Caliber, method string) string {
	return cal.ID + "\x00" + string(cal.Digest()) + "\x00" + method
}

func (s *Service) liveCity(city string) *liveCity {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil {
		s.live = map[string]*liveCity{}
	}
	lc := s.live[city]
	if lc == nil {
		lc = &liveCity{}
		s.live[city] = lc
	}
	return lc
}

// watched returns the Watcher's state after a barrier, ok false when there is none or
// it is not live.
func (s *Service) watched(ctx context.Context) (epoch uint64, gens []uint64, ok bool) {
	if s.Watch == nil || s.Watch.Sync(ctx) != nil {
		return 0, nil, false
	}
	return s.Watch.Generations(inputTables)
}

// unchanged reports whether st is still the city's data: the Watcher has seen no edit of
// an input table since st was read.
func (st *cityState) unchanged(epoch uint64, gens []uint64, ok bool) bool {
	return ok && st != nil && st.watched && st.epoch == epoch && slices.Equal(st.gens, gens)
}

// version returns the city's current data version: the kept state's when the Watcher
// saw no edit since it was read, otherwise read from the database.
func (s *Service) version(ctx context.Context, city string, cityID int) (DataVersion, error) {
	lc := s.liveCity(city)
	epoch, gens, ok := s.watched(ctx)
	lc.mu.Lock()
	st := lc.st
	lc.mu.Unlock()
	if st.unchanged(epoch, gens, ok) {
		return st.dv, nil
	}
	if ok && st != nil && st.watched {
		// Edited since: bring the kept state forward now (reading only what changed)
		// rather than reading every table's version and then the changes.
		st, err := s.state(ctx, s.Store.Pool, city)
		if err != nil {
			return DataVersion{}, err
		}
		return st.dv, nil
	}
	// Read strong when the Watcher is live, as state would be (readTx).
	return s.Store.version(ctx, cityID, ok)
}

// state returns the city's state at its current data version, read on c (on a replica
// with Store.Strong and Reads, see readTx): the kept one when nothing changed, the kept one with the changed rows applied when the edit touched
// only diffTables and few rows, or a full load.
func (s *Service) state(ctx context.Context, c db, slug string) (*cityState, error) {
	lc := s.liveCity(slug)
	epoch, gens, ok := s.watched(ctx)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.st.unchanged(epoch, gens, ok) {
		return lc.st, nil
	}
	t := time.Now()
	old := lc.st
	var st *cityState
	var full bool
	// Kept under the Watcher's gens (ok), the state is read strong: on a replica, the
	// transaction waits until the replica has replayed every write committed before it
	// began, so the state holds every edit the Watcher counted in gens (and perhaps later
	// ones) and is never older than its gens say. Without a Watcher it is never taken as
	// current (unchanged is false), so reading one with the client's own writes is enough.
	// Either way its dv is read in the snapshot its rows are read in.
	err := s.Store.readTx(ctx, c, ok, func(tx pgx.Tx) error {
		st, full = nil, false
		id, name, srid, err := city(ctx, tx, slug)
		if err != nil {
			return err
		}
		dv, err := s.readVersion(ctx, tx, id, old, epoch, gens, ok)
		if err != nil {
			return err
		}
		switch {
		case old != nil && old.snap.CityID == id && old.dv.Hash == dv.Hash:
			cp := *old
			st = &cp
		case old != nil && old.snap.CityID == id:
			if st, err = s.Store.advance(ctx, tx, old, dv, s.Graphs); err != nil {
				return err
			}
		}
		if full = st == nil; full {
			st, err = s.Store.loadState(ctx, tx, &Snapshot{CityID: id, City: slug, CityName: name, MetricSRID: srid}, dv, s.Graphs)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	st.epoch, st.gens, st.watched = epoch, gens, ok
	if st.results == nil {
		st.results = map[string]liveResult{}
	}
	trim(st)
	lc.st = st
	if st.dv.Hash == old.dvHash() {
		return st, nil
	}
	if full && s.ObserveLoad != nil {
		s.ObserveLoad(time.Since(t))
	}
	if s.Log != nil {
		s.Log.Info("coverage snapshot loaded", "city", slug, "parcels", len(st.snap.Parcels), "parks", len(st.snap.Parks),
			"incremental", !full, "ms", time.Since(t).Milliseconds())
	}
	return st, nil
}

// readVersion reads the city's data version in tx: only the parts of the tables the
// Watcher saw edited since old was read when it watched old (the others are as they were:
// every edit committed before the barrier has been counted), else every part.
func (s *Service) readVersion(ctx context.Context, tx pgx.Tx, cityID int, old *cityState, epoch uint64, gens []uint64, ok bool) (DataVersion, error) {
	if !ok || old == nil || !old.watched || old.epoch != epoch || old.snap.CityID != cityID {
		return citydata.Read(ctx, tx, cityID, inputTables...)
	}
	var dirty []string
	for i, t := range inputTables {
		if gens[i] != old.gens[i] {
			dirty = append(dirty, t)
		}
	}
	if len(dirty) == 0 {
		return old.dv, nil
	}
	fresh, err := citydata.Read(ctx, tx, cityID, dirty...)
	if err != nil {
		return fresh, err
	}
	parts := make(map[string]citydata.TableVersion, len(old.dv.Tables))
	for t, tv := range old.dv.Tables {
		parts[t] = tv
	}
	for t, tv := range fresh.Tables {
		parts[t] = tv
	}
	return citydata.Combine(parts), nil
}

func (st *cityState) dvHash() string {
	if st == nil {
		return ""
	}
	return st.dv.Hash
}

// loadState reads the whole snapshot snap and the row hashes of its diffTables in tx,
// which read dv; the walking graph is graphs' (load).
func (s Store) loadState(ctx context.Context, tx pgx.Tx, snap *Snapshot, dv DataVersion, graphs *walkgraph.Cache) (*cityState, error) {
	st := &cityState{snap: snap, dv: dv, rows: map[string]map[int64]int64{}}
	for _, t := range diffTables {
		tv, rows, err := citydata.ReadRows(ctx, tx, snap.CityID, t)
		if err != nil {
			return nil, err
		}
		if !samePart(tv, dv.Tables[t]) {
			return nil, fmt.Errorf("coverage: %s read as %+v, its version says %+v", t, tv, dv.Tables[t])
		}
		st.rows[t] = rows
	}
	var err error
	if st.entrancePark, err = entranceParks(ctx, tx, snap.CityID); err != nil {
		return nil, err
	}
	return st, load(ctx, tx, snap, graphs, dv)
}

func entranceParks(ctx context.Context, q querier, cityID int) (map[int64]int64, error) {
	rows, err := q.Query(ctx, `SELECT id, park_id FROM park_entrances WHERE city_id = $1`, cityID)
	if err != nil {
		return nil, err
	}
	out := map[int64]int64{}
	for rows.Next() {
		var id, park int64
		if err := rows.Scan(&id, &park); err != nil {
			return nil, err
		}
		out[id] = park
	}
	return out, rows.Err()
}

// advance returns old brought to data version dv by the rows that changed, read in tx,
// or nil when the change is not one to apply (an edit of the areas, or too many rows).
// Changed edges make the new walking graph expected in graphs under dv's version of the
// edges and as old's graph with the changes: one graph for this service's Apply and for the
// living circle's load of that version.
func (s Store) advance(ctx context.Context, tx pgx.Tx, old *cityState, dv DataVersion, graphs *walkgraph.Cache) (*cityState, error) {
	var dirty []string
	for t, tv := range dv.Tables {
		if !samePart(old.dv.Tables[t], tv) {
			if !slices.Contains(diffTables, t) {
				return nil, nil
			}
			dirty = append(dirty, t)
		}
	}
	id := old.snap.CityID
	st := &cityState{snap: old.snap, dv: dv, rows: map[string]map[int64]int64{}, entrancePark: old.entrancePark, from: old}
	for t, r := range old.rows {
		st.rows[t] = r
	}
	changed := map[string][]int64{} // added, modified or deleted ids by table
	for _, t := range dirty {
		tv, rows, err := citydata.ReadRows(ctx, tx, id, t)
		if err != nil {
			return nil, err
		}
		if !samePart(tv, dv.Tables[t]) {
			return nil, fmt.Errorf("coverage: %s read as %+v, its version says %+v", t, tv, dv.Tables[t])
		}
		prev := old.rows[t]
		for rid, h := range rows {
			if ph, ok := prev[rid]; !ok || ph != h {
				changed[t] = append(changed[t], rid)
			}
		}
		for rid := range prev {
			if _, ok := rows[rid]; !ok {
				changed[t] = append(changed[t], rid)
			}
		}
		st.rows[t] = rows
	}
	snap := old.snap
	if float64(len(changed["residential_land"])) > MaxDiffShare*float64(len(snap.Parcels)+1) ||
		float64(len(changed["parks"])+len(changed["park_entrances"])) > MaxDiffShare*float64(len(snap.Parks)+1)+20 ||
		float64(len(changed["network_edges"])) > MaxDiffShare*float64(len(snap.Edges)+1) {
		return nil, nil
	}
	parks := slices.Clone(changed["parks"])
	if ents := changed["park_entrances"]; len(ents) > 0 {
		now, err := entranceParks(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			for _, m := range []map[int64]int64{old.entrancePark, now} {
				if p, ok := m[e]; ok {
					parks = append(parks, p)
				}
			}
		}
		st.entrancePark = now
	}
	var ch Changes
	var err error
	if len(parks) > 0 {
		slices.Sort(parks)
		parks = slices.Compact(parks)
		ch.DeleteParks = parks
		if ch.AddParks, err = loadParks(ctx, tx, id, parks); err != nil {
			return nil, err
		}
	}
	if ids := changed["residential_land"]; len(ids) > 0 {
		ch.DeleteParcels = ids
		if ch.AddParcels, err = loadParcels(ctx, tx, id, ids); err != nil {
			return nil, err
		}
	}
	if ids := changed["network_edges"]; len(ids) > 0 {
		// An edit of a barrier, or of a street crossing one, moves the lines that cut the
		// service areas of calibers with barriers: the city is then reloaded.
		nb, err := loadBarriers(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if !slices.EqualFunc(nb, snap.Barriers, func(a, b orb.LineString) bool { return slices.Equal(a, b) }) {
			return nil, nil
		}
		ch.DeleteEdges = ids
		if ch.AddEdges, err = walkgraph.Edges(ctx, tx, id, ids); err != nil {
			return nil, err
		}
		if ch.Steps, err = loadSteps(ctx, tx, id, ids); err != nil {
			return nil, err
		}
	}
	st.changes = ch
	st.snap = snap.WithAssigned(ch).sortedByID()
	v, ok := walkgraph.VersionOf(dv)
	if ok && graphs != nil && len(ch.DeleteEdges)+len(ch.AddEdges) > 0 {
		// The new graph is old's with ch's edges (what Apply derives) and the new
		// version's (what the living circle loads): built once, when first asked for.
		if v0, ok := walkgraph.VersionOf(old.dv); ok {
			graphs.Expect(id, v0, ch.AddEdges, ch.DeleteEdges, v, st.snap.Edges)
		}
		st.snap.net = sharedHolder(graphs, id, v, st.snap.Edges) // st.snap is not published yet
	}
	return st, nil
}

// sortedByID returns s with its parks, parcels and edges in id order, as a full load
// reads them (so sums over them are made in the same order), keeping s's assignment.
func (s *Snapshot) sortedByID() *Snapshot {
	a := s.assignment()
	out := &Snapshot{CityID: s.CityID, City: s.City, CityName: s.CityName, MetricSRID: s.MetricSRID, Areas: s.Areas, Barriers: s.Barriers, Steps: s.Steps}
	pp := order(len(s.Parcels), func(i int) int64 { return s.Parcels[i].ID })
	kp := order(len(s.Parks), func(i int) int64 { return s.Parks[i].ID })
	out.Parcels, out.Parks, out.Edges = permute(s.Parcels, pp), permute(s.Parks, kp), s.Edges
	if pp == nil {
		out.shareBounds(s)
	}
	if !slices.IsSortedFunc(s.Edges, func(a, b network.Edge) int { return cmp.Compare(a.ID, b.ID) }) {
		out.Edges = slices.Clone(s.Edges)
		slices.SortFunc(out.Edges, func(a, b network.Edge) int { return cmp.Compare(a.ID, b.ID) })
	} else {
		out.net = s.netShared() // the same edges in the same order: the same graph
	}
	out.assignOnce.Do(func() {
		out.assign.parcel, out.assign.park = permute(a.parcel, pp), permute(a.park, kp)
	})
	return out
}

// order returns the indexes 0..n-1 sorted by id (stable: ids are unique), or nil when
// they are in id order already.
func order(n int, id func(int) int64) []int {
	sorted := true
	for i := 1; i < n && sorted; i++ {
		sorted = id(i-1) < id(i)
	}
	if sorted {
		return nil
	}
	ix := make([]int, n)
	for i := range ix {
		ix[i] = i
	}
	slices.SortFunc(ix, func(a, b int) int { return cmp.Compare(id(a), id(b)) })
	return ix
}

// permute returns xs in the order ix, or xs itself (shared, never modified in place: the
// full slice expression makes an append copy) when ix is nil.
func permute[T any](xs []T, ix []int) []T {
	if ix == nil {
		return xs[:len(xs):len(xs)]
	}
	out := make([]T, len(ix))
	for k, i := range ix {
		out[k] = xs[i]
	}
	return out
}

// onSnapshot returns r's figures on snap, which holds the same parcels (by id) as r's
// snapshot, possibly in another order: the per-parcel areas and gaps are looked up by
// id and the totals summed in snap's order.
func (r *Result) onSnapshot(snap *Snapshot) *Result {
	if sameParcels(r.snapshot, snap) {
		// The same parcels in the same order: the figures are shared (a Result is never
		// modified once made), not copied.
		return r.withFigures(snap, r.Covered, r.Gaps, true)
	}
	at := make(map[int64]int, len(r.snapshot.Parcels))
	for i := range r.snapshot.Parcels {
		at[r.snapshot.Parcels[i].ID] = i
	}
	covered := make([]float64, len(snap.Parcels))
	var gaps []orb.MultiPolygon
	if r.Gaps != nil {
		gaps = make([]orb.MultiPolygon, len(snap.Parcels))
	}
	for j := range snap.Parcels {
		i := at[snap.Parcels[j].ID]
		covered[j] = r.Covered[i]
		if gaps != nil {
			gaps[j] = r.Gaps[i]
		}
	}
	return r.withFigures(snap, covered, gaps, false)
}

// withFigures is onSnapshot's result: r's parameters on snap with covered and gaps (in
// snap.Parcels order); same says they are r's figures on r's parcels in r's order, whose
// totals, summed in that order, are r's.
func (r *Result) withFigures(snap *Snapshot, covered []float64, gaps []orb.MultiPolygon, same bool) *Result {
	var out *Result
	if same && r.weight == nil {
		out = &Result{Caliber: r.Caliber, Method: r.Method, snapshot: snap, Covered: covered, Gaps: gaps,
			CoveredM2: r.CoveredM2, TotalM2: r.TotalM2, Population: r.Population, CoveredPopulation: r.CoveredPopulation}
	} else {
		out = Assemble(snap, r.Caliber, r.Method, covered, gaps)
	}
	out.Parameters, out.Duration, out.surfaces, out.reach = r.Parameters, r.Duration, r.surfaces, r.reach
	for i := range snap.Parks {
		if rad, ok := r.Caliber.Radius(snap.Parks[i].Facts()); ok {
			out.Parks = append(out.Parks, CountedPark{Index: i, ID: snap.Parks[i].ID, RadiusM: rad})
		}
	}
	return out
}

// resultOn returns the result of cal and method on st, computing it when st has none:
// brought forward from the state st was derived from (Result.Apply on the changes; the
// ids of the parcels recomputed, and the run whose other gaps still hold, are returned
// for Save), or in full. It is called with the city's run lock held.
func (s *Service) resultOn(ctx context.Context, st *cityState, q Query, cal caliber.Caliber) (res *Result, reuse *gapReuse, err error) {
	key := resultKey(cal, q.keyMethod())
	if lr, ok := s.kept(st, key); ok {
		return lr.res, nil, nil
	}
	if base, chain := s.forwardable(st, key); base != nil {
		t := time.Now()
		cur := base.res
		skip := map[int64]bool{}
		for _, ch := range chain {
			next, affected, err := cur.Apply(ctx, ch)
			if err != nil {
				return nil, nil, err
			}
			for _, i := range affected {
				skip[next.snapshot.Parcels[i].ID] = true
			}
			for _, id := range ch.DeleteParcels {
				skip[id] = true
			}
			cur = next
		}
		cur.Duration = time.Since(t)
		res = cur.onSnapshot(st.snap)
		res.Duration = time.Since(t)
		if base.runID != 0 {
			reuse = &gapReuse{run: base.runID, skip: skip, after: base.gaps}
		}
		s.observe(q, cal, res)
		return res, reuse, nil
	}
	res, err = s.compute(ctx, st.snap, q, cal)
	return res, nil, err
}

// kept returns st's result under key.
func (s *Service) kept(st *cityState, key string) (liveResult, bool) {
	lc := s.liveCity(st.snap.City)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	lr, ok := st.results[key]
	return lr, ok
}

// forwardable returns the newest earlier state's result under key and the changes from
// it to st, oldest first; nil when no earlier state has one.
func (s *Service) forwardable(st *cityState, key string) (*liveResult, []Changes) {
	lc := s.liveCity(st.snap.City)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var chain []Changes
	for cur := st; cur.from != nil && len(chain) < maxChain; cur = cur.from {
		chain = append([]Changes{cur.changes}, chain...)
		if lr, ok := cur.from.results[key]; ok && lr.res.Gaps != nil {
			return &lr, chain
		}
	}
	return nil, nil
}

// keep records res, stored as run, on st and lets the older states go.
func (s *Service) keep(st *cityState, key string, res *Result, run int64, gaps *persisting) {
	lc := s.liveCity(st.snap.City)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	st.results[key] = liveResult{res: res, runID: run, gaps: gaps}
}

// maxChain is how many earlier states holding a result the chain keeps; older ones are let
// go.
const maxChain = 8

// trim keeps st's chain of earlier states short, with the city's lock held: an earlier
// state none of whose results is still wanted (every key has a result on a newer state)
// is spliced out, its changes composed into those of the state after it, so a result
// stays reachable however many edits of other calibers or methods came since; beyond
// maxChain states holding results the older ones are let go.
func trim(st *cityState) {
	seen := map[string]bool{}
	for k := range st.results {
		seen[k] = true
	}
	kept := 0
	for cur := st; cur.from != nil; {
		prev := cur.from
		wanted := false
		for k := range prev.results {
			wanted = wanted || !seen[k]
		}
		switch {
		case !wanted && prev.from == nil:
			cur.from = nil
		case !wanted:
			cur.changes = composeChanges(prev.changes, cur.changes)
			cur.from = prev.from
		case kept == maxChain:
			cur.from = nil
		default:
			for k := range prev.results {
				seen[k] = true
			}
			kept++
			cur = prev
		}
	}
}

// composeChanges returns the changes that make a then b.
func composeChanges(a, b Changes) Changes {
	var out Changes
	out.DeleteParks, out.AddParks = composeKind(a.DeleteParks, a.AddParks, b.DeleteParks, b.AddParks, func(p Park) int64 { return p.ID })
	out.DeleteParcels, out.AddParcels = composeKind(a.DeleteParcels, a.AddParcels, b.DeleteParcels, b.AddParcels, func(p Parcel) int64 { return p.ID })
	out.DeleteEdges, out.AddEdges = composeKind(a.DeleteEdges, a.AddEdges, b.DeleteEdges, b.AddEdges, func(e network.Edge) int64 { return e.ID })
	// The steps flag of an added edge is that of its latest version.
	steps := map[int64]bool{}
	for _, id := range a.Steps {
		steps[id] = true
	}
	for _, e := range b.AddEdges {
		steps[e.ID] = slices.Contains(b.Steps, e.ID)
	}
	for _, e := range out.AddEdges {
		if steps[e.ID] {
			out.Steps = append(out.Steps, e.ID)
		}
	}
	return out
}

// composeKind composes the deletes and adds of one kind of feature: every id either
// deletes (from the snapshot before a; an id a added is not there, and With ignores it),
// and the latest version of each id added and not deleted since.
func composeKind[T any](delA []int64, addA []T, delB []int64, addB []T, id func(T) int64) ([]int64, []T) {
	if len(delA)+len(addA) == 0 {
		return delB, addB
	}
	if len(delB)+len(addB) == 0 {
		return delA, addA
	}
	latest := map[int64]int{} // id → index into adds, -1 when deleted since
	var adds []T
	for _, x := range addA {
		latest[id(x)] = len(adds)
		adds = append(adds, x)
	}
	for _, d := range delB {
		if _, ok := latest[d]; ok {
			latest[d] = -1
		}
	}
	for _, x := range addB {
		latest[id(x)] = len(adds)
		adds = append(adds, x)
	}
	var out []T
	for k, x := range adds {
		if latest[id(x)] == k {
			out = append(out, x)
		}
	}
	del := append(slices.Clone(delA), delB...)
	slices.Sort(del)
	return slices.Compact(del), out
}

// samePart compares two readings of a table's part of the version as the hash does.
func samePart(a, b citydata.TableVersion) bool { return a.Rows == b.Rows && a.Digest == b.Digest }

// Warm loads the city's snapshot and walking graph and brings its default caliber's
// figures (with the caliber's method) into memory, computing and storing the run unless
// it is stored, so that the first request and the first edit after start-up pay for
// neither. cityreach serve calls it for every city in the background.
func (s *Service) Warm(ctx context.Context, slug string) error {
	q := Query{City: slug}
	cal, err := s.Validate(ctx, &q)
	if err != nil {
		return err
	}
	c, err := s.Store.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	st, err := s.state(ctx, c, slug)
	c.Release()
	if err != nil {
		return err
	}
	st.snap.assignment() // districts, 街道 and communities of every parcel, kept across edits
	if len(st.snap.Edges) > 0 {
		if _, err := st.snap.walkNet(); err != nil {
			return err
		}
	}
	rep, err := s.Indicator(ctx, q)
	if err != nil {
		return err
	}
	key := resultKey(cal, q.keyMethod())
	if _, ok := s.kept(st, key); ok || rep.Run.DataHash != st.dv.Hash {
		return nil
	}
	// The run was stored before start-up: compute its per-parcel result to edit from.
	res, err := s.compute(ctx, st.snap, q, cal)
	if err != nil {
		return err
	}
	s.keep(st, key, res, rep.Run.ID, nil)
	return nil
}

// Cities lists the slugs of every city, for Warm.
func (s Store) Cities(ctx context.Context) ([]string, error) {
	cities, err := citydata.List(ctx, s.Pool)
	slugs := make([]string, len(cities))
	for i, c := range cities {
		slugs[i] = c.Slug
	}
	return slugs, err
}
