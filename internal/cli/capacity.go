package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/walk"
)

// runCapacity computes the capacity indicator (2SFCA) and prints it:
//
//	cityreach indicator capacity --city baotou --category primary_school [--band 6-12] [--level community] [--d0 500] [--decay gaussian] [--profile elderly] [--scenario ID]
func runCapacity(ctx context.Context, env Env, args []string) error {
	var bands, format, lang string
	var opt capacity.Options
	var scenarioID int64
	cfg, _, err := setup(env, "indicator capacity", args, true, func(fs *flag.FlagSet) {
		fs.StringVar(&opt.Category, "category", "", "facility category code (primary_school, kindergarten, park_square, …)")
		fs.StringVar(&bands, "band", "", "age bands of the demand, comma separated (default: the category's; all: every resident)")
		fs.StringVar(&opt.Level, "level", "community", "parcel, community, subdistrict, district or city")
		fs.Float64Var(&opt.D0, "d0", 0, "catchment radius in metres of walking (default: the category's reach)")
		fs.StringVar(&opt.Decay, "decay", capacity.DecayNone, "distance decay: none or gaussian")
		fs.StringVar(&opt.Profile, "profile", "", "walking profile (standard, elderly, slow): without --d0, the reach scaled by its speed")
		fs.StringVar(&format, "format", "table", formatsHelp)
		fs.StringVar(&lang, "lang", "zh", "zh or en: the table's headers and words")
		scenarioFlag(fs, &scenarioID)
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
	if bands != "" {
		opt.Bands = strings.Split(bands, ",")
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	svc := &capacity.Service{Walk: walk.NewService(pool, logger(cfg)), Store: capacity.Store{Pool: pool}}
	var rep *capacity.Report
	if scenarioID != 0 {
		// The same computation as GET /api/v1/indicators/capacity?scenario=.
		scen := newScenarios(pool, logger(cfg), nil, nil, svc.Walk)
		scen.Capacity = svc
		rep, err = scen.CapacityReport(ctx, scenarioID, cfg.City, opt)
	} else {
		rep, err = svc.Capacity(ctx, cfg.City, opt)
	}
	if err != nil {
		return cliError(err)
	}
	if format == "json" {
		return printJSON(env.Stdout, rep)
	}
	t := func(k string) string { return report.T(lang, k) }
	name, unit := rep.Category.NameZh, rep.Category.UnitZh
	if lang == "en" {
		name, unit = rep.Category.NameEn, rep.Category.UnitEn
	}
	who := strings.Join(rep.Bands, ", ")
	if who == "" {
		who = t("cap_all_residents")
	}
	if format == "table" {
		fmt.Fprintf(env.Stdout, t("cli_cap_head")+"\n", rep.City.Name, name, unit, who, rep.D0, rep.Decay, t("lvl_"+rep.Level))
		per, basis := strconv.FormatFloat(rep.Norm.PerThousand, 'f', -1, 64), t("norm_"+rep.Norm.Basis)
		if lang == "en" {
			src, ok := capacity.SourceEn(rep.Norm.Source)
			if !ok {
				src = t("cap_source_zh") // the source is written in Chinese only
			}
			fmt.Fprintf(env.Stdout, t("cli_cap_norm")+"\n", per, unit, basis, src)
		} else {
			fmt.Fprintf(env.Stdout, t("cli_cap_norm")+"\n", basis, per, unit, rep.Norm.Source)
		}
	}
	tab := &outTable{Head: []string{t("col_id"), t("col_name"), t("col_demand"), t("col_served"), t("col_supply_ratio"), t("col_need"), t("col_attainment"), t("col_gap"), t("col_shortfall")},
		Right: []bool{true, false, true, true, true, true, true, true, true}}
	row := func(id, name string, f capacity.Figure) []string {
		return []string{id, name, num(f.Demand, 1, format), num(f.Served, 1, format), num(f.Ratio, 3, format), num(f.Need, 1, format), num(f.Attainment, 3, format), num(f.Gap, 1, format), num(f.Shortfall, 1, format)}
	}
	for _, a := range rep.Areas {
		n := a.Name
		if a.ID == 0 {
			n = t("outside_any")
		}
		tab.Rows = append(tab.Rows, row(fmt.Sprint(a.ID), n, a.Figure))
	}
	for _, p := range rep.Parcels {
		tab.Rows = append(tab.Rows, row(fmt.Sprint(p.ID), "", capacity.Figure{Demand: p.Demand, Served: p.Served, Ratio: p.Access, Need: p.Need, Attainment: p.Attainment, Gap: p.Gap, Shortfall: max(0, p.Gap)}))
	}
	tab.Rows = append(tab.Rows, row("", t("total_city"), rep.Totals))
	if err := tab.write(env.Stdout, format); err != nil {
		return err
	}
	if format == "table" {
		fmt.Fprintf(env.Stdout, t("cli_cap_foot")+"\n", num(rep.Capacity, 0, format), num(rep.Idle, 0, format), num(rep.Totals.Demand, 1, format),
			num(rep.Totals.Served, 1, format), num(rep.Totals.Gap, 1, format), num(rep.Totals.Shortfall, 1, format),
			rep.FacilitiesWithoutCapacity, rep.FacilitiesUnattached)
	}
	return nil
}

// runImportAges imports residents by age band per community:
//
//	cityreach import ages FILE.csv|FILE.xlsx --city baotou [--source 七普2020]
func runImportAges(ctx context.Context, env Env, args []string) error {
	if len(args) < 1 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: cityreach import ages <file.csv|file.xlsx> --city SLUG [--source TEXT]")
	}
	file := args[0]
	var source, lang string
	cfg, _, err := setup(env, "import ages", args[1:], true, func(fs *flag.FlagSet) {
		fs.StringVar(&source, "source", "", "data source recorded with the counts (default: import:<file name>)")
		fs.StringVar(&lang, "lang", "zh", "zh or en")
	})
	if err != nil {
		return err
	}
	if cfg.City == "" {
		return errors.New("--city is required (or CITYREACH_CITY)")
	}
	format := "csv"
	if strings.EqualFold(filepath.Ext(file), ".xlsx") {
		format = "xlsx"
	}
	if source == "" {
		source = "import:" + filepath.Base(file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	svc := &capacity.Service{Walk: walk.NewService(pool, logger(cfg)), Store: capacity.Store{Pool: pool}}
	sum, err := svc.ImportAges(ctx, cfg.City, format, data, source)
	if err != nil {
		return fmt.Errorf("%s: %w", file, cliError(err))
	}
	fmt.Fprintf(env.Stdout, report.T(lang, "cli_ages_done")+"\n", sum.Communities, sum.Bands, sum.Residents)
	for _, m := range sum.Mismatched {
		fmt.Fprintf(env.Stdout, report.T(lang, "cli_ages_mismatch")+"\n", m.Code, m.BandTotal, m.Population)
	}
	return nil
}

// cliError words a domain validation fault that names its parameter as the CLI's flag.
func cliError(err error) error {
	if fe := fault.As(err); fe != nil && fe.Kind == fault.KindInvalid {
		if param, ok := fe.Extra["parameter"].(string); ok {
			return fmt.Errorf("--%s: %s", param, fe.Detail)
		}
	}
	return err
}
