package coverage

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/openness"
	walking "github.com/cityreach/cityreach/internal/walk" // its walking profiles
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// Service answers the indicator for the API and the CLI, so a number is computed in one
// place: it resolves the caliber, reads the data version, serves the stored run of that
// version when there is one, and otherwise computes and stores it, once (see currentRun).
type Service struct {
	Store    Store
	Calibers *caliber.Registry
	Log      *slog.Logger
	// Observe, when set, is told of every computation (not of reused answers) and of
	// every snapshot load; cityreach serve points them at /metrics.
	Observe     func(caliber, method string, d time.Duration)
	ObserveLoad func(d time.Duration)

	// Watch, when set, tells which input tables had edits, so that the data version of a
	// city nobody edited is not read again (cityreach serve: the tile service's listener).
	Watch Watcher

	// Ages gives residents by age band, for Query.Bands (internal/capacity's Ages, set by
	// internal/cli); nil refuses band.
	Ages AgeBands

	// Graphs is the walking graph of every city, shared with the living circle
	// (internal/walkgraph; internal/cli gives both services the same cache). nil: every
	// snapshot builds its own graph from its edges when first walked.
	Graphs *walkgraph.Cache

	// MaxWait, when not 0, is how long a call waits for a computation it started or
	// joined; then it is answered fault.Unavailable with a Retry-After while the
	// computation goes on and is stored, so that the call after it is answered from the
	// store. cityreach serve sets it below the HTTP server's write timeout, past which a
	// client would get an empty reply (a cold network computation of a scale-10 city
	// takes longer).
	MaxWait time.Duration

	mu   sync.Mutex
	live map[string]*liveCity // by city slug: the kept snapshot and results (live.go)
	// runs lets concurrent requests of one run share its computation; keyed by runKey.
	runs singleflight.Group
	// surf is the network method's buffered network by tile, shared by every caliber
	// and edit (made on first use; SurfaceCache).
	surf *SurfaceCache
	// storing counts the runs whose gaps are still being stored after their figures were
	// answered (computeRun); Close waits for them.
	storing sync.WaitGroup
	// pending holds those runs by runKey (under mu): a request for one of them is
	// answered from its stored figures rather than waiting for its gaps (Find takes only
	// complete runs, and the run's lock is held until the gaps are in).
	pending map[string]computedRun
	// greedy keeps the siting's greedy answers of the latest kept results (greedymemo.go).
	greedy greedyMemos
}

// Close waits until the gap layers still being stored have been (each run's gaps are
// stored after its figures are answered, on a connection of the pool), or until ctx ends:
// then it returns ctx's error and the runs left incomplete are computed again by whoever
// asks next. Call it on shutdown after the last request and before the pool is closed.
func (s *Service) Close(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.storing.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// surfaces returns the service's SurfaceCache.
func (s *Service) surfaces() *SurfaceCache {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.surf == nil {
		s.surf = NewSurfaceCache(DefaultSurfaceCacheBytes)
	}
	return s.surf
}

// Query names one figure.
type Query struct {
	City    string
	Caliber string
	Method  string // empty: the caliber's own
	Level   string // empty: city
	// AsOf, when set, is an edition name of the city, an RFC 3339 time or a date: the
	// figures of the data as it was then (asof.go, internal/edition).
	AsOf string
	// Bands, when set, weighs the population figures by each parcel's residents of these
	// age bands (docs/capacity.md's spread); the areas are unchanged.
	Bands []string
	ages  *ageSel // Bands resolved by currentRunGaps
	// Profile is a walking profile code (walk.Profiles); only its steps rule matters here
	// (the radii are metres): a profile without steps walks the network less its steps
	// edges. At is a time of day HH:MM: parks are entered only through gates open then
	// (docs/coverage.md); "" counts gates open at any time of day. Both concern the network
	// method only and are part of a stored run's key (coverage_runs.variant).
	Profile, At string
	noSteps     bool
	at          openness.At
}

// variant is q's part of a run key ("" for the buffer method, whatever q asks).
func (q *Query) variant() string {
	if q.Method != caliber.Network {
		return ""
	}
	return variantOf(q.at, q.noSteps)
}

// keyMethod is the method with the network options, for the in-process keys of runs and
// kept results.
func (q *Query) keyMethod() string {
	if v := q.variant(); v != "" {
		return q.Method + "\x00" + v
	}
	return q.Method
}

// AgeBands gives residents by age band: internal/capacity's Ages (this package cannot
// import it: it would be a cycle through internal/walk's twin of this hook).
type AgeBands interface {
	// BandCounts checks the band codes (an Invalid fault naming band) and returns them
	// in canonical order, the city's residents of those bands per community id, a
	// digest of those counts and the data version of the age tables they were read under.
	BandCounts(ctx context.Context, cityID int, bands []string) ([]string, map[int64]float64, string, citydata.Version, error)
	// SpreadBands shares the counts among the parcels (community id of each, 0: none) in
	// proportion to their residents pop.
	SpreadBands(pop []float64, community []int64, counts map[int64]float64) []float64
}

// ageSel is a resolved band selection: what a run is keyed by (Band, the codes joined by
// commas, and Digest, of the counts) and the counts.
type ageSel struct {
	Band, Digest string
	bands        []string
	counts       map[int64]float64
	version      citydata.Version // of the age tables the counts were read under
}

// dataVersion is the data version a run weighed by a's bands is stored with: dv's tables
// and the age tables' (an age import changes it), or dv without bands. The run's key
// (data_hash, with Band and Digest) stays dv's.
func (a *ageSel) dataVersion(dv DataVersion) DataVersion {
	if a == nil {
		return dv
	}
	parts := make(map[string]citydata.TableVersion, len(dv.Tables)+len(a.version.Tables))
	maps.Copy(parts, dv.Tables)
	maps.Copy(parts, a.version.Tables)
	return citydata.Combine(parts)
}

// key is the selection's part of a run key ("" without bands).
func (a *ageSel) key() ageKey {
	if a == nil {
		return ageKey{}
	}
	return ageKey{Band: a.Band, Digest: a.Digest}
}

// ageKey is the band part of a stored run's key; the zero value is every resident.
type ageKey struct{ Band, Digest string }

// resolveBands fills q.ages from q.Bands for the city.
func (s *Service) resolveBands(ctx context.Context, q *Query, cityID int) error {
	if len(q.Bands) == 0 {
		return nil
	}
	if s.Ages == nil {
		return badParam("band", "residents by age band are not available here")
	}
	bands, counts, digest, version, err := s.Ages.BandCounts(ctx, cityID, q.Bands)
	if err != nil {
		return err
	}
	q.ages = &ageSel{Band: strings.Join(bands, ","), Digest: digest, bands: bands, counts: counts, version: version}
	return nil
}

// weigh returns res with its population figures counting the residents of q's bands.
func (s *Service) weigh(res *Result, q Query) *Result {
	if q.ages == nil {
		return res
	}
	snap := res.snapshot
	as := snap.assignment()
	pop := make([]float64, len(snap.Parcels))
	com := make([]int64, len(snap.Parcels))
	slot := levelSlot[LevelCommunity]
	for i := range snap.Parcels {
		pop[i] = snap.Parcels[i].Population
		if a := as.parcel[i][slot]; a >= 0 {
			com[i] = snap.Areas[a].ID
		}
	}
	return res.withBands(q.ages.bands, s.Ages.SpreadBands(pop, com, q.ages.counts))
}

// Report is the indicator as served.
type Report struct {
	City    string          `json:"city"`
	Caliber caliber.Caliber `json:"caliber"`
	Method  string          `json:"method"`
	// CaliberFrom and MethodFrom say where the caliber and the method came from: the
	// request, the city's default caliber, the caliber's default method.
	CaliberFrom string `json:"caliber_from"`
	MethodFrom  string `json:"method_from"`
	Level       string `json:"level"`
	Run         Run    `json:"run"`
	// Bands are the age bands the population figures count (band=); empty: everyone.
	Bands    []string       `json:"bands,omitempty"`
	Reused   bool           `json:"reused"`
	Headline string         `json:"headline"`
	Targets  []TargetStatus `json:"targets,omitempty"`
	City1    *AreaFigure    `json:"city_figure"`
	Areas    []AreaFigure   `json:"areas"`
	// AsOf says which past state of the data was asked for; nil for the current data.
	AsOf *edition.AsOf `json:"as_of,omitempty"`
	// Profile and At are the network method's walking profile and time of day, as asked
	// (absent: the standard walker, gates open at any time of day).
	Profile string `json:"profile,omitempty"`
	At      string `json:"at,omitempty"`
}

// TargetStatus compares the city figure with one target of the caliber.
type TargetStatus struct {
	caliber.Target
	Met bool `json:"met"`
}

func badParam(name, detail string) error {
	return fault.Invalid(detail).With("parameter", name)
}

// caliber returns the caliber called id, or the error every caliber parameter gives.
func (s *Service) caliber(id string) (caliber.Caliber, error) {
	cal, err := s.Calibers.Get(id)
	if err != nil {
		return cal, fmt.Errorf("unknown caliber %q; GET /api/v1/calibers lists them", id)
	}
	return cal, nil
}

// CheckCaliber is the check of every caliber parameter: a caliber of the registry.
func (s *Service) CheckCaliber(id string) error {
	_, err := s.caliber(id)
	return err
}

// CheckMethod is the check of every method parameter: buffer or network.
func CheckMethod(v string) error {
	if v != caliber.Buffer && v != caliber.Network {
		return fmt.Errorf("method must be buffer or network, not %q", v)
	}
	return nil
}

// Validate checks q and fills defaults: the city's default caliber (cities.default_caliber)
// when q names none, then that caliber's method. Its errors are Invalid faults naming the
// parameter.
func (s *Service) Validate(ctx context.Context, q *Query) (caliber.Caliber, error) {
	if q.City == "" {
		return caliber.Caliber{}, badParam("city", "city is required (a city slug, e.g. baotou)")
	}
	if q.Caliber == "" {
		id, err := s.DefaultCaliber(ctx, q.City)
		if err != nil {
			return caliber.Caliber{}, err
		}
		q.Caliber = id
	}
	cal, err := s.caliber(q.Caliber)
	if err != nil {
		return cal, badParam("caliber", err.Error())
	}
	if q.Method == "" {
		q.Method = cal.Method
	} else if err := CheckMethod(q.Method); err != nil {
		return cal, badParam("method", err.Error())
	}
	if q.Profile != "" {
		p, ok := walking.ProfileByCode(q.Profile)
		if !ok {
			return cal, badParam("profile", fmt.Sprintf("profile must be one of %s, not %q", strings.Join(walking.ProfileCodes(), ", "), fault.Clip(q.Profile)))
		}
		q.noSteps = p.NoSteps
	}
	if q.at, err = openness.ParseAt(q.At); err != nil {
		return cal, badParam("at", err.Error())
	}
	switch q.Level {
	case "":
		q.Level = LevelCity
	case LevelCity, LevelDistrict, LevelSubdistrict, LevelCommunity:
	default:
		return cal, badParam("level", fmt.Sprintf("level must be city, district, subdistrict or community, not %q", q.Level))
	}
	return cal, nil
}

// Indicator returns the figures of q from the run of the city's current data, computing
// and storing the run unless it is stored. The answer is read back from the stored run
// either way, so a reused answer is the fresh one but for Reused.
func (s *Service) Indicator(ctx context.Context, q Query) (*Report, error) {
	calFrom, methodFrom := From(q.Caliber, FromCityDefault), From(q.Method, FromCaliberDefault)
	cal, err := s.Validate(ctx, &q)
	if err != nil {
		return nil, err
	}
	if q.AsOf != "" {
		if len(q.Bands) > 0 {
			return nil, badParam("band", "band cannot be combined with as_of: age counts have no past editions")
		}
		return s.indicatorAsOf(ctx, q, cal, calFrom, methodFrom)
	}
	run, fresh, err := s.currentRun(ctx, q, cal)
	if err != nil {
		return nil, err
	}
	return s.report(ctx, q, cal, run, fresh, calFrom, methodFrom)
}

// report reads the figures of q from the stored run.
func (s *Service) report(ctx context.Context, q Query, cal caliber.Caliber, run *Run, fresh bool, calFrom, methodFrom string) (*Report, error) {
	rep := &Report{City: q.City, Caliber: cal, Method: q.Method, Level: q.Level, Run: *run, Reused: !fresh, Headline: cal.Headline,
		CaliberFrom: calFrom, MethodFrom: methodFrom}
	if q.Method == caliber.Network {
		rep.Profile, rep.At = q.Profile, q.at.String()
	}
	if q.ages != nil {
		rep.Bands = q.ages.bands
	}
	// A run found by a lookup is read where lookups go (a replica that has it, since it
	// found it complete there); a run computed now, or one a replica has not replayed in
	// full (another replica answering), on the primary, which stored it.
	figs := s.Store.reads()
	if fresh {
		figs = s.Store.Pool
	}
	cityFigs, err := s.Store.Figures(ctx, figs, run.ID, LevelCity)
	if err == nil && len(cityFigs) == 0 && figs != querier(s.Store.Pool) {
		figs = s.Store.Pool
		cityFigs, err = s.Store.Figures(ctx, figs, run.ID, LevelCity)
	}
	if err != nil {
		return nil, err
	}
	if len(cityFigs) == 1 {
		rep.City1 = &cityFigs[0]
	}
	rep.Areas = cityFigs
	if q.Level != LevelCity {
		if rep.Areas, err = s.Store.Figures(ctx, figs, run.ID, q.Level); err != nil {
			return nil, err
		}
	}
	if rep.City1 != nil {
		for _, t := range cal.Targets {
			v := rep.City1.Ratio
			if cal.Headline == caliber.ByPopulation {
				v = rep.City1.PopulationShare
			}
			rep.Targets = append(rep.Targets, TargetStatus{Target: t, Met: v >= t.Ratio})
		}
	}
	return rep, nil
}

// runKey names a run: city, caliber (id and definition), method, data version and age
// bands (with their counts' digest).
func runKey(cityID int, cal caliber.Caliber, method, hash string, ak ageKey) string {
	return fmt.Sprintf("%d\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", cityID, cal.ID, cal.Digest(), method, hash, ak.Band, ak.Digest)
}

// currentRun returns the run of q on the city's data as it is when called: the stored one,
// or one computed and stored now. fresh says the run was computed for this call, or for a
// concurrent identical call it joined.
//
// The data version is read after the call began, so the run is never older than an edit
// committed before it. Calls that read the same version share one computation in this
// process (s.runs), and processes take turns on a PostgreSQL advisory lock of the key
// (computeRun), so each (city, caliber, method, data version) is computed once.
func (s *Service) currentRun(ctx context.Context, q Query, cal caliber.Caliber) (*Run, bool, error) {
	c, err := s.currentRunGaps(ctx, q, cal)
	return c.run, c.fresh, err
}

// currentRunGaps is currentRun with the run's gap storage when it is still under way.
func (s *Service) currentRunGaps(ctx context.Context, q Query, cal caliber.Caliber) (computedRun, error) {
	cityID, _, _, err := s.Store.City(ctx, q.City)
	if errors.Is(err, ErrCityNotFound) {
		return computedRun{}, badParam("city", fmt.Sprintf("no city %q", q.City))
	}
	if err != nil {
		return computedRun{}, err
	}
	if err := s.resolveBands(ctx, &q, cityID); err != nil {
		return computedRun{}, err
	}
	dv, err := s.version(ctx, q.City, cityID)
	if err != nil {
		return computedRun{}, err
	}
	// The lookup may run on a replica: the run is keyed by the content of the data
	// (dv.Hash), so a run found there is the one the primary holds for dv; one not found
	// there yet is looked up again on the primary, under the run's lock (computeLocked).
	if run, err := s.Store.Find(ctx, s.Store.reads(), cityID, cal, q.Method, dv.Hash, q.ages.key(), q.variant()); err != nil || run != nil {
		return computedRun{run: run}, err
	}
	key := runKey(cityID, cal, q.keyMethod(), dv.Hash, q.ages.key())
	s.mu.Lock()
	p, ok := s.pending[key]
	s.mu.Unlock()
	if ok {
		// Still stored (runs can be deleted meanwhile): answer from its figures.
		run, err := s.Store.Run(ctx, s.Store.Pool, p.run.ID)
		if err != nil || run != nil {
			p.run = run
			return p, err
		}
	}
	ch := s.runs.DoChan(key, func() (any, error) {
		// The computation outlives a caller that gives up: others may be waiting.
		return s.computeRun(context.WithoutCancel(ctx), q, cal, cityID, dv.Hash)
	})
	var late <-chan time.Time
	if s.MaxWait > 0 {
		t := time.NewTimer(s.MaxWait)
		defer t.Stop()
		late = t.C
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return computedRun{}, r.Err
		}
		return r.Val.(computedRun), nil
	case <-late:
		return computedRun{}, fault.Unavailable(fmt.Sprintf("the computation is still running after %s; it goes on and is stored when done: ask again later", s.MaxWait), stillComputingRetry)
	case <-ctx.Done():
		return computedRun{}, ctx.Err()
	}
}

// stillComputingRetry is the Retry-After of a call answered before its computation ended
// (Service.MaxWait).
const stillComputingRetry = time.Minute

// computedRun is what a shared computation gives every caller.
type computedRun struct {
	run   *Run
	fresh bool // computed here, not found stored by another process
	// gaps, when not nil, is the run's gap layer still being stored (the run is not
	// complete before it ends): the gap layer's readers wait for it (CurrentRun).
	gaps *persisting
}

// computeRun computes and stores the run of q on data version hash, holding the run's
// advisory lock on one connection throughout. Another process that holds the lock first
// has stored the run by the time this one gets it, and the run is taken from the store.
// The snapshot is read with its own data version; should the data have changed since the
// caller read hash, the newer version is computed instead, under its own lock.
func (s *Service) computeRun(ctx context.Context, q Query, cal caliber.Caliber, cityID int, hash string) (computedRun, error) {
	c, err := s.Store.Pool.Acquire(ctx)
	if err != nil {
		return computedRun{}, err
	}
	for {
		unlock, err := lockRun(ctx, c, runKey(cityID, cal, q.keyMethod(), hash, q.ages.key()))
		if err != nil {
			c.Release()
			return computedRun{}, err
		}
		out, newer, finish, err := s.computeLocked(ctx, c, q, cal, cityID, hash)
		if err == nil && finish != nil {
			// The figures are stored and answered now; the gaps follow under the same
			// lock, so other processes wait for the complete run rather than compute it,
			// and this one answers from the figures meanwhile (pending).
			key := runKey(cityID, cal, q.keyMethod(), hash, q.ages.key())
			s.mu.Lock()
			if s.pending == nil {
				s.pending = map[string]computedRun{}
			}
			s.pending[key] = computedRun{run: out.run, gaps: out.gaps}
			s.mu.Unlock()
			s.storing.Add(1)
			go func() {
				defer s.storing.Done()
				defer c.Release()
				defer func() {
					s.mu.Lock()
					delete(s.pending, key)
					s.mu.Unlock()
				}()
				finish()
				if err := unlock(); err != nil && s.Log != nil {
					s.Log.Warn("park coverage run lock not released", "err", err)
				}
			}()
			return out, nil
		}
		if uerr := unlock(); err == nil {
			err = uerr
		}
		if err != nil || newer == "" {
			c.Release()
			return out, err
		}
		hash = newer
	}
}

// computeLocked is computeRun's work under the lock of hash; newer is set, and nothing
// computed, when the data version is no longer hash. The run's header and figures are
// stored before it returns; finish, when not nil, stores its gaps and marks it complete,
// and must be called before the lock is released.
func (s *Service) computeLocked(ctx context.Context, c *pgxpool.Conn, q Query, cal caliber.Caliber, cityID int, hash string) (out computedRun, newer string, finish func(), err error) {
	if out.run, err = s.Store.Find(ctx, c, cityID, cal, q.Method, hash, q.ages.key(), q.variant()); err != nil || out.run != nil {
		return out, "", nil, err
	}
	st, err := s.state(ctx, c, q.City)
	if err != nil {
		return out, "", nil, err
	}
	if st.dv.Hash != hash {
		return out, st.dv.Hash, nil, nil
	}
	res, reuse, err := s.resultOn(ctx, st, q, cal)
	if err != nil {
		return out, "", nil, err
	}
	base := res
	if q.ages != nil {
		// The areas are those of every resident's result; only the weights differ. The
		// result kept for edits is that one, and the gaps, whose residents are the bands',
		// are stored whole.
		res, reuse = s.weigh(res, q), nil
	}
	id, err := s.Store.saveRun(ctx, c, res, st.dv, q.ages)
	if err != nil {
		return out, "", nil, err
	}
	if out.run, err = s.Store.Run(ctx, c, id); err == nil && out.run == nil {
		err = fmt.Errorf("coverage: stored run %d is gone", id)
	}
	if err != nil {
		return out, "", nil, err
	}
	out.fresh = true
	if res.Gaps == nil {
		return out, "", nil, nil
	}
	p := &persisting{done: make(chan struct{})}
	if q.ages == nil {
		s.keep(st, resultKey(cal, q.keyMethod()), res, id, p)
	} else if _, ok := s.kept(st, resultKey(cal, q.keyMethod())); !ok {
		s.keep(st, resultKey(cal, q.keyMethod()), base, 0, nil)
	}
	out.gaps = p
	return out, "", func() {
		defer close(p.done)
		t := time.Now()
		if reuse != nil && reuse.after != nil {
			<-reuse.after.done
			if reuse.after.err != nil {
				reuse = nil // the earlier run's gaps are not there: store them all
			}
		}
		p.err = s.Store.saveGaps(ctx, c, id, res, reuse)
		if s.Log == nil {
			return
		}
		if p.err != nil {
			s.Log.Error("park coverage gaps not stored; the run stays incomplete", "city", q.City, "run", id, "err", p.err)
			return
		}
		s.Log.Info("park coverage gaps stored", "city", q.City, "run", id, "copied", reuse != nil, "ms", time.Since(t).Milliseconds())
	}, nil
}

// lockRun takes the session advisory lock of key on c and returns its release. A
// statement timeout ends only the wait, not the holder's computation, so the wait is
// taken up again. Should the release fail, the connection is closed (which releases the
// lock) rather than returned to the pool still holding it.
func lockRun(ctx context.Context, c *pgxpool.Conn, key string) (func() error, error) {
	h := fnv.New64a()
	_, _ = h.Write([]byte("cityreach coverage run\x00" + key)) // a hash.Hash's Write never fails
	k := int64(h.Sum64())
	for {
		_, err := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, k)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "57014" && ctx.Err() == nil { // query_canceled: the statement timeout
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	return func() error {
		var held bool
		err := c.QueryRow(ctx, `SELECT pg_advisory_unlock($1)`, k).Scan(&held)
		if err == nil && !held {
			err = errors.New("coverage: the run lock was not held")
		}
		if err != nil {
			_ = c.Conn().Close(ctx)
		}
		return err
	}, nil
}

func (s *Service) compute(ctx context.Context, snap *Snapshot, q Query, cal caliber.Caliber) (*Result, error) {
	res, err := Compute(ctx, snap, cal, Options{Method: q.Method, Gaps: true, Surfaces: s.surfaces(), At: q.at, NoSteps: q.noSteps})
	if errors.Is(err, ErrNoNetwork) {
		return nil, badParam("method", fmt.Sprintf("city %q has no walking network; use method=buffer", q.City))
	}
	if err != nil {
		return nil, err
	}
	s.observe(q, cal, res)
	return res, nil
}

// observe tells the metrics and the log of a computed result.
func (s *Service) observe(q Query, cal caliber.Caliber, res *Result) {
	if s.Observe != nil {
		s.Observe(cal.ID, q.Method, res.Duration)
	}
	if s.Log == nil {
		return
	}
	if q.Method != caliber.Network {
		s.Log.Info("park coverage computed", "city", q.City, "caliber", cal.ID, "method", q.Method,
			"ratio", res.Ratio(), "ms", float64(res.Duration.Microseconds())/1000)
		return
	}
	b, n, hits, misses := s.surfaces().Stats()
	s.Log.Info("park coverage computed", "city", q.City, "caliber", cal.ID, "method", q.Method,
		"ratio", res.Ratio(), "ms", float64(res.Duration.Microseconds())/1000,
		"surface_cache_mib", b>>20, "surface_tiles", n, "surface_hits", hits, "surface_misses", misses)
}

// snapshot returns the city's current snapshot and its data version, read on c (see
// state).
func (s *Service) snapshot(ctx context.Context, c db, city string) (*Snapshot, DataVersion, error) {
	st, err := s.state(ctx, c, city)
	if err != nil {
		return nil, DataVersion{}, err
	}
	return st.snap, st.dv, nil
}

// Result computes q afresh on the current data (no stored run), for the sites and for
// callers that need the per-parcel figures; with q.AsOf, on the data as it was then.
func (s *Service) Result(ctx context.Context, q Query) (*Result, error) {
	cal, err := s.Validate(ctx, &q)
	if err != nil {
		return nil, err
	}
	if q.AsOf != "" {
		return s.resultAsOf(ctx, q, cal)
	}
	snap, _, err := s.snapshot(ctx, s.Store.Pool, q.City)
	if errors.Is(err, ErrCityNotFound) {
		return nil, badParam("city", fmt.Sprintf("no city %q", q.City))
	}
	if err != nil {
		return nil, err
	}
	return s.compute(ctx, snap, q, cal)
}

// Gaps returns the gap layer of q as GeoJSON (EPSG:4326), computing the run when needed.
func (s *Service) Gaps(ctx context.Context, q Query, limit int) ([]byte, *Run, error) {
	run, err := s.CurrentRun(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.Store.GapsGeoJSON(ctx, run.ID, limit)
	return b, run, err
}
