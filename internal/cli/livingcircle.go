package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/walk"
)

// runLivingCircle computes the 15-minute living-circle indicator and prints it:
//
//	cityreach indicator living-circle --city baotou --level district [--share 0.9] [--reach kindergarten:300] [--profile elderly] [--at 07:30] [--band 60-80,80-] [--scenario ID]
func runLivingCircle(ctx context.Context, env Env, args []string) error {
	var reach, format, lang, band, at string
	var scenarioID int64
	var opt walk.Options
	cfg, _, err := setup(env, "indicator living-circle", args, true, func(fs *flag.FlagSet) {
		fs.StringVar(&opt.Level, "level", "city", "city, district, subdistrict or community")
		fs.Float64Var(&opt.Share, "share", walk.DefaultShare, "share of residents within the tier for a category to count as reached")
		fs.IntVar(&opt.Target, "target", walk.DefaultTarget, "the plan's number of complete 15-minute living circles")
		fs.StringVar(&reach, "reach", "", "tier overrides in metres: code:m[,code:m…]")
		fs.StringVar(&opt.Profile, "profile", "", "walking profile scaling every tier by its speed: standard (4 km/h), elderly (3.6), slow (3.2), wheelchair (3.6, no steps)")
		fs.StringVar(&at, "at", "", "time of day HH:MM: parks are entered only through gates open then (default: gates open at any time of day)")
		scenarioFlag(fs, &scenarioID)
		fs.StringVar(&band, "band", "", "comma-separated age bands (e.g. 60-80,80-): the residents figures count only theirs")
		fs.StringVar(&format, "format", "table", formatsHelp+" (csv has every category's share)")
		fs.StringVar(&lang, "lang", "zh", "zh or en: the table's headers and words")
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
	slug := cfg.City // --city is a common flag (config.Register)
	if slug == "" {
		return fmt.Errorf("--city is required")
	}
	if opt.Reach, err = walk.ParseReach(reach); err != nil {
		return err
	}
	if opt.At, err = walk.ParseAt(at); err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	walkSvc := walk.NewService(pool, logger(cfg))
	walkSvc.Ages = capacity.Ages{Store: capacity.Store{Pool: pool}}
	if band != "" && band != "all" {
		opt.Bands = strings.Split(band, ",")
	}
	var rep *walk.Report
	if scenarioID != 0 {
		rep, err = newScenarios(pool, logger(cfg), nil, nil, walkSvc).LivingCircleReport(ctx, scenarioID, slug, opt)
	} else {
		rep, err = walkSvc.LivingCircle(ctx, slug, opt)
	}
	if err != nil {
		return err
	}
	if format == "json" {
		return printJSON(env.Stdout, rep)
	}
	w := env.Stdout
	t := func(k string) string { return report.T(lang, k) }
	if format == "table" {
		if rep.Scenario != nil {
			fmt.Fprintf(w, t("cli_scenario")+"\n", rep.Scenario.ID, rep.Scenario.Recomputed)
		}
		if len(rep.Bands) > 0 {
			fmt.Fprintf(w, t("cli_bands")+"\n", strings.Join(rep.Bands, ","))
		}
		fmt.Fprintf(w, t("cli_lc_head")+"\n", rep.City.Name, t("lvl_"+rep.Level), 100*rep.Share, rep.Parcels, rep.Unattached.Parcels)
	}
	if err := livingCircleTable(rep, lang, format).write(w, format); err != nil {
		return err
	}
	if format == "table" {
		fmt.Fprintf(w, t("cli_lc_foot")+"\n", rep.CompleteCommunities, rep.Communities, rep.Target,
			t(map[bool]string{true: "met", false: "not_met"}[rep.TargetMet]), rep.CompleteSubdistricts, rep.Subdistricts)
	}
	return nil
}

// livingCircleTable is one row per area. The table format keeps to a terminal's width: the
// number of basic categories reached and the missing ones; CSV has every category's share.
func livingCircleTable(rep *walk.Report, lang, format string) *outTable {
	t := func(k string) string { return report.T(lang, k) }
	names := map[string]string{}
	var basic []int
	for i, c := range rep.Categories {
		names[c.Code] = c.NameZh
		if lang == "en" {
			names[c.Code] = c.NameEn
		}
		if c.Basic {
			basic = append(basic, i)
		}
	}
	tab := &outTable{Head: []string{t("col_id"), t("col_code"), t("col_name"), t("col_pop"), t("col_status"), t("col_met")},
		Right: []bool{true, false, false, true, false, true}}
	if format == "csv" {
		for _, i := range basic {
			c := rep.Categories[i]
			tab.Head = append(tab.Head, fmt.Sprintf("%s ≤%.0f m (%%)", names[c.Code], c.ReachM))
		}
	}
	tab.Head = append(tab.Head, t("col_missing"))
	for _, a := range rep.Areas {
		noLand := a.Status == walk.StatusNoLand
		met := fmt.Sprintf("%d/%d", len(basic)-len(a.Missing), len(basic))
		var miss []string
		for _, m := range a.Missing {
			if n, ok := names[m]; ok {
				m = n
			}
			miss = append(miss, m)
		}
		sep := "、"
		if lang == "en" {
			sep = ", "
		}
		missing := strings.Join(miss, sep)
		if noLand {
			met, missing = "—", "—"
		}
		row := []string{fmt.Sprint(a.ID), a.Code, a.Name, num(a.Population, 0, format), t(statusKey(a.Status)), met}
		if format == "csv" {
			for _, i := range basic {
				if noLand {
					row = append(row, "")
				} else {
					row = append(row, pctOf(a.Coverage[i].PopulationShare, 1, format))
				}
			}
		} else {
			missing = clip(missing, 48)
		}
		tab.Rows = append(tab.Rows, append(row, missing))
	}
	return tab
}

func statusKey(s string) string {
	switch s {
	case walk.StatusComplete:
		return "complete"
	case walk.StatusIncomplete:
		return "incomplete"
	}
	return "no_residential"
}
