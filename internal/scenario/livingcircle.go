package scenario

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/openness"
	"github.com/cityreach/cityreach/internal/walk"
)

// WalkLivingCircle is the LivingCircle of internal/walk: the 15-minute living circle on a
// city's baseline (walk.Service.Baseline, cached per city and data version) plus a
// scenario's facility, residential-land and network-edge changes, recomputing only the
// (parcel, category) pairs the changes can reach (walk.Base.Apply). Parks and squares
// are the category park_square: a park added, modified or deleted (with its entrances)
// replaces the park's access points, and so does an edge change crossing the boundary of
// a park without recorded entrances (parkChanges). It is safe for concurrent use.
type WalkLivingCircle struct {
	Walk  *walk.Service
	Store *Store
	// FullShare is passed to walk.ApplyOptions: above this share of all pairs, everything
	// is recomputed (0 means walk.DefaultFullShare).
	FullShare float64

	mu    sync.Mutex
	bases map[int]*lcBaseline // by city id
}

// lcBaseline is one city's baseline prepared for scenarios, with its figures at every
// level under the default options (what Compare sets the scenario against).
type lcBaseline struct {
	base    *walk.Base
	reports map[string]*walk.Report
}

// baseline returns the prepared baseline of sc's city, rebuilt when walk's cached reach
// changes (any edit of the network, facilities, residential land or areas).
func (w *WalkLivingCircle) baseline(ctx context.Context, sc *Scenario) (*lcBaseline, error) {
	city, err := w.Walk.City(ctx, sc.City)
	if err != nil {
		return nil, err
	}
	n, in, r, err := w.Walk.Baseline(ctx, city)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if b := w.bases[city.ID]; b != nil && b.base.Reach == r {
		return b, nil
	}
	reps, err := walk.IndicatorLevels(n, in, r, walk.Options{}, allLevels)
	if err != nil {
		return nil, err
	}
	b := &lcBaseline{base: walk.NewBase(n, in, r), reports: map[string]*walk.Report{}}
	for i, l := range allLevels {
		b.reports[l] = reps[i]
	}
	if w.bases == nil {
		w.bases = map[int]*lcBaseline{}
	}
	w.bases[city.ID] = b
	return b, nil
}

var allLevels = []string{walk.LevelCity, walk.LevelDistrict, walk.LevelSubdistrict, walk.LevelCommunity}

// apply computes the facility reach of sc's city plus its changes.
func (w *WalkLivingCircle) apply(ctx context.Context, sc *Scenario, b *lcBaseline) (*walk.Applied, error) {
	ch, err := w.changes(ctx, sc, b.base.In.City)
	if err != nil {
		return nil, err
	}
	return b.base.Apply(ctx, ch, walk.ApplyOptions{FullShare: w.FullShare})
}

// Changes is what sc changes on the walking network and its inputs, as the living circle
// sees it (WalkChanges, parkChanges): what isochrones and the capacity indicator walk on
// a scenario.
func (w *WalkLivingCircle) Changes(ctx context.Context, sc *Scenario) (walk.Changes, error) {
	city, err := w.Walk.City(ctx, sc.City)
	if err != nil {
		return walk.Changes{}, err
	}
	return w.changes(ctx, sc, city)
}

func (w *WalkLivingCircle) changes(ctx context.Context, sc *Scenario, city walk.City) (walk.Changes, error) {
	pts, err := w.Store.changePoints(ctx, sc.ID)
	if err != nil {
		return walk.Changes{}, err
	}
	ch := WalkChanges(sc.Changes, pts)
	err = w.parkChanges(ctx, sc.Changes, city, &ch)
	return ch, err
}

// parkChanges adds the scenario's parks to ch as walk sees them once promoted: every park
// a change touches loses its access points (DeleteParks) and, when it is still open or
// shared, gets those of its final version (walk.Store.ParkPoints: the entrances last given
// with the park in the scenario, else its recorded ones, else the points where the
// scenario's walkable edges cross its boundary, else its point on surface); every baseline
// park without recorded entrances whose boundary a closed or added edge crosses has its
// access points derived again on the scenario's network. ch's edges must be final.
func (w *WalkLivingCircle) parkChanges(ctx context.Context, changes []Change, city walk.City, ch *walk.Changes) error {
	// The entrances given last for each park (a delete forgets them: a park added again
	// under another id starts without).
	given := map[int64][]orb.Point{}
	for i := range changes {
		c := &changes[i]
		if c.Layer != "parks" {
			continue
		}
		switch {
		case c.Op == OpDelete:
			delete(given, c.FeatureID())
		case c.HasEntrances:
			given[c.FeatureID()] = c.EntrancesM
		}
	}
	f := resolve(changes)
	final := f["parks"]
	gateCh := f["park_entrances"]
	// The parks whose gates a park_entrances change touches, before or after it.
	var baseGates []int64
	for gid := range gateCh {
		if gid > 0 {
			baseGates = append(baseGates, gid)
		}
	}
	gatePark, err := w.Walk.Store.GateParks(ctx, city.ID, baseGates)
	if err != nil {
		return err
	}
	regated := map[int64]bool{}
	for gid, c := range gateCh {
		if p, ok := gatePark[gid]; ok {
			regated[p] = true
		}
		if c != nil {
			regated[int64(number(c.Resolved, "park_id"))] = true
		}
	}
	ids := sortedIDs(final) // baseline parks first by id, then added parks in change order
	var sites []walk.ParkSite
	var touched, recorded []int64
	for _, id := range ids {
		if id > 0 {
			touched = append(touched, id)
			ch.DeleteParks = append(ch.DeleteParks, id)
		}
		c := final[id]
		if c == nil {
			continue
		}
		status := str(c.Resolved, "open_status")
		if status == "" {
			status = "open"
		}
		mp := multiPolygon(c.GeomM)
		if (status != "open" && status != "shared") || mp == nil {
			continue
		}
		site := walk.ParkSite{ID: id, Name: str(c.Resolved, "name"), Geom: mp, Status: status, Hours: str(c.Resolved, "open_hours")}
		if ents, ok := given[id]; ok {
			site.Entrances = ents // gates given with the park: open at every hour
		} else if id > 0 {
			recorded = append(recorded, id)
		}
		sites = append(sites, site)
	}
	// Baseline parks only a gate change touches, as they are.
	var gateOnly []int64
	for id := range regated {
		if _, inFinal := final[id]; !inFinal && id > 0 {
			gateOnly = append(gateOnly, id)
		}
	}
	if len(gateOnly) > 0 {
		sort.Slice(gateOnly, func(i, j int) bool { return gateOnly[i] < gateOnly[j] })
		more, err := w.Walk.Store.ParkSites(ctx, city, gateOnly)
		if err != nil {
			return err
		}
		touched = append(touched, gateOnly...)
		ch.DeleteParks = append(ch.DeleteParks, gateOnly...)
		for _, p := range more {
			recorded = append(recorded, p.ID)
			sites = append(sites, p)
		}
	}
	gateIDs := map[int64][]int64{}
	if len(recorded) > 0 {
		ents, err := w.Walk.Store.ParkEntrances(ctx, city.ID, recorded)
		if err != nil {
			return err
		}
		for i := range sites {
			if _, ok := given[sites[i].ID]; !ok {
				g := ents[sites[i].ID]
				sites[i].Entrances, sites[i].Gates = g.Points, g.Gates
				gateIDs[sites[i].ID] = g.IDs
			}
		}
	}
	for i := range sites {
		if regated[sites[i].ID] {
			regateSite(&sites[i], gateIDs[sites[i].ID], gateCh)
		}
	}
	sort.Slice(touched, func(i, j int) bool { return touched[i] < touched[j] })
	crossed, err := w.Walk.Store.ParksCrossed(ctx, city, ch.CloseEdges, ch.AddEdges, touched)
	if err != nil {
		return err
	}
	for _, p := range crossed {
		ch.DeleteParks = append(ch.DeleteParks, p.ID)
		sites = append(sites, p)
	}
	sort.Slice(ch.DeleteParks, func(i, j int) bool { return ch.DeleteParks[i] < ch.DeleteParks[j] })
	facs, err := w.Walk.Store.ParkPoints(ctx, city, sites, ch.CloseEdges, ch.AddEdges)
	if err != nil {
		return err
	}
	ch.AddFacilities = append(ch.AddFacilities, facs...)
	return nil
}

// regateSite applies the scenario's gate changes to a park site whose recorded gates have
// the ids ids (parallel to p.Entrances; none for gates given with the park): changed gates
// leave, and the final versions of the changed gates of this park join, as CoverageChanges
// does for park coverage (regate).
func regateSite(p *walk.ParkSite, ids []int64, gateCh map[int64]*Change) {
	var pts []orb.Point
	var gs []openness.Gate
	for k := range p.Entrances {
		if k < len(ids) {
			if _, changed := gateCh[ids[k]]; changed {
				continue
			}
		}
		pts, gs = append(pts, p.Entrances[k]), append(gs, gateAt(p.Gates, k))
	}
	for _, gid := range sortedIDs(gateCh) {
		c := gateCh[gid]
		if c == nil || int64(number(c.Resolved, "park_id")) != p.ID {
			continue
		}
		if pt, ok := c.GeomM.(orb.Point); ok {
			pts = append(pts, pt)
			gs = append(gs, openness.Gate{Status: orDefault(str(c.Resolved, "status"), openness.GateOpen), Hours: str(c.Resolved, "open_hours")})
		}
	}
	p.Entrances, p.Gates = pts, gs
}

// Report is the living-circle report on baseline + sc under opt, as
// GET /api/v1/indicators/living-circle?scenario= serves it.
func (w *WalkLivingCircle) Report(ctx context.Context, sc *Scenario, opt walk.Options) (*walk.Report, error) {
	b, err := w.baseline(ctx, sc)
	if err != nil {
		return nil, err
	}
	if err := opt.Check(b.base.In); err != nil { // before the work, not after
		return nil, err
	}
	a, err := w.apply(ctx, sc, b)
	if err != nil {
		return nil, err
	}
	rep, err := walk.ScenarioReport(ctx, a, opt)
	if err != nil {
		return nil, err
	}
	rep.Scenario = &walk.ScenarioRun{ID: sc.ID, Recomputed: a.Recomputed, Pairs: a.Pairs, Full: a.Full, ComputeMS: ms(a.Duration)}
	return rep, nil
}

// Parcels is the per-parcel living circle on baseline + sc (walk.Parcels).
func (w *WalkLivingCircle) Parcels(ctx context.Context, sc *Scenario, opt walk.Options, q walk.ParcelQuery) (*walk.ParcelPage, error) {
	b, err := w.baseline(ctx, sc)
	if err != nil {
		return nil, err
	}
	if err := opt.Check(b.base.In); err != nil {
		return nil, err
	}
	a, err := w.apply(ctx, sc, b)
	if err != nil {
		return nil, err
	}
	return walk.ScenarioParcels(ctx, a, opt, q)
}

// Compare sets the living circle on baseline + sc against the baseline at level ("" =
// every level), default options: per area the complete flag, the counts of reached and
// missing basic categories, residents, residential land and parcels, and every category's
// share of residents within its tier ("share.<code>"); at city level also the counts of
// complete communities and 街道 and the target. Status changes are the districts, 街道 and
// communities whose complete flag flips, with the scenario's lowest share among the basic
// categories as value.
func (w *WalkLivingCircle) Compare(ctx context.Context, sc *Scenario, level string) (*IndicatorDelta, error) {
	b, err := w.baseline(ctx, sc)
	if err != nil {
		return nil, err
	}
	levels := allLevels
	if level != "" {
		levels = []string{level}
		if err := (walk.Options{Level: level}).Check(b.base.In); err != nil {
			return nil, err
		}
	}
	a, err := w.apply(ctx, sc, b)
	if err != nil {
		return nil, err
	}
	scen, err := walk.IndicatorLevels(a.Net, a.In, a.Reach, walk.Options{}, levels)
	if err != nil {
		return nil, err
	}
	d := &IndicatorDelta{ID: IndicatorLivingCircle, Status: "complete", StatusChanges: []StatusChange{},
		Recomputed: a.Recomputed, RecomputedPairs: a.Pairs, Full: a.Full}
	for i, l := range levels {
		base, rep := b.reports[l], scen[i]
		byID := map[int64]walk.AreaReport{}
		for _, x := range base.Areas {
			byID[x.ID] = x
		}
		ld := LevelDelta{Level: l}
		seen := map[int64]bool{}
		for _, x := range rep.Areas {
			seen[x.ID] = true
			bx, ok := byID[x.ID]
			bv := map[string]float64{}
			if ok {
				bv = circleValues(bx, base)
			}
			sv := circleValues(x, rep)
			ld.Areas = append(ld.Areas, AreaDelta{ID: x.ID, Name: x.Name, Baseline: bv, Scenario: sv, Delta: delta(bv, sv)})
			if ok && l != walk.LevelCity && bx.Complete != x.Complete {
				d.StatusChanges = append(d.StatusChanges, StatusChange{Level: l, ID: x.ID, Name: x.Name, From: bx.Complete, To: x.Complete, Value: lowestBasicShare(x, rep)})
			}
		}
		for _, x := range base.Areas {
			if !seen[x.ID] {
				bv := circleValues(x, base)
				ld.Areas = append(ld.Areas, AreaDelta{ID: x.ID, Name: x.Name, Baseline: bv, Scenario: map[string]float64{}, Delta: delta(bv, map[string]float64{})})
			}
		}
		sort.Slice(ld.Areas, func(i, j int) bool { return ld.Areas[i].ID < ld.Areas[j].ID })
		d.Levels = append(d.Levels, ld)
	}
	d.ComputeMS = ms(a.Duration)
	return d, nil
}

// circleValues are the figures of one area of rep, by name.
func circleValues(a walk.AreaReport, rep *walk.Report) map[string]float64 {
	v := map[string]float64{"complete": 0, "reached": float64(len(a.Reached)), "missing": float64(len(a.Missing)),
		"population": a.Population, "residential_m2": a.ResidentialM2, "parcels": float64(a.Parcels)}
	if a.Complete {
		v["complete"] = 1
	}
	for _, cf := range a.Coverage {
		v["share."+cf.Code] = cf.PopulationShare
	}
	if a.Level == walk.LevelCity {
		v["complete_communities"] = float64(rep.CompleteCommunities)
		v["communities"] = float64(rep.Communities)
		v["complete_subdistricts"] = float64(rep.CompleteSubdistricts)
		v["subdistricts"] = float64(rep.Subdistricts)
		v["target"] = float64(rep.Target)
	}
	return v
}

// lowestBasicShare is the least share, over the basic categories, that decides whether
// an area reaches them: of residents, or of residential land where it has no residents.
func lowestBasicShare(a walk.AreaReport, rep *walk.Report) float64 {
	low := math.Inf(1)
	for k, c := range rep.Categories {
		if !c.Basic || k >= len(a.Coverage) {
			continue
		}
		s := a.Coverage[k].PopulationShare
		if a.Population == 0 {
			s = a.Coverage[k].AreaShare
		}
		low = math.Min(low, s)
	}
	if math.IsInf(low, 1) {
		return 0
	}
	return low
}

// changePoints are, by change number, the point on surface of every added or modified
// residential parcel (computed by PostGIS from the stored metric geometry, exactly as
// walk's loader computes it from residential_land.geom_m) and the EPSG:4326 position of
// every added or modified facility.
type changePoints struct {
	surface map[int]orb.Point
	lonLat  map[int]orb.Point
}

func (s *Store) changePoints(ctx context.Context, id int64) (changePoints, error) {
	out := changePoints{surface: map[int]orb.Point{}, lonLat: map[int]orb.Point{}}
	rows, err := s.Pool.Query(ctx, `SELECT n, layer, ST_X(p), ST_Y(p)
		FROM (SELECT n, layer, CASE WHEN layer = 'residential_land' THEN ST_PointOnSurface(geom_m) ELSE ST_Transform(geom_m, 4326) END AS p
		      FROM scenario_changes
		      WHERE scenario_id = $1 AND layer IN ('residential_land', 'facilities') AND op <> 'delete' AND geom_m IS NOT NULL) c`, id)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var n int
		var layer string
		var p orb.Point
		if err := rows.Scan(&n, &layer, &p[0], &p[1]); err != nil {
			return out, err
		}
		if layer == "residential_land" {
			out.surface[n] = p
		} else {
			out.lonLat[n] = p
		}
	}
	return out, rows.Err()
}

// pointOnSurface is GEOS's point on surface of a metric geometry: the fallback for a
// parcel whose change was removed after the scenario was read.
func pointOnSurface(g orb.Geometry) (orb.Point, bool) {
	b, err := wkb.Marshal(g)
	if err != nil {
		return orb.Point{}, false
	}
	gg, err := geos.NewGeomFromWKB(b)
	if err != nil {
		return orb.Point{}, false
	}
	p := gg.PointOnSurface()
	if p == nil || p.IsEmpty() {
		return orb.Point{}, false
	}
	return orb.Point{p.X(), p.Y()}, true
}

// WalkChanges overlays the scenario on the living-circle inputs: every touched baseline
// facility, parcel or edge is removed and its final version (if any) added, in the order
// of the changes. A parcel's residents walk from its point on surface (pts.surface; GEOS
// when missing); an edge that is no longer walkable, or has no topology, leaves the
// network, as walk's loader leaves such rows out.
func WalkChanges(changes []Change, pts changePoints) walk.Changes {
	f := resolve(changes)
	var ch walk.Changes
	type ordered struct {
		n int
		i int
	}
	var facOrder, parOrder, edgeOrder []ordered
	for id, c := range f["facilities"] {
		if id > 0 {
			ch.DeleteFacilities = append(ch.DeleteFacilities, id)
		}
		if c == nil {
			continue
		}
		p, ok := c.GeomM.(orb.Point)
		if !ok {
			continue
		}
		facOrder = append(facOrder, ordered{c.N, len(ch.AddFacilities)})
		ch.AddFacilities = append(ch.AddFacilities, walk.Facility{ID: id, Category: str(c.Resolved, "category"), Name: str(c.Resolved, "name"),
			Point: p, LonLat: pts.lonLat[c.N]})
	}
	for id, c := range f["residential_land"] {
		if id > 0 {
			ch.DeleteParcels = append(ch.DeleteParcels, id)
		}
		if c == nil {
			continue
		}
		p, ok := pts.surface[c.N]
		if !ok {
			if p, ok = pointOnSurface(c.GeomM); !ok {
				continue
			}
		}
		parOrder = append(parOrder, ordered{c.N, len(ch.AddParcels)})
		ch.AddParcels = append(ch.AddParcels, walk.Parcel{ID: id, Point: p, AreaM2: c.Measure, Population: number(c.Resolved, "population")})
	}
	for id, c := range f["network_edges"] {
		if id > 0 {
			ch.CloseEdges = append(ch.CloseEdges, id)
		}
		if c == nil || !boolean(c.Resolved, "walkable") || c.Resolved["source"] == nil || c.Resolved["target"] == nil {
			continue
		}
		ls, ok := c.GeomM.(orb.LineString)
		if !ok {
			continue
		}
		edgeOrder = append(edgeOrder, ordered{c.N, len(ch.AddEdges)})
		ch.AddEdges = append(ch.AddEdges, network.Edge{ID: id, Source: int64(number(c.Resolved, "source")), Target: int64(number(c.Resolved, "target")),
			Length: c.Measure, Walkable: true, Geom: ls})
	}
	// Added features in change order (a promotion inserts them in that order, so their
	// ids, and hence the loader's order, follow it); removals by id.
	byN := func(o []ordered) []int {
		sort.Slice(o, func(i, j int) bool { return o[i].n < o[j].n })
		idx := make([]int, len(o))
		for i, x := range o {
			idx[i] = x.i
		}
		return idx
	}
	ch.AddFacilities = pick(ch.AddFacilities, byN(facOrder))
	ch.AddParcels = pick(ch.AddParcels, byN(parOrder))
	ch.AddEdges = pick(ch.AddEdges, byN(edgeOrder))
	for _, ids := range [][]int64{ch.DeleteFacilities, ch.DeleteParcels, ch.CloseEdges} {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	return ch
}

func pick[T any](xs []T, idx []int) []T {
	if len(xs) == 0 {
		return nil
	}
	out := make([]T, len(idx))
	for i, k := range idx {
		out[i] = xs[k]
	}
	return out
}

// LivingCircleReport serves GET /api/v1/indicators/living-circle?scenario=: the
// indicator's usual report computed on the scenario (incrementally; never stored).
func (s *Service) LivingCircleReport(ctx context.Context, id int64, city string, opt walk.Options) (*walk.Report, error) {
	if s.LivingCircle == nil {
		return nil, fault.Invalid("the living circle is not available on scenarios here").With("parameter", "scenario")
	}
	sc, err := s.scenarioOfCity(ctx, id, city)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	rep, err := s.LivingCircle.Report(ctx, sc, opt)
	if err == nil && s.Log != nil {
		s.Log.Info("scenario living circle", "scenario", sc.ID, "recomputed", rep.Scenario.Recomputed, "full", rep.Scenario.Full,
			"ms", ms(time.Since(start)))
	}
	return rep, err
}

// LivingCircleParcels serves GET /api/v1/indicators/living-circle/parcels?scenario=.
func (s *Service) LivingCircleParcels(ctx context.Context, id int64, city string, opt walk.Options, q walk.ParcelQuery) (*walk.ParcelPage, error) {
	if s.LivingCircle == nil {
		return nil, fault.Invalid("the living circle is not available on scenarios here").With("parameter", "scenario")
	}
	sc, err := s.scenarioOfCity(ctx, id, city)
	if err != nil {
		return nil, err
	}
	return s.LivingCircle.Parcels(ctx, sc, opt, q)
}

// scenarioOfCity reads scenario id and checks it belongs to city ("" for any): the
// scenario= parameter of every indicator and check.
func (s *Service) scenarioOfCity(ctx context.Context, id int64, city string) (*Scenario, error) {
	sc, err := s.Scenario(ctx, id)
	if err != nil {
		return nil, err
	}
	if city != "" && city != sc.City {
		return nil, fault.Invalid(fmt.Sprintf("scenario %d is of city %s, not %s", id, sc.City, Clip(city))).With("parameter", "city")
	}
	return sc, nil
}
