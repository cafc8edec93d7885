package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/tijian"
)

// runTijian writes the 城市体检 self-check tables of a city (internal/tijian, docs/tijian.md)
// from the same tijian.Source as GET /api/v1/tijian:
//
//	cityreach tijian --city baotou [--xlsx out.xlsx] [--gpkg out.gpkg] [--json out.json] [--as-of E | --scenario ID] [--lang en]
func runTijian(ctx context.Context, env Env, args []string) error {
	var q tijian.Query
	var xlsx, gpkg, jsonOut, lang string
	var quiet bool
	cfg, fs, err := setup(env, "tijian", args, true, func(fs *flag.FlagSet) {
		fs.StringVar(&xlsx, "xlsx", "", "write the statistical tables (one sheet per 维度) to this XLSX file")
		fs.StringVar(&gpkg, "gpkg", "", "write the data package (district, 街道 and community layers) to this GeoPackage file")
		fs.StringVar(&jsonOut, "json", "", "write the JSON of GET /api/v1/tijian to this file (- for standard output)")
		fs.StringVar(&q.AsOf, "as-of", "", "the data as of an edition name, an RFC 3339 time or a date (docs/editions.md)")
		fs.StringVar(&q.Caliber, "caliber", "", "park-coverage caliber (default "+tijian.DefaultCaliber+")")
		fs.StringVar(&q.Method, "method", "", "park-coverage distance method: buffer or network (default: the caliber's)")
		fs.StringVar(&lang, "lang", "zh", "zh or en: headers and sheet names")
		fs.BoolVar(&quiet, "quiet", false, "no progress bar")
		scenarioFlag(fs, &q.Scenario)
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if xlsx == "" && gpkg == "" && jsonOut == "" {
		return errors.New("say what to write: --xlsx FILE, --gpkg FILE and/or --json FILE")
	}
	if lang, err = tijian.CheckLang(lang); err != nil {
		return cliError(err)
	}
	q.City = cfg.City
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	log := logger(cfg)
	src, err := tijianSource(ctx, pool, log)
	if err != nil {
		return err
	}
	if q.Scenario != 0 {
		src.Scenarios = newScenarios(pool, log, src.Coverage, src.Checks, src.Walk)
	}
	t0 := time.Now()
	bar := newReportBar(env.Stderr, quiet)
	tb, err := src.Compute(ctx, q, bar.set)
	bar.finish()
	if err != nil {
		return cliError(err)
	}
	if jsonOut == "-" {
		if err := printJSON(env.Stdout, tb); err != nil {
			return err
		}
	} else if jsonOut != "" {
		if err := writeFile(jsonOut, func(f *os.File) error { return printJSON(f, tb) }); err != nil {
			return err
		}
	}
	if xlsx != "" {
		if err := writeFile(xlsx, func(f *os.File) error { return tb.WriteXLSX(f, lang) }); err != nil {
			return err
		}
	}
	if gpkg != "" {
		if err := tb.WriteGeoPackage(ctx, gpkg, lang); err != nil {
			return err
		}
	}
	if jsonOut != "-" {
		fmt.Fprintf(env.Stdout, "城市体检 %s: %d units, %d indicators in %d 维度, in %.1f s\n", tb.City, len(tb.Units), len(tb.Indicators), len(tb.Dimensions), time.Since(t0).Seconds())
	}
	return nil
}

// tijianSource builds the services the tables read, as the server does.
func tijianSource(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) (tijian.Source, error) {
	reg, err := calibers(ctx, pool, "")
	if err != nil {
		return tijian.Source{}, err
	}
	in := newIndicators(pool, reg, log)
	return tijian.Source{Pool: pool, Coverage: in.Coverage, Walk: in.Walk, Checks: in.Checks}, nil
}

// writeFile writes path through write, creating its directory; a failed write leaves no
// file behind.
func writeFile(path string, write func(f *os.File) error) error {
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(path)), 0o755); err != nil { //nolint:gosec // G301: the directory of a file the operator asked for
		return err
	}
	f, err := os.Create(path) //nolint:gosec // G304: the operator's path
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()       //nolint:errcheck,gosec // the write error is the one to report
		os.Remove(path) //nolint:errcheck,gosec // best-effort
		return err
	}
	return f.Close()
}
