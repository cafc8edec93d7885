package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/series"
)

// runSeries prints an indicator at each published data edition of a city and now, with
// the city's target path, from the same series.Source as the API:
//
//	cityreach indicator series park-coverage|living-circle --city baotou [--level L --unit ID --caliber C --method M --format json]
func runSeries(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return errors.New("say which indicator: park-coverage or living-circle")
	}
	q := series.Query{Indicator: args[0]}
	var format string
	cfg, _, err := setup(env, "indicator series "+args[0], args[1:], true, func(fs *flag.FlagSet) {
		fs.StringVar(&q.Level, "level", "city", "city, district, subdistrict or community")
		fs.Int64Var(&q.Unit, "unit", 0, "only this unit (its id at --level)")
		fs.StringVar(&q.Caliber, "caliber", "", "park coverage: caliber id (default: the city's)")
		fs.StringVar(&q.Method, "method", "", "park coverage: buffer or network (default: the caliber's)")
		fs.StringVar(&format, "format", "table", "table or json")
	})
	if err != nil {
		return err
	}
	q.City = cfg.City
	pool, in, err := indicatorServices(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	src := series.Source{Editions: edition.Store{Pool: pool}, Coverage: in.Coverage, Walk: in.Walk}
	s, err := src.Series(ctx, q)
	if err != nil {
		return err
	}
	if format == "json" {
		return printJSON(env.Stdout, s)
	}
	if format != "table" {
		return fmt.Errorf("--format must be table or json, not %q", format)
	}
	fmt.Fprintf(env.Stdout, "%s, %s: %s", s.Indicator, s.City, s.Headline)
	if s.Caliber != "" {
		fmt.Fprintf(env.Stdout, " (caliber %s, method %s)", s.Caliber, s.Method)
	}
	fmt.Fprintln(env.Stdout)
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EDITION\tAS OF (UTC+8)\tCITY\tUNIT\tVALUE")
	for _, p := range s.Points {
		name := p.Edition
		if p.Now {
			name = "now"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4f\t\t\n", name, p.AsOf.In(edition.Beijing).Format(time.DateTime), p.Headline)
		if s.Level != coverage.LevelCity {
			for _, v := range p.Values {
				fmt.Fprintf(tw, "\t\t\t%s (%d)\t%.4f\n", v.Name, v.ID, v.Value)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Targets) == 0 {
		fmt.Fprintln(env.Stdout, "no targets recorded for this indicator and city (indicator_targets)")
	}
	for _, t := range s.Targets {
		fmt.Fprintf(env.Stdout, "target %d: %.4f  %s\n", t.Year, t.Value, t.Source)
	}
	return nil
}
