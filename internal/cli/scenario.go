package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/capacity/capacityhttp"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/checks/checkshttp"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/coverage/coveragehttp"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/scenario"
	"github.com/cityreach/cityreach/internal/scenario/scenariohttp"
	"github.com/cityreach/cityreach/internal/tijian/tijianhttp"
	"github.com/cityreach/cityreach/internal/walk"
	"github.com/cityreach/cityreach/internal/walk/walkhttp"
)

// withScenarios adds the scenario routes and gives the park-coverage, living-circle,
// isochrone, capacity and checks handlers among mounts the scenario= parameter. It reuses their services (the
// walking service's cached baseline included), so a scenario figure is computed by the
// same code as the baseline one.
func withScenarios(mounts []httpapi.Mounter, pool *pgxpool.Pool, log *slog.Logger) []httpapi.Mounter {
	svc := newScenarios(pool, log, nil, nil, nil)
	for i, m := range mounts {
		switch h := m.(type) {
		case coveragehttp.Handler:
			svc.Coverage = h.Svc
			h.Scenarios = svc
			mounts[i] = h
		case checkshttp.Handler:
			svc.Checks = h.Service
			h.Scenarios = svc
			mounts[i] = h
		case walkhttp.Handler:
			svc.Walk = h.Svc
			svc.LivingCircle = &scenario.WalkLivingCircle{Walk: h.Svc, Store: svc.Store}
			h.Scenarios = svc
			mounts[i] = h
		case capacityhttp.Handler:
			svc.Capacity = h.Svc
			h.Scenarios = svc
			mounts[i] = h
		case tijianhttp.Handler:
			h.Src.Scenarios = svc
			mounts[i] = h
		}
	}
	return append(mounts, scenariohttp.Handler{Svc: svc, Log: log})
}

// newScenarios is the scenario service over the given services (each may be nil when the
// caller computes nothing of it): what the --scenario flag of every indicator and check
// command, and the scenario= parameter of the server, compute with.
func newScenarios(pool *pgxpool.Pool, log *slog.Logger, cov *coverage.Service, chk *checks.Service, ws *walk.Service) *scenario.Service {
	svc := &scenario.Service{Store: &scenario.Store{Pool: pool, Layers: layers.Default()}, Coverage: cov, Checks: chk, Log: log}
	if ws != nil {
		svc.Walk = ws
		svc.LivingCircle = &scenario.WalkLivingCircle{Walk: ws, Store: svc.Store}
	}
	return svc
}

// scenarioFlag registers --scenario on an indicator or check command.
func scenarioFlag(fs *flag.FlagSet, id *int64) {
	fs.Int64Var(id, "scenario", 0, "compute on baseline plus this scenario's changes (docs/scenarios.md)")
}

// runScenario manages scenarios from the command line, acting as --actor (default
// cli:<user>), with the same service calls as the API:
//
//	cityreach scenario list|show ID|create --name N|add ID --layer L --op O [--target T] --file F [--entrances E]
//	cityreach scenario remove ID N|compare ID [--caliber C --method M --level L]|promote ID|delete ID|sites --n 5 [--caliber C --method M]
//	cityreach scenario siting --k 5 [--targets 0.9,0.95,1 --weight area|population|band --band B --candidates F --time-limit S --caliber C --method M]
func runScenario(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return errors.New("say what to do: list, show, create, add, remove, compare, promote, delete, sites, siting")
	}
	verb := args[0]
	var name, desc, layer, op, file, ents, cal, method, level, actor string
	var target int64
	var n, siteArea, k, timeLimit int
	var targets, weight, band, candidates string
	u, _ := user.Current()
	defActor := "cli"
	if u != nil {
		defActor = "cli:" + u.Username
	}
	cfg, fs, err := setup(env, "scenario "+verb, args[1:], true, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "scenario name (create, sites)")
		fs.StringVar(&desc, "description", "", "scenario description (create)")
		fs.StringVar(&layer, "layer", "", "layer of the change (add)")
		fs.StringVar(&op, "op", "add", "add, modify or delete (add)")
		fs.Int64Var(&target, "target", 0, "feature id for modify/delete; -n for the feature added by change n")
		fs.StringVar(&file, "file", "", "GeoJSON Feature file (add)")
		fs.StringVar(&ents, "entrances", "", "GeoJSON MultiPoint file of park entrances (add)")
		fs.StringVar(&cal, "caliber", "", "park-coverage caliber (compare, sites; default: the city's)")
		fs.StringVar(&method, "method", "", "buffer or network (compare, sites; default: the caliber's)")
		fs.StringVar(&level, "level", "", "one level, default all (compare)")
		fs.StringVar(&actor, "actor", defActor, "owner of a new scenario; recorded in history by promote")
		fs.IntVar(&n, "n", 5, "number of sites (sites)")
		fs.IntVar(&siteArea, "site-area", coverage.DefaultSiteAreaM2, "site area in m², 400–10000 (sites, siting)")
		fs.IntVar(&k, "k", 5, "the best k parks, made a scenario (siting)")
		fs.StringVar(&targets, "targets", "0.9,0.95,1", "coverage targets of the cost–coverage curve (siting)")
		fs.StringVar(&weight, "weight", coverage.WeightArea, "area, population or band (siting)")
		fs.StringVar(&band, "band", "", "age band codes, comma-separated, with --weight band (siting)")
		fs.StringVar(&candidates, "candidates", "", "GeoJSON FeatureCollection file of drawn candidate parks (siting; default: generated)")
		fs.IntVar(&timeLimit, "time-limit", int(coverage.DefaultSolveIn/time.Second), "seconds the branch and bound may take (siting)")
	})
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	reg, err := calibers(ctx, pool, "")
	if err != nil {
		return err
	}
	st := &scenario.Store{Pool: pool, Layers: layers.Default()}
	in := newIndicators(pool, reg, logger(cfg))
	svc := &scenario.Service{Store: st, Log: logger(cfg), Coverage: in.Coverage, Checks: in.Checks,
		LivingCircle: &scenario.WalkLivingCircle{Walk: in.Walk, Store: st}}
	id := func(i int) (int64, error) {
		if fs.NArg() <= i {
			return 0, errors.New("give the scenario id")
		}
		return scenario.ParseID("id", fs.Arg(i))
	}
	// get reads the scenario named by the first argument (with its changes when full).
	get := func(full bool) (*scenario.Scenario, error) {
		i, err := id(0)
		if err != nil {
			return nil, err
		}
		return st.Get(ctx, i, full)
	}
	out := func(v any) error {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	switch verb {
	case "list":
		list, err := st.List(ctx, cfg.City)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCITY\tNAME\tOWNER\tCHANGES\tPROMOTED")
		for _, s := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%v\n", s.ID, s.City, s.Name, s.Owner, s.NChanges, s.PromotedAt != nil)
		}
		return tw.Flush()
	case "show":
		sc, err := get(true)
		if err != nil {
			return err
		}
		return out(sc)
	case "create":
		sc, err := st.Create(ctx, cfg.City, name, desc, actor)
		if err != nil {
			return err
		}
		return out(sc)
	case "add":
		sc, err := get(false)
		if err != nil {
			return err
		}
		in := scenario.ChangeInput{Layer: layer, Op: op, Target: target}
		if file != "" {
			if in.Feature, err = os.ReadFile(file); err != nil {
				return err
			}
		}
		if ents != "" {
			if in.Entrances, err = os.ReadFile(ents); err != nil {
				return err
			}
		}
		c, err := st.AddChange(ctx, sc, in)
		if err != nil {
			return err
		}
		return out(c)
	case "remove":
		sc, err := get(false)
		if err != nil {
			return err
		}
		k, err := strconv.Atoi(fs.Arg(1))
		if err != nil {
			return errors.New("give the change number")
		}
		return st.RemoveChange(ctx, sc, k)
	case "compare":
		i, err := id(0)
		if err != nil {
			return err
		}
		cmp, err := svc.Compare(ctx, i, scenario.CompareQuery{Caliber: cal, Method: method, Level: level})
		if err != nil {
			return err
		}
		return out(cmp)
	case "promote":
		i, err := id(0)
		if err != nil {
			return err
		}
		p, err := st.Promote(ctx, i, actor)
		if err != nil {
			return err
		}
		return out(p)
	case "delete":
		i, err := id(0)
		if err != nil {
			return err
		}
		return st.Delete(ctx, i)
	case "sites":
		sc, plan, err := svc.FromSites(ctx, scenario.SitesRequest{City: cfg.City, Caliber: cal, Method: method, N: n, SiteAreaM2: float64(siteArea), Name: name, Owner: actor})
		if err != nil {
			return err
		}
		return printSites(env.Stdout, sc, plan, coverage.From(cal, coverage.FromCityDefault), coverage.From(method, coverage.FromCaliberDefault))
	case "siting":
		r, err := sitingRequest(cfg.City, cal, method, band, weight, targets, candidates, k, siteArea, timeLimit)
		if err != nil {
			return err
		}
		r.Name, r.Owner = name, actor
		var sc *scenario.Scenario
		var out *coverage.Siting
		err = withSpinner(env, fmt.Sprintf("siting (branch and bound up to %d s, then the figures)", timeLimit), func() error {
			sc, out, err = svc.FromSiting(ctx, r)
			return err
		})
		if err != nil {
			return err
		}
		return printSiting(env.Stdout, sc, out)
	}
	return fmt.Errorf("unknown scenario command %q", verb)
}

// printSites prints the sites a scenario was made of, under their caliber and method, with
// the park each one is: `scenario compare` of the scenario under the same caliber and
// method gives the last site's coverage.
func printSites(w io.Writer, sc *scenario.Scenario, plan *coverage.SitePlan, calFrom, methodFrom string) error {
	fmt.Fprintf(w, "pocket-park sites — %s, %s\n", sc.City, fmt.Sprintf("caliber %s (%s), method %s (%s)", plan.Caliber, calFrom, plan.Method, methodFrom))
	p := plan.Park
	fmt.Fprintf(w, "each site: park_class %s, pocket %v, open, %.2f m² square, radius %.0f m\n", p.Class, p.Pocket, p.AreaM2, p.RadiusM)
	if plan.Note != "" {
		fmt.Fprintf(w, "note: %s\n", plan.Note)
	}
	fmt.Fprintf(w, "coverage now %.4f %%, residents served %.4f %% (%d candidates)\n", 100*plan.CoverageNow, 100*plan.PopulationShareNow, plan.Candidates)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "site\tgain m²\tgain residents\tcoverage after %\tserved after %\t")
	for _, s := range plan.Sites {
		fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%.4f\t%.4f\t\n", s.Rank, s.GainM2, s.GainPopulation, 100*s.CoverageAfter, 100*s.PopulationShareAfter)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "scenario %d %q: %d parks added (cityreach scenario compare --caliber %s --method %s %d)\n",
		sc.ID, sc.Name, len(sc.Changes), plan.Caliber, plan.Method, sc.ID)
	return err
}
