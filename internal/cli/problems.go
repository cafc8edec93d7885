package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/problems"
)

// runProblems prints or writes the 问题清单 of a city between two data editions, from the
// same problems.Source as GET /api/v1/problems:
//
//	cityreach problems --city baotou [--from E --to E --indicator I[,I] --status S --district D --unit U
//	  --caliber C --method M --min-coverage R --sites N --format table|json|geojson|xlsx --lang zh|en --out FILE]
func runProblems(ctx context.Context, env Env, args []string) error {
	var q problems.Query
	var indicators, format, lang, out string
	var quiet bool
	cfg, _, err := setup(env, "problems", args, true, func(fs *flag.FlagSet) {
		fs.StringVar(&q.From, "from", "", "the earlier state: an edition name, RFC 3339 time or date (default: the published edition before --to)")
		fs.StringVar(&q.To, "to", "", "the later state (default: the current data)")
		fs.StringVar(&indicators, "indicator", "", "park-coverage, living-circle, complete-communities, comma-separated (default all)")
		fs.StringVar(&q.Status, "status", "", "only new, persisting, fixed or open problems")
		fs.StringVar(&q.District, "district", "", "only problems in this district (adcode)")
		fs.StringVar(&q.Unit, "unit", "", "only problems of this community (code)")
		fs.StringVar(&q.Caliber, "caliber", "", "park coverage: caliber id (default: the city's)")
		fs.StringVar(&q.Method, "method", "", "park coverage: buffer or network (default: the caliber's)")
		fs.Float64Var(&q.MinCoverage, "min-coverage", 0, "park coverage a community must reach, 0–1 (default: the caliber's first target)")
		fs.IntVar(&q.Sites, "sites", 10, "candidate pocket-park sites for the remedies (0: none)")
		fs.StringVar(&format, "format", "table", "table, json, geojson or xlsx")
		fs.StringVar(&lang, "lang", "zh", "zh or en (geojson, xlsx)")
		fs.StringVar(&out, "out", "", "write to this file (required for xlsx)")
		fs.BoolVar(&quiet, "quiet", false, "no progress bar")
	})
	if err != nil {
		return err
	}
	if format == "xlsx" && out == "" {
		return errors.New("--format xlsx needs --out FILE")
	}
	if lang != "zh" && lang != "en" {
		return fmt.Errorf("--lang must be zh or en, not %q", lang)
	}
	q.City = cfg.City
	if q.Indicators, err = problems.ParseIndicators(indicators); err != nil {
		return err
	}
	pool, in, err := indicatorServices(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	src := problems.Source{Pool: pool, Coverage: in.Coverage, Walk: in.Walk, Checks: in.Checks}
	bar := newStepBar(env.Stderr, quiet, "problems")
	q.Progress = bar.set
	led, err := src.Ledger(ctx, q)
	bar.finish()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	switch format {
	case "json":
		err = printJSON(&b, led)
	case "geojson":
		var g []byte
		if g, err = problems.GeoJSON(led, lang); err == nil {
			b.Write(append(g, '\n'))
		}
	case "xlsx":
		err = problems.WriteXLSX(&b, led, lang)
	case "table":
		err = printProblems(&b, led, lang)
	default:
		return fmt.Errorf("--format must be table, json, geojson or xlsx, not %q", format)
	}
	if err != nil {
		return err
	}
	if out != "" {
		return os.WriteFile(out, b.Bytes(), 0o644) //nolint:gosec // G306: a report file the operator asked for, read by others as the other reports are
	}
	_, err = env.Stdout.Write(b.Bytes())
	return err
}

// printProblems prints the ledger as a table, then the 整治率 of the city and its districts.
func printProblems(w *bytes.Buffer, led *problems.Ledger, lang string) error {
	from := "—"
	if led.From != nil {
		from = led.From.Edition
		if from == "" {
			from = led.From.At.String()
		}
	}
	to := led.To.Edition
	if led.ToNow {
		to = "now"
	}
	fmt.Fprintf(w, "%s (%s): %s → %s; caliber %s, method %s\n", led.CityName, led.City, from, to, led.Caliber, led.Method)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tINDICATOR\tDISTRICT\tCOMMUNITY\tVALUE\tTHRESHOLD\tREMEDY")
	for i := range led.Problems {
		p := &led.Problems[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s %s\t%.4f\t%.4f\t%s\n", p.ID, p.Status, p.Indicator, p.Unit.DistrictName,
			p.Unit.Code, p.Unit.Name, p.Value, p.Threshold, problems.RemedyText(lang, p))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\n整治率 RATE\tEARLIER\tFIXED\tPERSISTING\tNEW\tRATE")
	for _, r := range append([]problems.Rate{led.Rate}, led.Districts...) {
		rate := "—"
		if r.Rate != nil {
			rate = fmt.Sprintf("%.1f %%", 100**r.Rate)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", strings.TrimSpace(r.Name+" "+r.Code), r.Earlier, r.Fixed, r.Persisting, r.New, rate)
	}
	return tw.Flush()
}

// indicatorServices opens the pool (the caller closes it) and builds the indicator
// services on it, with every caliber.
func indicatorServices(ctx context.Context, cfg *config.Config) (*pgxpool.Pool, indicators, error) {
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return nil, indicators{}, err
	}
	reg, err := calibers(ctx, pool, "")
	if err != nil {
		pool.Close()
		return nil, indicators{}, err
	}
	return pool, newIndicators(pool, reg, logger(cfg)), nil
}
