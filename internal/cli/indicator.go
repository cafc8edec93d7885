package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/report"
)

// runIndicator computes an indicator and prints it as a table:
//
//	cityreach indicator park-coverage --city baotou [--caliber gbt51346-2019] [--method buffer] [--band 60-80] --level district [--scenario ID]
//
// Without --caliber the city's default caliber is used, without --method the caliber's; the
// first line says which, and where each came from.
func runIndicator(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "living-circle" {
		return runLivingCircle(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "series" {
		return runSeries(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "capacity" {
		return runCapacity(ctx, env, args[1:])
	}
	if len(args) == 0 || args[0] != "park-coverage" {
		return errors.New("say which indicator: park-coverage, living-circle, capacity, or series park-coverage|living-circle")
	}
	var q coverage.Query
	var calFile, format, lang, band string
	var scenarioID int64
	cfg, _, err := setup(env, "indicator park-coverage", args[1:], true, func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", "table", formatsHelp)
		fs.StringVar(&lang, "lang", "zh", "zh or en: the table's headers and words")
		fs.StringVar(&q.Caliber, "caliber", "", "caliber id (default: the city's default caliber)")
		fs.StringVar(&q.Method, "method", "", "buffer or network (default: the caliber's)")
		fs.StringVar(&q.Level, "level", "city", "city, district, subdistrict or community")
		fs.StringVar(&q.AsOf, "as-of", "", "the data as of an edition name, an RFC 3339 time or a date YYYY-MM-DD (default: now)")
		fs.StringVar(&calFile, "calibers", "", "JSON file of extra user calibers")
		scenarioFlag(fs, &scenarioID)
		fs.StringVar(&band, "band", "", "comma-separated age bands (e.g. 60-80,80-): the population figures count only their residents")
	})
	if err != nil {
		return err
	}
	if err := checkFormat(format); err != nil {
		return err
	}
	if err := checkLang(lang); err != nil {
		return err
	}
	if scenarioID != 0 && q.AsOf != "" {
		return errors.New("give --scenario or --as-of, not both: a scenario changes the current data")
	}
	q.City = cfg.City // the shared --city flag (default baotou)
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	reg, err := calibers(ctx, pool, calFile)
	if err != nil {
		return err
	}
	if band != "" && band != "all" {
		q.Bands = strings.Split(band, ",")
	}
	svc := &coverage.Service{Store: coverage.Store{Pool: pool}, Calibers: reg, Log: logger(cfg), Ages: capacity.Ages{Store: capacity.Store{Pool: pool}}}
	var rep *coverage.Report
	if scenarioID != 0 {
		// The same computation as GET /api/v1/indicators/park-coverage?scenario=.
		rep, err = newScenarios(pool, logger(cfg), svc, nil, nil).CoverageReport(ctx, scenarioID, q)
		err = cliError(err)
	} else {
		rep, err = svc.Indicator(ctx, q)
	}
	if err != nil {
		return err
	}
	if format == "json" {
		return printJSON(env.Stdout, rep)
	}
	if format == "table" {
		// Every figure is given under its caliber and method, and where each came from.
		fmt.Fprintln(env.Stdout, underWhat(lang, rep, scenarioID))
		if len(rep.Bands) > 0 {
			fmt.Fprintf(env.Stdout, report.T(lang, "cli_bands")+"\n", strings.Join(rep.Bands, ","))
		}
	}
	if err := coverageTable(rep, lang, format).write(env.Stdout, format); err != nil {
		return err
	}
	if format == "table" {
		w := env.Stdout
		if pc := rep.City1; pc != nil && pc.PerCapita != nil && rep.Level == coverage.LevelCity {
			fmt.Fprintf(w, "%s: %s %s\n", report.T(lang, "f_park_pc"), report.Format(pc.PerCapita.ParkPerCapita, 2, report.ParkPerCapitaTarget, format == "table"), report.T(lang, "unit_m2pc"))
		}
		for _, t := range rep.Targets {
			fmt.Fprintf(w, "%s %s: %s\n", report.T(lang, "target"), t.Label, report.T(lang, map[bool]string{true: "met", false: "not_met"}[t.Met]))
		}
	}
	return nil
}

// calibers is the registry the CLI computes with: the built-in calibers, those stored in
// the database (a database without them still answers with the built-in ones) and those
// of file, when not "".
func calibers(ctx context.Context, pool *pgxpool.Pool, file string) (*caliber.Registry, error) {
	var extra []caliber.Caliber
	if stored, err := (caliber.Store{Pool: pool}).Load(ctx); err == nil {
		extra = stored
	}
	if file != "" {
		fromFile, err := caliber.LoadFile(file)
		if err != nil {
			return nil, fmt.Errorf("calibers file: %w", err)
		}
		extra = append(extra, fromFile...)
	}
	return caliber.NewRegistry(extra...)
}

// underWhat is the line every park-coverage table the CLI prints is given under: the
// caliber and the method, each with where it came from (the request, the city's default,
// the caliber's default), and the run and data version the figures are from.
func underWhat(lang string, rep *coverage.Report, scenarioID int64) string {
	if scenarioID != 0 {
		return fmt.Sprintf(report.T(lang, "under_what_scenario"), report.T(lang, "ind_park"), rep.City,
			rep.Caliber.ID, report.T(lang, fromKey[rep.CaliberFrom]), rep.Method, report.T(lang, fromKey[rep.MethodFrom]), scenarioID)
	}
	reused := ""
	if rep.Reused {
		reused = report.T(lang, "run_reused")
	}
	return fmt.Sprintf(report.T(lang, "under_what"), report.T(lang, "ind_park"), rep.City,
		rep.Caliber.ID, report.T(lang, fromKey[rep.CaliberFrom]), rep.Method, report.T(lang, fromKey[rep.MethodFrom]),
		rep.Run.ID, rep.Run.DataHash, reused)
}

// fromKey names, for each coverage.From* value, its words in report.T.
var fromKey = map[string]string{
	coverage.FromRequest: "from_request", coverage.FromCityDefault: "from_city_default", coverage.FromCaliberDefault: "from_cal_default",
}

// coverageTable is the park-coverage answer as a table: one row per area, then the city.
func coverageTable(rep *coverage.Report, lang, format string) *outTable {
	t := func(k string) string { return report.T(lang, k) }
	tab := &outTable{Head: []string{t("col_id"), t("col_name"), t("col_parcels"), t("col_res_ha"), t("col_cov_ha"), t("col_cov_pct"),
		t("col_pop"), t("col_pop_pct")}, Right: []bool{true, false, true, true, true, true, true, true}}
	row := func(id, name string, f coverage.AreaFigure) []string {
		cov, served := pctOf(f.Ratio, 2, format), pctOf(f.PopulationShare, 2, format)
		if f.TotalM2 <= 0 {
			cov = "—"
		}
		if f.Population <= 0 {
			served = "—"
		}
		return []string{id, name, num(float64(f.Parcels), 0, format), num(f.TotalM2/1e4, 2, format), num(f.CoveredM2/1e4, 2, format), cov,
			num(f.Population, 0, format), served}
	}
	for _, f := range rep.Areas {
		name := f.Name
		if f.ID == 0 && rep.Level != coverage.LevelCity {
			name = t("outside_any")
		}
		tab.Rows = append(tab.Rows, row(fmt.Sprint(f.ID), name, f))
	}
	if c := rep.City1; c != nil && rep.Level != coverage.LevelCity {
		tab.Rows = append(tab.Rows, row("", t("total_city"), *c))
	}
	return tab
}
