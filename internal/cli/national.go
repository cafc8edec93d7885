package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/schollz/progressbar/v3"

	"github.com/cityreach/cityreach/internal/jobs"
	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/national"
	"github.com/cityreach/cityreach/internal/report"
)

// runNational is the national 体检 run over synthetic cities (docs/scale-out.md):
//
//	cityreach national [--run NAME] [--cities N] [--scale-min S] [--scale-max S] [--workers K] [--lease D]
//	cityreach national work [--slots K] [--lease D] [--until-idle]
//
// The first loads the cities the database lacks, creates the run (or resumes it: cities
// done are not computed again), runs K workers of its own (0: only other processes'),
// shows the cities done as a progress bar and prints the table once every city is. The
// second is a worker only: start it in as many processes, on as many machines, as wanted;
// all of them share the run through the jobs table, and the results directory
// (CITYREACH_JOBS_DIR) must be one shared directory.
func runNational(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "work" {
		return runNationalWork(ctx, env, args[1:])
	}
	var (
		run, format, lang   string
		cities, workers     int
		minScale, maxScale  float64
		lease               time.Duration
		quiet               bool
		resultsDir, calFile string
	)
	cfg, fs, err := setup(env, "national", args, true, func(fs *flag.FlagSet) {
		fs.StringVar(&run, "run", "demo", "the run's name: running the same name again resumes it")
		fs.IntVar(&cities, "cities", 8, "how many synthetic cities (synth-001 …), loaded when missing")
		fs.Float64Var(&minScale, "scale-min", 0.02, "the smallest city's scale (1 ≈ 1.75 million residents)")
		fs.Float64Var(&maxScale, "scale-max", 0.1, "the largest city's scale; the scales grow geometrically between the two")
		fs.IntVar(&workers, "workers", 1, "cities this process computes at once (0: leave them to the processes of cityreach national work)")
		fs.DurationVar(&lease, "lease", queue.DefaultLease, "how long a city's claim holds without renewal: a dead worker's city is taken over after it")
		fs.StringVar(&format, "format", "table", formatsHelp)
		fs.StringVar(&lang, "lang", "zh", "zh or en: the table's headers")
		fs.BoolVar(&quiet, "quiet", false, "no progress bar")
		fs.StringVar(&resultsDir, "results", "", "directory of each city's result file (default CITYREACH_JOBS_DIR); every process of the run must share it")
		fs.StringVar(&calFile, "calibers", "", "JSON file of extra user calibers")
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if err := checkFormat(format); err != nil {
		return err
	}
	if err := checkLang(lang); err != nil {
		return err
	}
	specs, err := national.Specs(cities, minScale, maxScale)
	if err != nil {
		return cliError(err)
	}
	if _, err := national.ParentID(run); err != nil {
		return cliError(err) // before any city is loaded
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	log := logger(cfg)
	st := queue.Store{Pool: pool, Lease: lease}
	comp, err := nationalComputer(ctx, env, pool, resultsDir, calFile)
	if err != nil {
		return err
	}
	comp.Log = log

	t0 := time.Now()
	bar := citiesBar(env.Stderr, quiet, len(specs), "loading cities")
	ids, err := national.Ensure(ctx, pool, specs, func(national.Spec, bool) { _ = bar.Add(1) })
	_ = bar.Finish()
	if err != nil {
		return err
	}
	loadSeconds := time.Since(t0).Seconds()
	parent, added, err := national.Plan(ctx, st, run, "cli", specs, ids)
	if err != nil {
		return cliError(err)
	}
	counts, err := st.CountChildren(ctx, parent)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "run %s: %d cities, %d new, %d done before (cities loaded in %.1f s)\n",
		run, counts.Total(), added, counts[queue.Successful], loadSeconds)

	t1 := time.Now()
	wctx, stopWorkers := context.WithCancel(ctx)
	defer stopWorkers()
	var wg sync.WaitGroup
	workerErr := make(chan error, 1)
	if workers > 0 {
		w := &queue.Worker{Store: st, Class: national.ClassCity, Slots: workers, Poll: poll(lease), Log: log,
			Handlers: map[string]queue.Handler{national.ProcessHeadline: comp.Handler()}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.Run(wctx, false); err != nil {
				workerErr <- err // the database failed it: the run cannot advance here
			}
		}()
	}
	bar = citiesBar(env.Stderr, quiet, counts.Total(), "cities")
	for {
		c, err := st.CountChildren(ctx, parent)
		if err != nil {
			return err
		}
		_ = bar.Set(c.Ended())
		if c.Ended() == c.Total() {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err() // the claims lapse; running the command again resumes the run
		case err := <-workerErr:
			return fmt.Errorf("worker: %w", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
	_ = bar.Finish()
	stopWorkers()
	wg.Wait()
	wall := time.Since(t1)
	complete, err := national.Finish(ctx, st, parent)
	if err != nil {
		return err
	}
	kids, err := st.Children(ctx, parent)
	if err != nil {
		return err
	}
	if err := nationalTable(kids, lang, format).write(env.Stdout, format); err != nil {
		return err
	}
	if format == "table" {
		fmt.Fprintf(env.Stdout, report.T(lang, "national_foot")+"\n", len(kids), wall.Seconds())
	}
	if !complete {
		return errors.New("some cities did not succeed (the table says which); run the same command again to retry them")
	}
	return nil
}

// runNationalWork is a worker only: it computes the cities of every run until stopped, or
// with --until-idle until no city is left to take.
func runNationalWork(ctx context.Context, env Env, args []string) error {
	var (
		slots               int
		lease               time.Duration
		untilIdle           bool
		resultsDir, calFile string
	)
	cfg, _, err := setup(env, "national work", args, true, func(fs *flag.FlagSet) {
		fs.IntVar(&slots, "slots", 1, "cities this process computes at once")
		fs.DurationVar(&lease, "lease", queue.DefaultLease, "how long a claim holds without renewal")
		fs.BoolVar(&untilIdle, "until-idle", false, "stop once no city of any run is waiting or running")
		fs.StringVar(&resultsDir, "results", "", "directory of each city's result file (default CITYREACH_JOBS_DIR), shared by every process")
		fs.StringVar(&calFile, "calibers", "", "JSON file of extra user calibers")
	})
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	comp, err := nationalComputer(ctx, env, pool, resultsDir, calFile)
	if err != nil {
		return err
	}
	comp.Log = logger(cfg)
	w := &queue.Worker{Store: queue.Store{Pool: pool, Lease: lease}, Class: national.ClassCity, Slots: slots, Poll: poll(lease),
		Log: comp.Log, Handlers: map[string]queue.Handler{national.ProcessHeadline: comp.Handler()}}
	w.ID = queue.WorkerID()
	fmt.Fprintf(env.Stderr, "worker %s: taking cities\n", w.ID)
	n, err := w.Run(ctx, untilIdle)
	fmt.Fprintf(env.Stderr, "worker %s: %d cities computed\n", w.ID, n)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// poll is how long an idle worker waits before it looks again: a quarter of the lease, at
// most a second, so a dead worker's city is taken over soon after its lease passes.
func poll(lease time.Duration) time.Duration {
	return min(time.Second, max(50*time.Millisecond, lease/4))
}

// nationalComputer builds the headline computation with the calibers (built-in, stored,
// from file) and the results directory: --results, else CITYREACH_JOBS_DIR, else the
// runner's default, <tmp>/cityreach-jobs.
func nationalComputer(ctx context.Context, env Env, pool *pgxpool.Pool, dir, calFile string) (national.Computer, error) {
	if dir == "" {
		o, err := jobs.OptionsFromEnv(env.Getenv)
		if err != nil {
			return national.Computer{}, err
		}
		dir = o.Dir
	}
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "cityreach-jobs")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return national.Computer{}, fmt.Errorf("results directory: %w", err)
	}
	reg, err := calibers(ctx, pool, calFile)
	if err != nil {
		return national.Computer{}, err
	}
	return national.Computer{Pool: pool, Calibers: reg, Dir: dir}, nil
}

// citiesBar is a progress bar over n cities on w (none when quiet).
func citiesBar(w io.Writer, quiet bool, n int, what string) *progressbar.ProgressBar {
	opts := []progressbar.Option{progressbar.OptionSetDescription(what), progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30), progressbar.OptionThrottle(200 * time.Millisecond), progressbar.OptionShowElapsedTimeOnFinish()}
	if quiet {
		opts = append(opts, progressbar.OptionSetVisibility(false))
	} else {
		opts = append(opts, progressbar.OptionSetWriter(w), progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
	}
	return progressbar.NewOptions(n, opts...)
}

// nationalTable is one row per city of the run: its figures, or its status when it did not
// succeed.
func nationalTable(kids []queue.Job, lang, format string) *outTable {
	t := func(k string) string { return report.T(lang, k) }
	tab := &outTable{Head: []string{t("col_city"), t("col_scale"), t("col_communities"), t("col_caliber"), t("col_cov_pct"), t("col_pop_pct"),
		t("col_circles"), t("col_scorecard"), t("col_seconds"), t("col_attempts"), t("col_status")},
		Right: []bool{false, true, true, false, true, true, true, true, true, true, false}}
	for _, k := range kids {
		var h national.Headline
		src := k.Inputs // a city not done yet: its name and scale
		if k.Status == queue.Successful {
			src = k.Result
		}
		_ = json.Unmarshal(src, &h) // the service wrote both; a row unreadable shows empty
		row := []string{h.City, strconv.FormatFloat(h.Scale, 'g', -1, 64), "", "", "", "", "", "", "", strconv.Itoa(k.Attempts), k.Status}
		if k.Status == queue.Successful {
			row[2] = strconv.Itoa(h.Communities)
			row[3] = h.Caliber + "/" + h.Method
			row[4], row[5] = pctOf(h.ParkCoverage, 1, format), pctOf(h.ParkPopulation, 1, format)
			row[6] = fmt.Sprintf("%d/%d", h.CompleteCircles, h.Communities)
			row[7] = fmt.Sprintf("%d/%d", h.CompleteScorecard, h.ScorecardCommunities)
			row[8] = strconv.FormatFloat(h.Seconds, 'f', 1, 64)
		} else if k.Message != "" {
			row[10] = k.Status + ": " + k.Message
		}
		tab.Rows = append(tab.Rows, row)
	}
	return tab
}
