package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/scenario"
)

// sitingRequest builds the request of `scenario siting` from its flags.
func sitingRequest(city, cal, method, band, weight, targets, candidates string, k, siteArea, timeLimit int) (scenario.SitingRequest, error) {
	r := scenario.SitingRequest{Query: coverage.Query{City: city, Caliber: cal, Method: method}}
	if band != "" && band != "all" {
		r.Query.Bands = strings.Split(band, ",")
	}
	if timeLimit < 1 || time.Duration(timeLimit)*time.Second > coverage.MaxSitingTime {
		return r, fmt.Errorf("--time-limit must be from 1 to %d seconds", int(coverage.MaxSitingTime/time.Second))
	}
	r.Options = coverage.SitingOptions{K: k, Weight: weight, SiteAreaM2: float64(siteArea), SolveIn: time.Duration(timeLimit) * time.Second}
	for _, t := range strings.Split(targets, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			return r, fmt.Errorf("--targets: %q is not a share", t)
		}
		r.Options.Targets = append(r.Options.Targets, v)
	}
	if candidates != "" {
		b, err := os.ReadFile(candidates)
		if err != nil {
			return r, err
		}
		if r.Drawn, err = coverage.ParseDrawn(b); err != nil {
			return r, err
		}
	}
	return r, nil
}

// withSpinner runs fn while a spinner shows on stderr that work is under way.
func withSpinner(env Env, desc string, fn func() error) error {
	bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(env.Stderr), progressbar.OptionSetDescription(desc),
		progressbar.OptionSpinnerType(14), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = bar.Add(1)
			}
		}
	}()
	err := fn()
	close(done)
	_ = bar.Finish()
	return err
}

// printSiting prints the best k sites, their bound and the cost–coverage curve; `scenario
// compare` of the scenario under the same caliber and method gives the predicted coverage.
func printSiting(w io.Writer, sc *scenario.Scenario, out *coverage.Siting) error {
	b := out.Best
	fmt.Fprintf(w, "optimal pocket-park siting — %s, caliber %s, method %s, weight %s, %s candidates: %d (%d elements, sampled every %.0f m)\n",
		sc.City, out.Caliber, out.Method, out.Weight, out.Source, out.Candidates, out.Elements, out.SampleM)
	if out.Note != "" {
		fmt.Fprintf(w, "note: %s\n", out.Note)
	}
	fmt.Fprintf(w, "now %.4f %%, every candidate built %.4f %%\n", 100*out.Now, 100*out.Reachable)
	verdict := "optimal"
	if !b.Optimal {
		verdict = fmt.Sprintf("gap %.2f %%", 100*b.Gap)
	}
	fmt.Fprintf(w, "best %d: predicted %.4f %% (greedy %.4f %%%s); instance %.4f %%, bound %.4f %%, %s, %d nodes, %.0f ms\n",
		b.K, 100*b.Predicted, 100*b.Greedy, map[bool]string{true: ", greedy kept", false: ""}[b.KeptGreedy], 100*b.Model, 100*b.Bound, verdict, b.Nodes, out.SolveMS)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target %\tparks (proven ≥)\tparks found\tgreedy\tinstance %\t")
	for _, p := range out.Curve {
		t := fmt.Sprintf("%.1f", 100*p.Target)
		if p.Capped {
			t += fmt.Sprintf(" → %.2f (max)", 100*p.Share)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.4f\t\n", t, p.ParksLow, p.ParksHigh, p.Greedy, 100*p.Model)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "scenario %d %q: %d parks added (cityreach scenario compare --caliber %s --method %s %d)\n",
		sc.ID, sc.Name, len(sc.Changes), out.Caliber, out.Method, sc.ID)
	return err
}
