package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cityreach/cityreach/internal/osmimport"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/synth"
	"github.com/cityreach/cityreach/internal/tiles"
)

// runSeed loads the Baotou demo: `seed baotou` (scale 1 by default) and `seed synth`, which
// is the same load with the generator's knobs spelled out (--scale, --seed); `seed osm
// monaco|helsinki` loads a real OpenStreetMap extract (runSeedOSM).
func runSeed(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "osm" {
		return runSeedOSM(ctx, env, args[1:])
	}
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
			fmt.Fprintln(env.Stderr, "Usage: cityreach seed baotou|synth [--scale N] [--seed S] [--replace] [--admin FILE]\n       cityreach seed osm monaco|helsinki [--file PATH]")
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
		return errors.New("say what to seed: baotou (outlines + generated city), synth --scale N --seed S, or osm monaco|helsinki")
	default:
		return fmt.Errorf("unknown seed target %q: use baotou, synth or osm monaco|helsinki", target)
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
	created, err := seed.Editions(ctx, pool, sum.CityID)
	if err != nil {
		return err
	}
	printSummary(env.Stdout, city, sum, time.Since(t0))
	// The densest tiles are drawn once now, not by the first users (docs/tiles.md).
	if err := fillTileStore(ctx, pool, tiles.DefaultStoreMin, env.Stdout); err != nil {
		return err
	}
	if created {
		fmt.Fprintf(env.Stdout, "data editions: %s, %s (published; %d community parks added in 2025; docs/editions.md)\n", seed.Edition2024, seed.Edition2025, seed.EditionParks)
	} else {
		fmt.Fprintln(env.Stdout, "data editions: the city's earlier editions are kept (published editions cannot be deleted)")
	}
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
	lacking := map[string]bool{}
	for _, l := range m.Gaps {
		lacking[l.CommunityCode] = true
	}
	fmt.Fprintf(w, "checklist gaps inside the communities: %d items in %d of %d communities (docs/demo-data.md)\n",
		len(m.Gaps), len(lacking), len(c.Communities))
}

// osmExtracts are the OpenStreetMap extracts shipped in geodata/ (geodata/README.md has
// their sources and licence), by city slug.
var osmExtracts = map[string]struct{ name, file string }{
	"monaco":   {"Monaco", "monaco.osm.pbf"},
	"helsinki": {"Helsinki", "helsinki_center.osm.pbf"},
}

// runSeedOSM loads a real extract through the OSM importer: `seed osm monaco|helsinki
// [--file PATH]`. The .osm.pbf files are not embedded in the binary, so they are read from
// geodata/ under the working directory unless --file names one. An earlier OSM load of the
// city is replaced; per-row history is off (one bulk_loads row per layer).
func runSeedOSM(ctx context.Context, env Env, args []string) error {
	var slug string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		slug, args = args[0], args[1:]
	}
	var file string
	var quiet bool
	cfg, fs, err := setup(env, "seed osm", args, true, func(fs *flag.FlagSet) {
		fs.StringVar(&file, "file", "", "the .osm.pbf to load (default: geodata/<extract> under the working directory)")
		fs.BoolVar(&quiet, "quiet", false, "no progress bar")
		fs.Usage = func() {
			fmt.Fprintln(env.Stderr, "Usage: cityreach seed osm monaco|helsinki [--file PATH]")
			fs.PrintDefaults()
		}
	})
	if err != nil {
		return err
	}
	if slug == "" && fs.NArg() > 0 {
		slug = fs.Arg(0)
	}
	ex, ok := osmExtracts[slug]
	if !ok {
		return fmt.Errorf("seed osm %q: use monaco or helsinki", slug)
	}
	if file == "" {
		file = filepath.Join("geodata", ex.file)
		if _, err := os.Stat(file); err != nil {
			return fmt.Errorf("%s not found: run from the repository root or pass --file PATH", file)
		}
	} else if _, err := os.Stat(file); err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	bar := newBar(env, quiet)
	opts := osmimport.DefaultOptions()
	opts.CityName, opts.Actor, opts.Bulk = ex.name, "seed", true
	opts.Progress = func(n int) { _ = bar.Set(n) }
	rep, err := osmimport.Import(ctx, pool, slug, file, opts)
	_ = bar.Finish()
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return err
	}
	printOSMSummary(env.Stdout, file, rep)
	return nil
}

func printOSMSummary(w io.Writer, file string, r *osmimport.Report) {
	created := ""
	if r.CityCreated {
		created = ", created"
	}
	fmt.Fprintf(w, "seeded city %s (id %d%s, metric EPSG:%d) from %s in %.1f s: %s\n", r.City, r.CityID, created, r.MetricSRID, file, r.Seconds, r.DataSource)
	fmt.Fprintf(w, "  %-18s %8d  (%d walkable, %d barriers)\n", "network_edges", r.Edges, r.Walkable, r.Barriers)
	fmt.Fprintf(w, "  %-18s %8d  (%s)\n", "parks", r.Parks, joinCounts(r.ParksByKind))
	fmt.Fprintf(w, "  %-18s %8d\n", "park_entrances", r.Entrances)
	fmt.Fprintf(w, "  %-18s %8d  (%s)\n", "facilities", r.FacilityTotal(), joinCounts(r.Facilities))
	fmt.Fprintf(w, "  %-18s %8d  (population estimate %d from %d buildings)\n", "residential_land", r.Residential, r.Population, r.Buildings)
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "  %-18s %8d  (`cityreach import osm %s --city %s --dry-run` lists them)\n", "set aside", len(r.Skipped), file, r.City)
	}
}

// joinCounts prints a count map largest first, ties by name: "transit_stop 163, pharmacy 23".
func joinCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
