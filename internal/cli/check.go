package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/cityreach/cityreach/internal/checks"
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
	var format, configFile string
	overrides := map[string]*string{}
	cfg, fs, err := setup(env, "check "+name, args[1:], true, func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", "table", "table, json or geojson")
		fs.StringVar(&req.Edition, "edition", "", "growth-boundary edition (control-lines, outside)")
		fs.StringVar(&req.Date, "date", "", "YYYY-MM-DD: the edition in force that day (control-lines, outside)")
		fs.StringVar(&req.From, "from", "", "growth-diff: first edition (name or YYYY-MM-DD)")
		fs.StringVar(&req.To, "to", "", "growth-diff: second edition (name or YYYY-MM-DD)")
		fs.StringVar(&configFile, "config", "", "JSON file overriding the thresholds (same shape as internal/checks/defaults.json)")
		for _, o := range checks.Overridable {
			overrides[o] = fs.String(o, "", "override "+o)
		}
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
	if format != "table" && format != "json" && format != "geojson" {
		return errors.New("--format must be table, json or geojson")
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
	svc := &checks.Service{Store: &checks.Store{Pool: pool}, Config: conf, Reach: checks.NetworkReach{Walk: walk.NewService(pool, logger(cfg))}}
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
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printCheckTable(env.Stdout, rep)
}

func printCheckTable(out io.Writer, rep checks.Featurer) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	defer w.Flush()
	switch r := rep.(type) {
	case *checks.CorridorReport:
		fmt.Fprintf(w, "城市生态廊道达标率 %.1f %%  (compliant %.0f m of required %.0f m, width ≥ %.0f m)\n\n", 100*r.Share, r.CompliantLength, r.RequiredLength, r.MinWidth)
		fmt.Fprintln(w, "ID\tNAME\tLENGTH m\tREQUIRED m\tNARROW m\tMIN WIDTH m\tBREAKS\tSHARE %\tRESIDENTIAL IN m²\tFACILITIES IN")
		for _, c := range r.Corridors {
			fmt.Fprintf(w, "%d\t%s\t%.0f\t%.0f\t%.0f\t%.1f\t%d\t%.1f\t%.0f\t%d\n", c.ID, c.Name, c.Length, c.RequiredLength, c.NarrowLength, c.MinWidth, len(c.Breaks), 100*c.Share, c.Encroachment.ResidentialArea, len(c.Encroachment.Facilities))
		}
	case *checks.ControlLinesReport:
		if r.Edition != nil {
			fmt.Fprintf(w, "growth boundary edition %s (from %s)\n", r.Edition.Edition, r.Edition.ValidFrom)
		}
		fmt.Fprintf(w, "conforms: %v, total overlap %.0f m²\n\n", r.Conforms, r.TotalArea)
		fmt.Fprintln(w, "A\tA ID\tB\tB ID\tAREA m²")
		for _, o := range r.Overlaps {
			fmt.Fprintf(w, "%s\t%d\t%s\t%d\t%.1f\n", o.A, o.AID, o.B, o.BID, o.Area)
		}
	case *checks.DiffReport:
		fmt.Fprintf(w, "%s → %s: added %.0f m² (%d polygons), removed %.0f m² (%d polygons), net %+.0f m²\n", r.From.Edition, r.To.Edition, r.AddedArea, len(r.Added), r.RemovedArea, len(r.Removed), r.NetChange)
		if e := r.Expansion; e != nil && e.Ratio != nil {
			fmt.Fprintf(w, "expansion ratio %.3f (cap %.2f, base %s)\n", *e.Ratio, e.Cap, e.Source)
		}
	case *checks.OutsideReport:
		fmt.Fprintf(w, "outside edition %s: residential %.0f m² in %d parcels (≈ %.0f residents), %d facilities\n\n", r.Edition.Edition, r.ResidentialOutside, len(r.Residential), r.PopulationOutside, len(r.Facilities))
		fmt.Fprintln(w, "KIND\tID\tOUTSIDE m²\tCATEGORY")
		for _, x := range r.Residential {
			fmt.Fprintf(w, "residential\t%d\t%.1f\t\n", x.ID, x.OutsideArea)
		}
		for _, f := range r.Facilities {
			fmt.Fprintf(w, "facility\t%d\t\t%s\n", f.ID, f.Category)
		}
	case *checks.ScorecardReport:
		fmt.Fprintf(w, "complete communities: %d of %d (target %d), reach method %s, tier %.0f m\n\n", r.Complete, len(r.Scores), r.Target, r.Method, r.Tier)
		fmt.Fprintln(w, "CODE\tNAME\tSCORE\tMISSING\tAREA UNKNOWN")
		for _, s := range r.Scores {
			fmt.Fprintf(w, "%s\t%s\t%d/%d\t%s\t%s\n", s.Code, s.Name, s.Met, s.Total, strings.Join(s.Missing, ","), strings.Join(s.Flagged, ","))
		}
	}
	return nil
}
