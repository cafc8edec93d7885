package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/walk"
)

// runCheck runs one of the planning checks (internal/checks, docs/checks.md) and prints it
// as a table, JSON or GeoJSON.
func runCheck(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("say which check: " + strings.Join(checks.Names, ", "))
	}
	name := args[0]
	if !slices.Contains(checks.Names, name) {
		return fmt.Errorf("unknown check %q; one of %s", name, strings.Join(checks.Names, ", "))
	}
	var req checks.Request
	var format, configFile, lang string
	var scenarioID int64
	overrides := map[string]*string{}
	cfg, fs, err := setup(env, "check "+name, args[1:], true, func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", "table", "table, csv, json or geojson")
		fs.StringVar(&lang, "lang", "zh", "zh or en: the table's headers and words")
		fs.StringVar(&req.Edition, "edition", "", "growth-boundary edition (control-lines, outside)")
		fs.StringVar(&req.Date, "date", "", "YYYY-MM-DD: the edition in force that day (control-lines, outside)")
		fs.StringVar(&req.From, "from", "", "growth-diff: first edition (name or YYYY-MM-DD)")
		fs.StringVar(&req.To, "to", "", "growth-diff: second edition (name or YYYY-MM-DD)")
		fs.StringVar(&configFile, "config", "", "JSON file overriding the thresholds (same shape as internal/checks/defaults.json)")
		for _, o := range checks.Overridable {
			overrides[o] = fs.String(o, "", "override "+o)
		}
		scenarioFlag(fs, &scenarioID)
	})
	if err != nil {
		return err
	}
	req.City = cfg.City // --city (or CITYREACH_CITY), registered by the common configuration
	if req.City == "" {
		return errors.New("--city is required, e.g. --city baotou")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if err := checkFormat(format, "geojson"); err != nil {
		return err
	}
	if err := checkLang(lang); err != nil {
		return err
	}
	conf := checks.DefaultConfig()
	if configFile != "" {
		b, err := os.ReadFile(configFile)
		if err != nil {
			return err
		}
		if err := conf.MergeJSON(b); err != nil {
			return err
		}
	}
	req.Overrides = map[string]string{}
	for k, v := range overrides {
		if *v != "" {
			req.Overrides[k] = *v
		}
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	ws := walk.NewService(pool, logger(cfg))
	svc := &checks.Service{Store: &checks.Store{Pool: pool}, Config: conf, Reach: checks.NetworkReach{Walk: ws}}
	if scenarioID != 0 {
		// The same overlay as GET /api/v1/checks/…?scenario=.
		ctx = checks.WithScenario(ctx, newScenarios(pool, logger(cfg), nil, svc, ws), scenarioID)
	}
	rep, err := svc.Run(ctx, name, req)
	if err != nil {
		return err
	}
	switch format {
	case "geojson":
		city, err := svc.Store.City(ctx, req.City)
		if err != nil {
			return err
		}
		b, err := svc.Store.GeoJSON(ctx, city.MetricSRID, rep.Features())
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(env.Stdout, string(b))
		return err
	case "json":
		return printJSON(env.Stdout, rep)
	}
	head, tab := checkTable(rep, lang, format)
	if format == "table" && head != "" {
		if _, err := fmt.Fprintln(env.Stdout, head); err != nil {
			return err
		}
	}
	return tab.write(env.Stdout, format)
}

// checkTable is a check's answer as a summary line and a table of its units.
func checkTable(rep checks.Featurer, lang, format string) (string, *outTable) {
	t := func(k string) string { return report.T(lang, k) }
	tab := &outTable{}
	head := ""
	switch r := rep.(type) {
	case *checks.CorridorReport:
		head = fmt.Sprintf(t("cli_corr_head"), pctOf(r.Share, 1, format), num(r.CompliantLength/1e3, 2, format), num(r.RequiredLength/1e3, 2, format), r.MinWidth)
		tab.Head = []string{t("col_id"), t("col_name"), t("col_length"), t("col_required"), t("col_minwidth"), t("col_breaks"), t("col_share"), t("col_res_in"), t("col_fac_in")}
		tab.Right = []bool{true, false, true, true, true, true, true, true, true}
		for _, c := range r.Corridors {
			tab.Rows = append(tab.Rows, []string{fmt.Sprint(c.ID), c.Name, num(c.Length/1e3, 2, format), num(c.RequiredLength/1e3, 2, format), num(c.MinWidth, 1, format),
				fmt.Sprint(len(c.Breaks)), pctOf(c.Share, 1, format), num(c.Encroachment.ResidentialArea/1e4, 2, format), fmt.Sprint(len(c.Encroachment.Facilities))})
		}
	case *checks.ControlLinesReport:
		ed := "—"
		if r.Edition != nil {
			ed = r.Edition.Edition + "（" + r.Edition.ValidFrom + "）"
		}
		head = fmt.Sprintf(t("cli_control_head"), ed, len(r.Overlaps), num(r.TotalArea/1e4, 3, format))
		tab.Head = []string{t("col_layer_a"), t("col_id_a"), t("col_layer_b"), t("col_id_b"), t("col_area")}
		tab.Right = []bool{false, true, false, true, true}
		for _, o := range r.Overlaps {
			tab.Rows = append(tab.Rows, []string{t("layer_" + o.A), fmt.Sprint(o.AID), t("layer_" + o.B), fmt.Sprint(o.BID), num(o.Area/1e4, 3, format)})
		}
	case *checks.DiffReport:
		head = fmt.Sprintf(t("cli_diff_head"), r.From.Edition, r.To.Edition)
		tab.Head = []string{t("col_change"), t("col_area")}
		tab.Right = []bool{false, true}
		for _, p := range r.Added {
			tab.Rows = append(tab.Rows, []string{t("added"), num(p.Area/1e4, 2, format)})
		}
		for _, p := range r.Removed {
			tab.Rows = append(tab.Rows, []string{t("removed"), num(p.Area/1e4, 2, format)})
		}
		tab.Rows = append(tab.Rows, []string{t("f_net"), num(r.NetChange/1e4, 2, format)})
	case *checks.OutsideReport:
		head = fmt.Sprintf(t("cli_outside_head"), r.Edition.Edition, num(r.ResidentialOutside/1e4, 2, format), len(r.Residential), num(r.PopulationOutside, 0, format), len(r.Facilities))
		tab.Head = []string{t("col_kind"), t("col_id"), t("col_outside_ha"), t("col_category")}
		tab.Right = []bool{false, true, true, false}
		for _, x := range r.Residential {
			tab.Rows = append(tab.Rows, []string{t("legend_res"), fmt.Sprint(x.ID), num(x.OutsideArea/1e4, 2, format), ""})
		}
		for _, f := range r.Facilities {
			tab.Rows = append(tab.Rows, []string{t("layer_facilities"), fmt.Sprint(f.ID), "", f.Category})
		}
	case *checks.ScorecardReport:
		head = fmt.Sprintf(t("cli_cc_head"), r.Complete, len(r.Scores), r.Target, r.Tier)
		tab.Head = []string{t("col_code"), t("col_name"), t("col_met"), t("col_complete"), t("col_missing")}
		tab.Right = []bool{false, false, true, false, false}
		label := map[string]string{}
		for _, it := range r.Items {
			label[it.Key] = it.Label
		}
		sep := "、"
		if lang == "en" {
			sep = ", "
		}
		for _, s := range r.Scores {
			miss := append([]string(nil), s.Missing...)
			if lang != "en" {
				for i, m := range miss {
					if l, ok := label[m]; ok {
						miss[i] = l
					}
				}
			}
			m := strings.Join(miss, sep)
			if format == "table" {
				m = clip(m, 48)
			}
			tab.Rows = append(tab.Rows, []string{s.Code, s.Name, fmt.Sprintf("%d/%d", s.Met, s.Total), report.Yes(s.Complete).Text(lang), m})
		}
	}
	return head, tab
}
