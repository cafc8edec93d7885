package coverage

import (
	"cmp"
	"errors"
	"slices"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/openness"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// Levels at which figures are reported.
const (
	LevelCity        = "city"
	LevelDistrict    = "district"
	LevelSubdistrict = "subdistrict" // 街道
	LevelCommunity   = "community"
)

// Levels lists the reporting levels from the largest down.
var Levels = []string{LevelCity, LevelDistrict, LevelSubdistrict, LevelCommunity}

// Park is a park in the city's metric CRS.
type Park struct {
	ID         int64
	Name       string
	Class      string // caliber.Comprehensive, …
	Pocket     bool
	OpenStatus string
	Historic   bool
	Geom       orb.MultiPolygon
	// AreaM2 is the park's own planar area (parks.area_m2).
	AreaM2 float64
	// Entrances are the recorded entrances (gates); when empty, the network method
	// generates access points where walkable edges meet the boundary.
	Entrances []orb.Point
	// Gates are the status and opening hours of Entrances, in the same order (a missing
	// one is open at every hour); Hours are the park's own (parks.open_hours). The network
	// method enters the park only through gates the rule of internal/openness lets through.
	Gates []openness.Gate
	Hours string
	// GateIDs are the park_entrances ids of Entrances (0: given with a scenario's park),
	// so that a scenario's edit of one gate finds it.
	GateIDs []int64
}

// access is what the gate rule reads of p.
func (p *Park) access() openness.Park { return openness.Park{Status: p.OpenStatus, Hours: p.Hours} }

// gate is the status and hours of entrance i of p.
func (p *Park) gate(i int) openness.Gate {
	if i < len(p.Gates) {
		return p.Gates[i]
	}
	return openness.Gate{Status: openness.GateOpen}
}

// Facts is what a caliber needs to know about p.
func (p *Park) Facts() caliber.ParkFacts {
	return caliber.ParkFacts{Class: p.Class, Pocket: p.Pocket, OpenStatus: p.OpenStatus, Historic: p.Historic, AreaM2: p.AreaM2}
}

// Parcel is one residential-land polygon (居住用地) in the metric CRS.
type Parcel struct {
	ID         int64
	Geom       orb.MultiPolygon
	AreaM2     float64
	Population float64
}

// Area is an administrative unit: a district, 街道 or community.
type Area struct {
	Level  string
	ID     int64
	Name   string
	Geom   orb.MultiPolygon
	bounds orb.Bound
	// bounded says bounds is set; copies of the areas (With) keep it, so a derived
	// snapshot does not walk every area's boundary again.
	bounded bool
}

// Snapshot is everything the indicator reads for one city, in its metric CRS. It is
// immutable once built; scenarios derive a new one with With. Derived data (area
// assignment, walking graph) is computed on first use and shared.
type Snapshot struct {
	CityID     int
	City       string // slug
	CityName   string
	MetricSRID int
	Parks      []Park
	Parcels    []Parcel
	Areas      []Area
	// Edges is the walking network for the network method (may be empty).
	Edges []network.Edge
	// Steps are the ids of the Edges with steps (network_edges.steps), sorted: what a
	// profile without steps leaves out (Options.NoSteps).
	Steps []int64
	// Barriers are the barrier lines (non-walkable edges: rivers, railways,
	// expressways) less a 1 m gap on each side of every walkable edge crossing them: what
	// cuts the service areas of a caliber with Barriers (barriers.go).
	Barriers    []orb.LineString
	barrierOnce sync.Once
	barrierIdx  *barrierIndex

	assignOnce sync.Once
	assign     assignment

	// bounds are the parcels' bounding boxes (parcelBounds), shared by the snapshots
	// derived with the same Parcels.
	boundsOnce sync.Once
	bounds     *boundsHolder

	// net is the walking graph of Edges, built on first use and shared by the snapshots
	// derived with the same Edges (With, when no edge changes).
	netInit sync.Once
	net     *netHolder

	// noSteps is the snapshot less its steps edges (withoutSteps).
	noStepsOnce sync.Once
	noSteps     *Snapshot
}

// netHolder builds a walking graph once.
type netHolder struct {
	once sync.Once
	// src, when set, gives the graph from the shared cache graphs (internal/walkgraph);
	// otherwise the graph is built from the snapshot's Edges for this snapshot alone.
	src    func() (*walkgraph.Graph, error)
	graphs *walkgraph.Cache
	net    *walkNet
	err    error
}

// sharedHolder is a holder taking the graph of city at version from graphs, built from
// edges (the city's walkable edges at that version, in id order) when graphs has none.
func sharedHolder(graphs *walkgraph.Cache, city int, version string, edges []network.Edge) *netHolder {
	return &netHolder{graphs: graphs, src: func() (*walkgraph.Graph, error) {
		return graphs.Get(city, version, func() ([]network.Edge, error) { return edges, nil })
	}}
}

// derivedHolder is the holder of s.With(ch) when ch changes edges: s's shared graph with
// ch's edges closed and added, derived once in s's cache (a scenario's graph, or an edit's,
// which the service expects under the new version: Cache.Expect). edges are the derived
// snapshot's, built alone when s has no network. Without a shared graph it is nil: the
// derived snapshot builds its own.
func (s *Snapshot) derivedHolder(ch Changes, edges []network.Edge) *netHolder {
	h := s.netShared()
	if h.graphs == nil {
		return nil
	}
	graphs, city := h.graphs, s.CityID
	return &netHolder{graphs: graphs, src: func() (*walkgraph.Graph, error) {
		base, err := h.resolve(city, nil) // h has a source: no edges needed
		if errors.Is(err, ErrNoNetwork) {
			return walkgraph.Build(city, "", edges) // nothing to derive from
		}
		if err != nil {
			return nil, err
		}
		return graphs.With(base.shared, ch.AddEdges, ch.DeleteEdges)
	}}
}

// netShared returns s's graph holder, made on first use.
func (s *Snapshot) netShared() *netHolder {
	s.netInit.Do(func() {
		if s.net == nil {
			s.net = &netHolder{}
		}
	})
	return s.net
}

// Changes is what a scenario overlays on a baseline snapshot: ids to delete and features
// to add (a modified feature is a delete plus an add with the same id).
type Changes struct {
	DeleteParks   []int64
	AddParks      []Park
	DeleteParcels []int64
	AddParcels    []Parcel
	AddEdges      []network.Edge
	DeleteEdges   []int64
	// Steps are the ids of the AddEdges with steps.
	Steps []int64
}

// With returns a new snapshot: s with ch applied. s is not modified. The areas are copied
// (shallowly: the geometries are shared, read-only) because each snapshot caches their
// bounds in its own assignment, and two snapshots of one baseline may be used at once.
func (s *Snapshot) With(ch Changes) *Snapshot {
	out := &Snapshot{CityID: s.CityID, City: s.City, CityName: s.CityName, MetricSRID: s.MetricSRID, Areas: append([]Area(nil), s.Areas...),
		Barriers: s.Barriers}
	out.Parks = filter(s.Parks, ch.DeleteParks, func(p Park) int64 { return p.ID })
	out.Parks = append(out.Parks, ch.AddParks...)
	if len(ch.DeleteParcels) == 0 && len(ch.AddParcels) == 0 {
		// The same parcels (never modified in place): shared with their bounds, not
		// copied, so a park's edit costs what it reaches. The full slice expression makes
		// any append to out.Parcels copy.
		out.Parcels = s.Parcels[:len(s.Parcels):len(s.Parcels)]
		out.shareBounds(s)
	} else {
		out.Parcels = filter(s.Parcels, ch.DeleteParcels, func(p Parcel) int64 { return p.ID })
		out.Parcels = append(out.Parcels, ch.AddParcels...)
	}
	if len(ch.DeleteEdges) == 0 && len(ch.AddEdges) == 0 {
		// The same network: share the edges (never modified in place) and the graph.
		out.Edges, out.net, out.Steps = s.Edges, s.netShared(), s.Steps
		return out
	}
	out.Edges = filter(s.Edges, ch.DeleteEdges, func(e network.Edge) int64 { return e.ID })
	sorted := slices.IsSortedFunc(out.Edges, edgeOrder)
	out.Edges = append(out.Edges, ch.AddEdges...)
	if sorted {
		// In id order, as a load after the same edit reads them: the derived graph is
		// then the graph of that load (walkgraph.Cache.With derives it so).
		slices.SortStableFunc(out.Edges, edgeOrder)
	}
	drop := slices.Clone(ch.DeleteEdges) // an added edge replaces its id's steps flag
	for _, e := range ch.AddEdges {
		drop = append(drop, e.ID)
	}
	out.Steps = filter(s.Steps, drop, func(id int64) int64 { return id })
	out.Steps = append(out.Steps, ch.Steps...)
	slices.Sort(out.Steps)
	out.net = s.derivedHolder(ch, out.Edges)
	return out
}

// sameParcels reports whether s and t hold the same parcels in the same slice (With of
// a change that keeps every parcel), so a figure of s's parcel i is t's parcel i's.
func sameParcels(s, t *Snapshot) bool {
	return len(s.Parcels) == len(t.Parcels) && (len(s.Parcels) == 0 || &s.Parcels[0] == &t.Parcels[0])
}

// boundsHolder computes the parcels' bounding boxes once.
type boundsHolder struct {
	once sync.Once
	b    []orb.Bound
}

// boundsShared returns s's holder of its parcels' bounds, made on first use.
func (s *Snapshot) boundsShared() *boundsHolder {
	s.boundsOnce.Do(func() {
		if s.bounds == nil {
			s.bounds = &boundsHolder{}
		}
	})
	return s.bounds
}

// shareBounds makes s (not yet published, holding from's parcels in from's order) use
// from's parcel bounds.
func (s *Snapshot) shareBounds(from *Snapshot) {
	h := from.boundsShared()
	s.boundsOnce.Do(func() { s.bounds = h })
}

// parcelBounds returns the bounding box of each parcel, in Parcels order, computed once
// and shared by the snapshots derived with the same parcels.
func (s *Snapshot) parcelBounds() []orb.Bound {
	h := s.boundsShared()
	h.once.Do(func() {
		h.b = make([]orb.Bound, len(s.Parcels))
		for i := range s.Parcels {
			h.b[i] = s.Parcels[i].Geom.Bound()
		}
	})
	return h.b
}

func edgeOrder(a, b network.Edge) int { return cmp.Compare(a.ID, b.ID) }

func filter[T any](xs []T, drop []int64, id func(T) int64) []T {
	if len(drop) == 0 {
		// Nothing dropped: a copy all the same, since With appends to the result.
		return append(make([]T, 0, len(xs)), xs...)
	}
	gone := make(map[int64]bool, len(drop))
	for _, d := range drop {
		gone[d] = true
	}
	out := make([]T, 0, len(xs))
	for _, x := range xs {
		if !gone[id(x)] {
			out = append(out, x)
		}
	}
	return out
}

// assignment maps each parcel and park to the index in Areas of its district, 街道 and
// community (-1 when none contains its point on surface).
type assignment struct {
	parcel [][3]int32
	park   [][3]int32
}

var levelSlot = map[string]int{LevelDistrict: 0, LevelSubdistrict: 1, LevelCommunity: 2}

func (s *Snapshot) assignment() *assignment {
	s.assignOnce.Do(func() {
		for i := range s.Areas {
			if a := &s.Areas[i]; !a.bounded {
				a.bounds, a.bounded = a.Geom.Bound(), true
			}
		}
		locate := func(mp orb.MultiPolygon) [3]int32 {
			r := [3]int32{-1, -1, -1}
			pt, ok := pointOnSurface(mp)
			if !ok {
				return r
			}
			for i := range s.Areas {
				a := &s.Areas[i]
				slot, ok := levelSlot[a.Level]
				if !ok || r[slot] >= 0 || !a.bounds.Contains(pt) {
					continue
				}
				if planar.MultiPolygonContains(a.Geom, pt) {
					r[slot] = int32(i)
				}
			}
			return r
		}
		s.assign.parcel = make([][3]int32, len(s.Parcels))
		for i := range s.Parcels {
			s.assign.parcel[i] = locate(s.Parcels[i].Geom)
		}
		s.assign.park = make([][3]int32, len(s.Parks))
		for i := range s.Parks {
			s.assign.park[i] = locate(s.Parks[i].Geom)
		}
	})
	return &s.assign
}

// withoutSteps returns s less its edges with steps (s itself when it has none); the
// snapshot is made once and shared, like the graph.
func (s *Snapshot) withoutSteps() *Snapshot {
	if len(s.Steps) == 0 {
		return s
	}
	s.noStepsOnce.Do(func() {
		s.noSteps = s.With(Changes{DeleteEdges: s.Steps})
	})
	return s.noSteps
}
