package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/scenario"
	"github.com/cityreach/cityreach/internal/walk"
)

// runLivingCircle computes the 15-minute living-circle indicator and prints it:
//
//	cityreach indicator living-circle --city baotou --level district [--share 0.9] [--reach kindergarten:300] [--scenario ID]
func runLivingCircle(ctx context.Context, env Env, args []string) error {
	var reach string
	var scenarioID int64
	var opt walk.Options
	cfg, _, err := setup(env, "indicator living-circle", args, true, func(fs *flag.FlagSet) {
		fs.StringVar(&opt.Level, "level", "city", "city, district, subdistrict or community")
		fs.Float64Var(&opt.Share, "share", walk.DefaultShare, "share of residents within the tier for a category to count as reached")
		fs.IntVar(&opt.Target, "target", walk.DefaultTarget, "the plan's number of complete 15-minute living circles")
		fs.StringVar(&reach, "reach", "", "tier overrides in metres: code:m[,code:m…]")
		fs.Int64Var(&scenarioID, "scenario", 0, "compute on baseline plus this scenario's changes")
	})
	if err != nil {
		return err
	}
	slug := cfg.City // --city is a common flag (config.Register)
	if slug == "" {
		return fmt.Errorf("--city is required")
	}
	if opt.Reach, err = walk.ParseReach(reach); err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	walkSvc := walk.NewService(pool, logger(cfg))
	var rep *walk.Report
	if scenarioID != 0 {
		st := &scenario.Store{Pool: pool, Layers: layers.Default()}
		svc := &scenario.Service{Store: st, LivingCircle: &scenario.WalkLivingCircle{Walk: walkSvc, Store: st}}
		rep, err = svc.LivingCircleReport(ctx, scenarioID, slug, opt)
	} else {
		rep, err = walkSvc.LivingCircle(ctx, slug, opt)
	}
	if err != nil {
		return err
	}
	w := env.Stdout
	if rep.Scenario != nil {
		fmt.Fprintf(w, "scenario %d: baseline + changes (%d parcels recomputed, full recomputation %v, %.0f ms)\n",
			rep.Scenario.ID, rep.Scenario.Recomputed, rep.Scenario.Full, rep.Scenario.ComputeMS)
	}
	fmt.Fprintf(w, "15分钟生活圈 — %s, level %s, reached at ≥ %.0f %% of residents; network %d edges, %d components; %d parcels (%d unattached, %.0f residents)\n",
		rep.City.Name, rep.Level, 100*rep.Share, rep.Network.Edges, rep.Network.Components, rep.Parcels, rep.Unattached.Parcels, rep.Unattached.Population)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{"id", "name", "residents", "status"}
	for _, c := range rep.Categories {
		if c.Basic {
			head = append(head, fmt.Sprintf("%s≤%.0fm", c.Code, c.ReachM))
		}
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\tmissing\t")
	for _, a := range rep.Areas {
		row := []string{fmt.Sprint(a.ID), a.Name, fmt.Sprintf("%.0f", a.Population), a.Status}
		for i, c := range rep.Categories {
			if c.Basic {
				row = append(row, fmt.Sprintf("%.1f%%", 100*a.Coverage[i].PopulationShare))
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t"+strings.Join(a.Missing, ",")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "complete 15-minute living circles: %d of %d communities (target %d: %s); %d of %d 街道\n",
		rep.CompleteCommunities, rep.Communities, rep.Target, map[bool]string{true: "met", false: "not met"}[rep.TargetMet],
		rep.CompleteSubdistricts, rep.Subdistricts)
	return nil
}
