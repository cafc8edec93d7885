package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
)

// runIndicator computes an indicator and prints it as a table:
//
//	cityreach indicator park-coverage --city baotou [--caliber gbt51346-2019] [--method buffer] --level district
//
// Without --caliber the city's default caliber is used, without --method the caliber's; the
// first line says which, and where each came from.
func runIndicator(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "living-circle" {
		return runLivingCircle(ctx, env, args[1:])
	}
	if len(args) == 0 || args[0] != "park-coverage" {
		return errors.New("say which indicator: park-coverage, living-circle")
	}
	var q coverage.Query
	var calFile string
	cfg, _, err := setup(env, "indicator park-coverage", args[1:], true, func(fs *flag.FlagSet) {
		fs.StringVar(&q.Caliber, "caliber", "", "caliber id (default: the city's default caliber)")
		fs.StringVar(&q.Method, "method", "", "buffer or network (default: the caliber's)")
		fs.StringVar(&q.Level, "level", "city", "city, district, subdistrict or community")
		fs.StringVar(&calFile, "calibers", "", "JSON file of extra user calibers")
	})
	if err != nil {
		return err
	}
	q.City = cfg.City // the shared --city flag (default baotou)
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	var extra []caliber.Caliber
	if stored, err := (caliber.Store{Pool: pool}).Load(ctx); err == nil {
		extra = stored
	}
	if calFile != "" {
		fromFile, err := caliber.LoadFile(calFile)
		if err != nil {
			return fmt.Errorf("calibers file: %w", err)
		}
		extra = append(extra, fromFile...)
	}
	reg, err := caliber.NewRegistry(extra...)
	if err != nil {
		return err
	}
	svc := &coverage.Service{Store: coverage.Store{Pool: pool}, Calibers: reg, Log: logger(cfg)}
	rep, err := svc.Indicator(ctx, q)
	if err != nil {
		return err
	}
	w := env.Stdout
	fmt.Fprintf(w, "公园绿地服务半径覆盖率 — %s, %s (run %d, data %s%s)\n",
		rep.City, underWhat(rep.Caliber.ID, rep.CaliberFrom, rep.Method, rep.MethodFrom), rep.Run.ID, rep.Run.DataHash, map[bool]string{true: ", stored run reused"}[rep.Reused])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "id\tname\tparcels\tcovered m²\tresidential m²\tcoverage %\tresidents\tserved %\t")
	for _, f := range rep.Areas {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%.0f\t%.0f\t%.2f\t%.0f\t%.2f\t\n", f.ID, f.Name, f.Parcels, f.CoveredM2, f.TotalM2, 100*f.Ratio, f.Population, 100*f.PopulationShare)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if pc := rep.City1; pc != nil && pc.PerCapita != nil && rep.Level == coverage.LevelCity {
		fmt.Fprintf(w, "per capita (GB 55014): park %.2f m², comprehensive %.2f m², community %.2f m² per resident\n",
			pc.PerCapita.ParkPerCapita, pc.PerCapita.ComprehensivePerCapita, pc.PerCapita.CommunityPerCapita)
	}
	for _, t := range rep.Targets {
		fmt.Fprintf(w, "target %s: %s\n", t.Label, map[bool]string{true: "met", false: "not met"}[t.Met])
	}
	return nil
}

// underWhat is the line every park-coverage figure the CLI prints is given under: the
// caliber and the method, each with where it came from (the request, the city's default,
// the caliber's default).
func underWhat(cal, calFrom, method, methodFrom string) string {
	return fmt.Sprintf("caliber %s (%s), method %s (%s)", cal, calFrom, method, methodFrom)
}
