package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/synth"
)

// runSeed loads the Baotou demo: `seed baotou` (scale 1 by default) and `seed synth`, which
// is the same load with the generator's knobs spelled out (--scale, --seed).
func runSeed(ctx context.Context, env Env, args []string) error {
	var (
		scale     float64
		seedValue uint64
		replace   bool
		adminFile string
	)
	// Accept the target before or after the flags: `seed baotou --scale 2` and `seed --scale 2 baotou`.
	var target string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, args = args[0], args[1:]
	}
	cfg, fs, err := setup(env, "seed", args, true, func(fs *flag.FlagSet) {
		fs.Float64Var(&scale, "scale", 1, "size of the generated city: 1 ≈ 1.5 million residents, 400 communities; 10 for benchmarks")
		fs.Uint64Var(&seedValue, "seed", 1, "generator seed; the same seed and scale give the same city")
		fs.BoolVar(&replace, "replace", false, "delete the city's existing data and load it afresh")
		fs.StringVar(&adminFile, "admin", "", "official city/district boundary GeoJSON to use instead of the shipped AMap-derived demo outlines")
		fs.Usage = func() {
			fmt.Fprintln(env.Stderr, "Usage: cityreach seed baotou|synth [--scale N] [--seed S] [--replace] [--admin FILE]")
			fs.PrintDefaults()
		}
	})
	if err != nil {
		return err
	}
	if target == "" && fs.NArg() > 0 {
		target = fs.Arg(0)
	}
	switch target {
	case "baotou", "synth":
	case "":
		return errors.New("say what to seed: baotou (outlines + generated city) or synth --scale N --seed S")
	default:
		return fmt.Errorf("unknown seed target %q: use baotou or synth (the OSM extracts load through the importer)", target)
	}
	p := synth.Params{Scale: scale, Seed: seedValue}
	if err := p.Validate(); err != nil {
		return err
	}
	log := logger(cfg)
	o, err := seed.Outlines(adminFile)
	if err != nil {
		return err
	}
	t0 := time.Now()
	city, err := synth.Generate(ctx, p, o)
	if err != nil {
		return err
	}
	log.Info("generated", "scale", scale, "seed", seedValue, "seconds", time.Since(t0).Round(time.Millisecond).Seconds(),
		"communities", len(city.Communities), "parcels", len(city.Parcels), "edges", len(city.Edges), "facilities", len(city.Facilities))
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	opt := seed.Options{Replace: replace, Progress: seed.NewProgress(env.Stderr, log)}
	if adminFile != "" {
		opt.AdminSource = "official boundary file " + adminFile
	}
	sum, err := seed.Load(ctx, pool, o, city, opt)
	if err != nil {
		return err
	}
	printSummary(env.Stdout, city, sum, time.Since(t0))
	return nil
}

func printSummary(w io.Writer, c *synth.City, s *seed.Summary, total time.Duration) {
	fmt.Fprintf(w, "seeded city %s (id %d) in %.1f s: %s\n", seed.Slug, s.CityID, total.Seconds(), c.DataSource)
	layers := make([]string, 0, len(s.Rows))
	for l := range s.Rows {
		layers = append(layers, l)
	}
	sort.Strings(layers)
	for _, l := range layers {
		fmt.Fprintf(w, "  %-18s %8d\n", l, s.Rows[l])
	}
	m := c.Manifest
	fmt.Fprintln(w, "deliberate defects (docs/demo-data.md):")
	for _, n := range m.NarrowPlaces {
		fmt.Fprintf(w, "  narrow corridor   %s: %.0f m wide at %.5f,%.5f\n", n.Corridor, n.WidthM, n.At[0], n.At[1])
	}
	fmt.Fprintf(w, "  broken corridor   %s: %.0f m gap at %.5f,%.5f\n", m.BrokenCorridor.Corridor, m.BrokenCorridor.GapM, m.BrokenCorridor.At[0], m.BrokenCorridor.At[1])
	for _, o := range m.Overlaps {
		fmt.Fprintf(w, "  overlap           %s %q with growth boundary %s\n", o.Layer, o.Name, o.Edition)
	}
	for _, l := range m.Lacking {
		fmt.Fprintf(w, "  lacking           community %s %s has no %s\n", l.CommunityCode, l.CommunityName, l.Category)
	}
}
