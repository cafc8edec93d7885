package walk

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// Service holds one cached Network and one cached Inputs per city, and the facility
// reach computed from them. Every call checks the data version of their tables
// (internal/citydata) and reloads what moved, so an edit committed before the call is
// always seen; with a Watcher the check reads only the tables it saw edited (nothing when
// none was) — except when only a few facilities changed: those are applied to the cached
// inputs and reach (advanceInputs), with the answer of a full reload. Concurrent callers for
// one city wait for a single load. It is safe for concurrent use; the snapshots it
// returns are immutable.
type Service struct {
	Store Store
	// Watch, when set, tells which tables had edits (the tile service's listener, as for
	// park coverage), so that checking the data version of an unedited city reads nothing.
	Watch citydata.Watcher
	// MaxSnap is the largest access leg in metres; 0 means DefaultMaxSnap.
	MaxSnap float64
	Log     *slog.Logger
	// ObserveLoad, when set, is told of every load from PostGIS ("walk_network",
	// "walk_inputs"), every facility-reach computation ("walk_reach") and every facility
	// edit followed without either ("walk_inputs_edit", and "walk_reach_edit" for the
	// reach brought forward); cityreach serve points it at /metrics.
	ObserveLoad func(what string, d time.Duration)
	// Ages gives residents by age band for Options.Bands (internal/capacity's Ages, set
	// by internal/cli); nil refuses band.
	Ages AgeBands
	// Graphs is the walking graph of every city, shared with the other indicators that
	// walk (park coverage's network method; internal/cli gives both the same cache). nil
	// keeps no graph but the network the service holds (each reload builds one).
	Graphs *walkgraph.Cache

	mu     sync.Mutex
	cities map[int]*cityCache
}

// cityCache is one city's cached state; mu serialises its loads.
type cityCache struct {
	mu  sync.Mutex
	net *Network
	in  *Inputs
	// seen is the city's data version of inputsTables as last read (citydata.Current).
	seen  citydata.Watched
	reach *Reach              // for (net, in) above
	fac   *attachedFacilities // for (net, in) above
	// inData is the data version in was read at, table by table, and facRows the row
	// hashes of its facilities (citydata.ReadRows), from which advanceInputs tells the
	// facilities an edit touched.
	inData  citydata.Version
	facRows map[int64]int64
}

// attachedFacilities are the facilities of an Inputs attached to a Network.
type attachedFacilities struct {
	in *Inputs
	at []network.Attachment
	ok []bool
}

// facilities returns the city's facilities attached to n, with c.mu held.
func (s *Service) facilities(ctx context.Context, city City, c *cityCache, n *Network, cur versionOf) (*attachedFacilities, error) {
	in, err := s.inputs(ctx, city, c, cur)
	if err != nil {
		return nil, err
	}
	if c.fac == nil || c.fac.in != in || c.net != n {
		c.fac = s.attach(in, n)
	}
	return c.fac, nil
}

// attach attaches the facilities of in to n.
func (s *Service) attach(in *Inputs, n *Network) *attachedFacilities {
	f := &attachedFacilities{in: in, at: make([]network.Attachment, len(in.Facilities)), ok: make([]bool, len(in.Facilities))}
	for i := range in.Facilities {
		f.at[i], f.ok[i] = n.Index.Attach(in.Facilities[i].Point, s.maxSnap())
	}
	return f
}

// withChanges is a what-if scenario's walking network and inputs: n with ch's edges
// added and closed (n itself when ch changes no edge), in with ch's facilities and
// parcels, and the facilities attached to that network. Nothing cached is modified.
func (s *Service) withChanges(n *Network, in *Inputs, ch Changes) (*Network, *attachedFacilities, error) {
	if len(ch.AddEdges)+len(ch.CloseEdges) > 0 {
		var err error
		if n, err = n.With(ch.AddEdges, ch.CloseEdges); err != nil {
			return nil, nil, err
		}
	}
	return n, s.attach(in.With(ch), n), nil
}

// Scenario returns the walking network and inputs of city with a what-if scenario's
// changes ch (the capacity indicator's scenario= parameter); the cached baseline is not
// modified.
func (s *Service) Scenario(ctx context.Context, city City, ch Changes) (*Network, *Inputs, error) {
	n, err := s.Network(ctx, city)
	if err != nil {
		return nil, nil, err
	}
	in, err := s.Inputs(ctx, city)
	if err != nil {
		return nil, nil, err
	}
	n, f, err := s.withChanges(n, in, ch)
	if err != nil {
		return nil, nil, err
	}
	return n, f.in, nil
}

// NewService returns a Service reading from pool.
func NewService(pool *pgxpool.Pool, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{Store: Store{Pool: pool}, Log: log}
}

func (s *Service) observe(what string, since time.Time) {
	if s.ObserveLoad != nil {
		s.ObserveLoad(what, time.Since(since))
	}
}

func (s *Service) maxSnap() float64 {
	if s.MaxSnap > 0 {
		return s.MaxSnap
	}
	return DefaultMaxSnap
}

// versionOf returns the city's data version of inputsTables now; the network's is its
// network_edges part (networkVersion).
type versionOf func() (citydata.Version, error)

// current returns the versionOf the city for one call, with c.mu held: it is read (with
// the Watcher, only what changed since c.seen) once, when first asked for, and the
// network and the inputs of the call are both checked against that reading.
func (s *Service) current(ctx context.Context, cityID int, c *cityCache) versionOf {
	var done bool
	var err error
	return func() (citydata.Version, error) {
		if !done {
			err = s.see(ctx, cityID, c, citydata.Synced(ctx, s.Watch))
			done = true
		}
		return c.seen.Version, err
	}
}

// see reads the city's data version of inputsTables after the barrier b (only what
// changed since c.seen) and keeps it in c.seen, with c.mu held.
func (s *Service) see(ctx context.Context, cityID int, c *cityCache, b citydata.Barrier) error {
	w, err := b.Current(ctx, s.Store.db(), cityID, inputsTables, c.seen)
	if err == nil {
		c.seen = w
	}
	return err
}

// InputsData returns the city's data version of the tables Inputs reads (InputsVersion's,
// every table's part) now, checked as every call checks it but after the caller's barrier
// b (citydata.Synced of the service's Watch): only the tables the Watcher saw edited since
// the last check are read (none when there was no edit). The reading is kept, so a Network
// or Inputs call that follows reads nothing more when no edit came meanwhile:
// internal/capacity keys its reports by it rather than reading the same tables again, and
// reads its age tables' version after the same barrier. The answer's Tables must not be
// modified.
func (s *Service) InputsData(ctx context.Context, city City, b citydata.Barrier) (citydata.Version, error) {
	c := s.city(city.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	err := s.see(ctx, city.ID, c, b)
	return c.seen.Version, err
}

// networkVersion is NetworkVersion's answer from the version of inputsTables v.
func networkVersion(v citydata.Version) string {
	return citydata.Combine(map[string]citydata.TableVersion{"network_edges": v.Tables["network_edges"]}).Hash
}

func (s *Service) city(id int) *cityCache {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cities == nil {
		s.cities = map[int]*cityCache{}
	}
	c := s.cities[id]
	if c == nil {
		c = &cityCache{}
		s.cities[id] = c
	}
	return c
}

// City resolves a city slug.
func (s *Service) City(ctx context.Context, slug string) (City, error) {
	return s.Store.CityBySlug(ctx, slug)
}

// Network returns the current walking network of the city, loading or reloading it
// when network_edges changed. This is the loader park coverage's network method uses.
func (s *Service) Network(ctx context.Context, city City) (*Network, error) {
	c := s.city(city.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	return s.network(ctx, city, c, s.current(ctx, city.ID, c))
}

// network does the work of Network with c.mu held.
func (s *Service) network(ctx context.Context, city City, c *cityCache, cur versionOf) (*Network, error) {
	return reload(ctx, s, c, cached[Network]{
		slot: &c.net, metric: "walk_network",
		version: func(n *Network) string { return n.Version },
		current: func() (string, error) {
			v, err := cur()
			return networkVersion(v), err
		},
		load: func() (*Network, error) {
			n, err := s.Store.loadNetwork(ctx, city, s.Graphs)
			if err == nil {
				s.Log.Info("walking network loaded", "city", city.Slug, "edges", n.Stats.Edges, "nodes", n.Stats.Nodes,
					"components", n.Stats.Components, "non_walkable", n.Stats.Skipped.NonWalkable, "ms", n.Stats.LoadMS)
			}
			return n, err
		},
	})
}

// cached is one of a city's cached snapshots (the network, the inputs) and how to check
// and load it.
type cached[T any] struct {
	slot    **T    // the snapshot, nil until loaded
	metric  string // the load's duration metric (observe)
	version func(*T) string
	current func() (string, error) // the store's data version now
	load    func() (*T, error)
	// advance, when set, tries to bring the stale snapshot up to date in place (slot
	// and the facility reach included) and reports whether it did; when not, load runs.
	advance func() (bool, error)
}

// reload returns the snapshot of k when the store's data version is still the snapshot's,
// else loads it again (dropping the facility reach computed on the old one), with c.mu
// held.
func reload[T any](ctx context.Context, s *Service, c *cityCache, k cached[T]) (*T, error) {
	if have := *k.slot; have != nil {
		v, err := k.current()
		if err != nil {
			return nil, err
		}
		if v == k.version(have) {
			return have, nil
		}
		if k.advance != nil {
			t0 := time.Now()
			ok, err := k.advance()
			if err != nil {
				return nil, err
			}
			if ok {
				s.observe(k.metric+"_edit", t0)
				return *k.slot, nil
			}
		}
	}
	t0 := time.Now()
	v, err := k.load()
	if err != nil {
		return nil, err
	}
	s.observe(k.metric, t0)
	*k.slot, c.reach, c.fac = v, nil, nil
	return v, nil
}

// Inputs returns the current living-circle inputs of the city, reloading them when
// facilities, residential land, areas or categories changed.
func (s *Service) Inputs(ctx context.Context, city City) (*Inputs, error) {
	c := s.city(city.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	return s.inputs(ctx, city, c, s.current(ctx, city.ID, c))
}

func (s *Service) inputs(ctx context.Context, city City, c *cityCache, cur versionOf) (*Inputs, error) {
	return reload(ctx, s, c, cached[Inputs]{
		slot: &c.in, metric: "walk_inputs",
		version: func(in *Inputs) string { return in.Version },
		current: func() (string, error) {
			v, err := cur()
			return v.Hash, err
		},
		load:    func() (*Inputs, error) { return s.loadInputs(ctx, city, c) },
		advance: func() (bool, error) { return s.advanceInputs(ctx, city, c) },
	})
}

// MaxFacilityEditShare is the largest share of a city's facilities (plus 20) an edit may
// change for the cached inputs and reach to follow it (advanceInputs); a larger edit
// reloads them (coverage.MaxDiffShare is the same rule for park coverage's parks).
const MaxFacilityEditShare = 0.05

// loadInputs reads the whole inputs of city, with c.inData and c.facRows for
// advanceInputs, with c.mu held: all three in one transaction (Store.readTx), so that they
// are of one state and the inputs carry the version of the rows they were read from.
func (s *Service) loadInputs(ctx context.Context, city City, c *cityCache) (*Inputs, error) {
	var in *Inputs
	var dv citydata.Version
	var rows map[int64]int64
	err := s.Store.readTx(ctx, func(st Store) error {
		var err error
		if in, err = st.Inputs(ctx, city); err != nil {
			return err
		}
		if dv, err = st.inputsData(ctx, city.ID); err != nil {
			return err
		}
		_, rows, err = citydata.ReadRows(ctx, st.tx, city.ID, "facilities")
		return err
	})
	if err != nil {
		return nil, err
	}
	c.inData, c.facRows = dv, rows
	return in, nil
}

// advanceInputs brings c.in, and c.reach when there is one, up to the city's data when
// only its facilities changed since c.in was read, and few enough of them
// (MaxFacilityEditShare): the facilities whose row hash changed (added, modified or
// deleted) are removed from c.in and read again, and the reach is recomputed for the
// pairs they can reach only (Base.Apply, as for a scenario), in the order a full load
// gives, so the answer is a full reload's. It reports false, changing nothing, when
// anything else changed; c.mu is held.
func (s *Service) advanceInputs(ctx context.Context, city City, c *cityCache) (bool, error) {
	if c.in == nil || c.facRows == nil || s.Store.Pool == nil {
		return false, nil
	}
	// The version, the row hashes and the changed facilities are read in one transaction.
	var dv citydata.Version
	var rows map[int64]int64
	var changed []int64
	var added []Facility
	var apply bool
	err := s.Store.readTx(ctx, func(st Store) error {
		var err error
		apply, changed, added = false, nil, nil
		if dv, err = st.inputsData(ctx, city.ID); err != nil {
			return err
		}
		for t, tv := range dv.Tables {
			if old := c.inData.Tables[t]; t != "facilities" && (old.Rows != tv.Rows || old.Digest != tv.Digest) {
				return nil
			}
		}
		var tv citydata.TableVersion
		if tv, rows, err = citydata.ReadRows(ctx, st.tx, city.ID, "facilities"); err != nil {
			return err
		}
		if ft := dv.Tables["facilities"]; tv.Rows != ft.Rows || tv.Digest != ft.Digest {
			return fmt.Errorf("walk: facilities read as %+v, their version says %+v", tv, ft)
		}
		for id, h := range rows {
			if old, ok := c.facRows[id]; !ok || old != h {
				changed = append(changed, id)
			}
		}
		for id := range c.facRows {
			if _, ok := rows[id]; !ok {
				changed = append(changed, id)
			}
		}
		if float64(len(changed)) > MaxFacilityEditShare*float64(len(c.facRows)+1)+20 || len(changed) > DefaultMaxChanges {
			return nil
		}
		slices.Sort(changed)
		if added, err = st.facilities(ctx, city.ID, changed); err != nil {
			return err
		}
		apply = true
		return nil
	})
	if err != nil || !apply {
		return false, err
	}
	ch := Changes{DeleteFacilities: changed, AddFacilities: added}
	var in *Inputs
	var r *Reach
	if c.reach != nil {
		t0 := time.Now()
		a, err := NewBase(c.net, c.in, c.reach).Apply(ctx, ch, ApplyOptions{LoadOrder: true})
		if err != nil {
			return false, err
		}
		s.observe("walk_reach_edit", t0)
		s.Log.Info("facility reach brought forward", "city", city.Slug, "facilities", len(changed),
			"pairs", a.Pairs, "full", a.Full, "ms", since(t0))
		in, r = a.In, a.Reach
	} else {
		w := c.in.With(ch)
		in, _ = w.inLoadOrder(make([]int, len(w.Facilities)))
	}
	in.Version = dv.Hash
	c.in, c.reach, c.fac, c.inData, c.facRows = in, r, nil, dv, rows
	return true, nil
}

// Baseline returns the current network, inputs and their facility reach for the city.
// The reach is computed to the largest category tier and cached until either snapshot
// changes.
func (s *Service) Baseline(ctx context.Context, city City) (*Network, *Inputs, *Reach, error) {
	c := s.city(city.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := s.current(ctx, city.ID, c)
	n, err := s.network(ctx, city, c, cur)
	if err != nil {
		return nil, nil, nil, err
	}
	in, err := s.inputs(ctx, city, c, cur)
	if err != nil {
		return nil, nil, nil, err
	}
	if c.reach == nil {
		t0 := time.Now()
		r, err := ComputeReach(ctx, n, in, ReachOptions{MaxSnap: s.maxSnap()})
		if err != nil {
			return nil, nil, nil, err
		}
		s.observe("walk_reach", t0)
		s.Log.Info("facility reach computed", "city", city.Slug, "parcels", len(in.Parcels),
			"categories", len(in.Categories), "ms", since(t0))
		c.reach = r
	}
	return n, in, c.reach, nil
}
