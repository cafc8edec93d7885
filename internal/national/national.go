// Package national is the national 城市体检 run: the headline indicators of many cities,
// one job per city on the shared job queue (internal/jobs/queue), so that every worker of
// every cityreach process takes cities from the same run and a worker's death costs only
// the city it was computing, which another worker computes again.
//
// A run is one parent job and one child job per city. Plan creates them idempotently
// (fixed ids derived from the run's name), so running the same run again resumes it: a
// city whose child succeeded is not computed again. Here the cities are synthetic
// (Specs): the demo generator's cities of varying scale and seed inside Baotou's outlines,
// each under its own slug; the headline figures are computed by the same domain calls as
// the API, the CLI and the reports.
package national

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/synth"
	"github.com/cityreach/cityreach/internal/walk"
	"github.com/cityreach/cityreach/internal/walkgraph"
)

// The job classes and process names of a run.
const (
	// ClassCity is the class of the per-city jobs, the one workers claim.
	ClassCity = "national"
	// ClassRun is the class of a run's parent job, which no worker claims: it ends when
	// its last child has succeeded (Finish).
	ClassRun = "national-run"
	// ProcessHeadline computes one city's headline indicators.
	ProcessHeadline = "headline"
	// ProcessRun is the parent's process name.
	ProcessRun = "national"
)

// Spec is one synthetic city of a run.
type Spec struct {
	Slug  string  `json:"city"`
	Seed  uint64  `json:"seed"`
	Scale float64 `json:"scale"`
}

// Specs returns n cities whose scales grow geometrically from minScale to maxScale (a
// country has a few large cities and many small ones only in the count; the range is what
// the measurement needs), with seeds 1…n and slugs synth-001….
func Specs(n int, minScale, maxScale float64) ([]Spec, error) {
	if n < 1 || n > 999 {
		return nil, fault.Invalid(fmt.Sprintf("cities must be 1…999, got %d", n)).With("parameter", "cities")
	}
	for _, s := range []float64{minScale, maxScale} {
		if err := (synth.Params{Scale: s}).Validate(); err != nil {
			return nil, fault.Invalid(err.Error()).With("parameter", "scale")
		}
	}
	if minScale > maxScale {
		return nil, fault.Invalid(fmt.Sprintf("the smallest scale %v exceeds the largest %v", minScale, maxScale)).With("parameter", "scale")
	}
	out := make([]Spec, n)
	for i := range out {
		s := minScale
		if n > 1 {
			s = minScale * math.Pow(maxScale/minScale, float64(i)/float64(n-1))
		}
		out[i] = Spec{Slug: fmt.Sprintf("synth-%03d", i+1), Seed: uint64(i + 1), Scale: math.Round(s*1e4) / 1e4}
	}
	return out, nil
}

// Ensure loads the cities of specs that the database does not hold yet, replacing the data
// of a city of the same slug generated with another seed or scale, and returns every
// city's id by slug. loaded is called
// after each city, with whether it was generated now.
func Ensure(ctx context.Context, pool *pgxpool.Pool, specs []Spec, loaded func(s Spec, fresh bool)) (map[string]int, error) {
	o, err := seed.Outlines("")
	if err != nil {
		return nil, err
	}
	ids := map[string]int{}
	for _, s := range specs {
		id, has, err := cityLoaded(ctx, pool, s)
		if err != nil {
			return nil, err
		}
		if !has {
			c, err := synth.Generate(ctx, synth.Params{Scale: s.Scale, Seed: s.Seed}, o)
			if err != nil {
				return nil, err
			}
			sum, err := seed.Load(ctx, pool, o, c, seed.Options{Replace: true, City: seed.CityRow{Slug: s.Slug,
				Name: fmt.Sprintf("合成市%s", s.Slug[len("synth-"):]), NameEN: "Synthetic " + s.Slug[len("synth-"):], Synthetic: true}})
			if err != nil {
				return nil, fmt.Errorf("loading %s: %w", s.Slug, err)
			}
			id = sum.CityID
		}
		ids[s.Slug] = id
		if loaded != nil {
			loaded(s, !has)
		}
	}
	return ids, nil
}

// cityLoaded returns the id of the city slug and whether it holds the city of s: the
// generator's rows carry its seed and scale in their data_source.
func cityLoaded(ctx context.Context, pool *pgxpool.Pool, s Spec) (id int, has bool, err error) {
	src := synth.Params{Scale: s.Scale, Seed: s.Seed}.DataSource()
	c, err := citydata.BySlug(ctx, pool, s.Slug)
	if fault.KindOf(err) == fault.KindNotFound {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	err = pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM communities WHERE city_id = $1 AND data_source = $2)`, c.ID, src).Scan(&has)
	return c.ID, has, err
}

var runRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,40}$`)

// ParentID is the id of the run called name's parent job; a child's is ParentID + "." +
// the city's slug.
func ParentID(name string) (string, error) {
	if !runRE.MatchString(name) {
		return "", fault.Invalid(fmt.Sprintf("run name %q: use 1–41 of a–z, 0–9, - and _", name)).With("parameter", "run")
	}
	return "national-" + name, nil
}

// Plan creates the run called name (its parent job and one child per city, owned by
// owner), or finds it, and returns the parent's id and how many children it added. The
// children of a run resumed are kept; those that failed or were cancelled are made
// claimable again.
func Plan(ctx context.Context, st queue.Store, name, owner string, specs []Spec, ids map[string]int) (parent string, added int, err error) {
	parent, err = ParentID(name)
	if err != nil {
		return "", 0, err
	}
	if _, _, err := st.SubmitOnce(ctx, queue.New{ID: parent, Class: ClassRun, Owner: owner, Process: ProcessRun,
		Inputs: map[string]any{"cities": specs}}); err != nil {
		return "", 0, err
	}
	for _, s := range specs {
		_, fresh, err := st.SubmitOnce(ctx, queue.New{ID: parent + "." + s.Slug, Class: ClassCity, Owner: owner,
			Process: ProcessHeadline, Inputs: s, CityID: ids[s.Slug], ParentID: parent})
		if err != nil {
			return "", 0, err
		}
		if fresh {
			added++
		}
	}
	if _, err := st.Retry(ctx, parent); err != nil {
		return "", 0, err
	}
	return parent, added, nil
}

// Headline is one city's 体检 headline figures.
type Headline struct {
	City  string  `json:"city"`
	Seed  uint64  `json:"seed"`
	Scale float64 `json:"scale"`
	// Park coverage under the city's default caliber and that caliber's default method.
	Caliber         string  `json:"caliber"`
	Method          string  `json:"method"`
	ParkCoverage    float64 `json:"park_coverage"`      // share of residential land covered
	ParkPopulation  float64 `json:"park_population"`    // share of residents covered
	ParkPerCapitaM2 float64 `json:"park_m2_per_capita"` // GB 55014 人均公园绿地
	// The 15-minute living circle: communities that are complete ones, of all.
	Communities          int `json:"communities"`
	CompleteCircles      int `json:"complete_circles"`
	CircleTarget         int `json:"circle_target"`
	CompleteScorecard    int `json:"complete_scorecard"` // complete communities (GB/T 50180 checklist)
	ScorecardTarget      int `json:"scorecard_target"`
	ScorecardCommunities int `json:"scorecard_communities"`
	// Seconds is the wall time of the computation on its worker.
	Seconds float64 `json:"seconds"`
}

// Computer computes headline figures on one database.
type Computer struct {
	Pool     *pgxpool.Pool
	Calibers *caliber.Registry
	Log      *slog.Logger
	// Dir, when not "", receives each city's figures as <job id>.a<attempt>.json: the jobs
	// directory (CITYREACH_JOBS_DIR), which every process of a run must share.
	Dir string
}

// Compute returns city's headline figures. Each call builds its own services, so a
// worker going through hundreds of cities keeps no city's network in memory after it is
// done, and the time measured is a cold computation's.
func (c Computer) Compute(ctx context.Context, s Spec, progress func(float64, string)) (*Headline, error) {
	t0 := time.Now()
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Headline{City: s.Slug, Seed: s.Seed, Scale: s.Scale}
	progress(0.05, "park coverage")
	graphs := &walkgraph.Cache{} // one walking graph for coverage and the living circle
	cov := &coverage.Service{Store: coverage.Store{Pool: c.Pool}, Calibers: c.Calibers, Log: log, Graphs: graphs}
	defer cov.Close(context.WithoutCancel(ctx)) //nolint:errcheck // nothing to keep
	rep, err := cov.Indicator(ctx, coverage.Query{City: s.Slug, Level: coverage.LevelCity})
	if err != nil {
		return nil, fmt.Errorf("park coverage of %s: %w", s.Slug, err)
	}
	h.Caliber, h.Method = rep.Caliber.ID, rep.Method
	if f := rep.City1; f != nil {
		h.ParkCoverage, h.ParkPopulation = f.Ratio, f.PopulationShare
		if f.PerCapita != nil {
			h.ParkPerCapitaM2 = f.PerCapita.ParkPerCapita
		}
	}
	progress(0.4, "living circle")
	ws := walk.NewService(c.Pool, log)
	ws.Graphs = graphs
	lc, err := ws.LivingCircle(ctx, s.Slug, walk.Options{Level: "city"})
	if err != nil {
		return nil, fmt.Errorf("living circle of %s: %w", s.Slug, err)
	}
	h.Communities, h.CompleteCircles, h.CircleTarget = lc.Communities, lc.CompleteCommunities, lc.Target
	progress(0.7, "complete communities")
	chk := &checks.Service{Store: &checks.Store{Pool: c.Pool}, Config: checks.DefaultConfig(), Reach: checks.NetworkReach{Walk: ws}}
	sc, err := chk.CompleteCommunities(ctx, checks.Request{City: s.Slug})
	if err != nil {
		return nil, fmt.Errorf("complete communities of %s: %w", s.Slug, err)
	}
	h.CompleteScorecard, h.ScorecardTarget, h.ScorecardCommunities = sc.Complete, sc.Target, len(sc.Scores)
	h.Seconds = time.Since(t0).Seconds()
	progress(0.99, "done")
	return h, nil
}

// Handler is the queue handler of ProcessHeadline: the job's inputs are its Spec.
func (c Computer) Handler() queue.Handler {
	return func(ctx context.Context, j queue.Job, progress func(float64, string)) (any, error) {
		var s Spec
		if err := json.Unmarshal(j.Inputs, &s); err != nil || s.Slug == "" {
			return nil, fault.Invalid(fmt.Sprintf("job %s: inputs are not a city", j.ID))
		}
		h, err := c.Compute(ctx, s, progress)
		if err != nil || c.Dir == "" {
			return h, err
		}
		f, err := writeJSON(c.Dir, fmt.Sprintf("%s.a%d.json", j.ID, j.Attempts), h)
		if err != nil {
			return nil, err
		}
		return queue.Published{Result: h, Files: []File{f}}, nil
	}
}

// File is a result file of a city's job, under the jobs directory.
type File struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"`
}

// writeJSON writes v as dir/name through a temporary file renamed into place, so a
// worker killed while writing leaves no partial file under the name.
func writeJSON(dir, name string, v any) (File, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return File{}, err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+name+"-*")
	if err != nil {
		return File{}, err
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close() //nolint:errcheck,gosec // the write error is the one to report
		return File{}, err
	}
	if err := tmp.Close(); err != nil {
		return File{}, err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return File{}, err
	}
	return File{Name: name, Type: "application/json", Size: int64(len(b))}, nil
}

// Results returns the headline of every successful child of parent, in the children's
// order, and the children that did not succeed.
func Results(ctx context.Context, st queue.Store, parent string) ([]Headline, []queue.Job, error) {
	kids, err := st.Children(ctx, parent)
	if err != nil {
		return nil, nil, err
	}
	var out []Headline
	var open []queue.Job
	for _, k := range kids {
		if k.Status != queue.Successful {
			open = append(open, k)
			continue
		}
		var h Headline
		if err := json.Unmarshal(k.Result, &h); err != nil {
			return nil, nil, fmt.Errorf("job %s: %w", k.ID, err)
		}
		out = append(out, h)
	}
	return out, open, nil
}

// Finish ends the run parent once every child has succeeded, with the headlines as its
// result; it reports whether the run is complete.
func Finish(ctx context.Context, st queue.Store, parent string) (bool, error) {
	hs, open, err := Results(ctx, st, parent)
	if err != nil || len(open) > 0 {
		return false, err
	}
	if _, err := st.Complete(ctx, parent, hs); err != nil {
		return false, err
	}
	j, err := st.Get(ctx, parent)
	return err == nil && j.Status == queue.Successful, err
}
