package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/report"
)

// runReport writes the batch report of a city (internal/report, docs/reports.md):
//
//	cityreach report --city baotou --level community --indicators park-coverage,checks --lang zh --out DIR
//
// The files are written to a temporary directory beside DIR and moved into DIR only when
// every one of them is complete.
func runReport(ctx context.Context, env Env, args []string) error {
	var req report.Request
	var indicators, formats, out, chromium string
	var quiet bool
	cfg, fs, err := setup(env, "report", args, true, func(fs *flag.FlagSet) {
		fs.StringVar(&req.Level, "level", "district", "district, subdistrict or community")
		fs.StringVar(&indicators, "indicators", "all", "comma-separated: park-coverage, living-circle, complete-communities, corridors, control-lines, growth-diff, outside; checks = every check; all")
		fs.StringVar(&req.Caliber, "caliber", "", "park-coverage caliber id (default: the city's default caliber)")
		fs.StringVar(&req.Method, "method", "", "park-coverage distance method: buffer or network (default: the caliber's)")
		fs.StringVar(&req.Lang, "lang", "zh", "zh or en")
		fs.StringVar(&formats, "formats", strings.Join(report.Formats, ","), "outputs to write")
		fs.StringVar(&out, "out", "", "output directory (required)")
		fs.StringVar(&chromium, "chromium", os.Getenv("CITYREACH_CHROMIUM"), "Chromium binary for the PDF (default /usr/bin/chromium)")
		fs.BoolVar(&quiet, "quiet", false, "no progress bar")
		fs.StringVar(&req.AsOf, "as-of", "", "the data as of an edition name, an RFC 3339 time or a date (docs/editions.md); capacity is left out")
		fs.Int64Var(&req.Scenario, "scenario", 0, "refused: a report is of the current data or of an edition (--as-of), never of a scenario")
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if out == "" {
		return errors.New("--out DIR is required")
	}
	req.City = cfg.City
	req.Indicators = []string{indicators}
	req.Formats = []string{formats}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	log := logger(cfg)
	reg, err := calibers(ctx, pool, "")
	if err != nil {
		return err
	}
	in := newIndicators(pool, reg, log)
	ages := capacity.Ages{Store: capacity.Store{Pool: pool}}
	in.Walk.Ages, in.Coverage.Ages = ages, ages
	src := &report.Sources{
		Store:    report.Store{Pool: pool},
		Coverage: in.Coverage,
		Checks:   in.Checks,
		Walk:     in.Walk,
		Capacity: &capacity.Service{Walk: in.Walk, Store: capacity.Store{Pool: pool}},
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(out)), 0o755); err != nil { //nolint:gosec // G301: the directory of a file the operator asked for (umask applies)
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) //nolint:errcheck // best-effort: nothing left behind on failure; empty after the move on success
	t0 := time.Now()
	bar := newReportBar(env.Stderr, quiet)
	_, files, err := report.Generate(ctx, src, req, tmp, report.Options{Chromium: chromium}, bar.set)
	bar.finish()
	if err != nil {
		return err
	}
	if err := moveInto(tmp, out, files); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "report written to %s in %.1f s:\n", out, time.Since(t0).Seconds())
	for _, f := range files {
		fmt.Fprintf(env.Stdout, "  %-40s %10d bytes\n", f.Name, f.Size)
	}
	return nil
}

// moveInto renames the finished files from tmp into out: the whole directory when out does
// not exist yet, file by file (replacing older ones) when it does.
func moveInto(tmp, out string, files []report.File) error {
	if _, err := os.Stat(out); os.IsNotExist(err) {
		return os.Rename(tmp, out)
	}
	for _, f := range files {
		if err := os.Rename(filepath.Join(tmp, f.Name), filepath.Join(out, f.Name)); err != nil {
			return err
		}
	}
	return nil
}

// reportBar shows the report's progress: a bar on a terminal, a line per step otherwise.
type reportBar struct {
	mu   sync.Mutex
	name string
	w    io.Writer
	bar  *progressbar.ProgressBar
	last string
	t0   time.Time
}

func newReportBar(w io.Writer, quiet bool) *reportBar { return newStepBar(w, quiet, "report") }

// newStepBar is a bar of a command called name whose work goes in steps.
func newStepBar(w io.Writer, quiet bool, name string) *reportBar {
	b := &reportBar{w: w, t0: time.Now(), name: name}
	if quiet {
		b.w = io.Discard
		return b
	}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.bar = progressbar.NewOptions(1000, progressbar.OptionSetWriter(w), progressbar.OptionSetWidth(30),
				progressbar.OptionSetDescription(name), progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionShowElapsedTimeOnFinish())
		}
	}
	return b
}

func (b *reportBar) set(done float64, step string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		b.bar.Describe(fmt.Sprintf("%s %-22s", b.name, step))
		_ = b.bar.Set(int(done * 1000))
		return
	}
	if step != b.last {
		fmt.Fprintf(b.w, "%s %3.0f%% %6.1f s  %s\n", b.name, 100*done, time.Since(b.t0).Seconds(), step)
		b.last = step
	}
}

func (b *reportBar) finish() {
	if b.bar != nil {
		_ = b.bar.Finish()
		fmt.Fprintln(b.w)
	}
}
