package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/cityreach/cityreach/internal/importer"
	"github.com/cityreach/cityreach/internal/osmimport"
)

// runImport loads a file into a layer (`import <layer> <file>`) or an OpenStreetMap
// extract into a city (`import osm <file.osm.pbf> --city <slug>`), all or nothing, and
// prints the report. See docs/import.md.
func runImport(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "ages" {
		return runImportAges(ctx, env, args[1:])
	}
	if len(args) < 2 || strings.HasPrefix(args[0], "-") || strings.HasPrefix(args[1], "-") {
		return errors.New("usage: cityreach import <layer> <file.geojson|.zip|.gpkg> --city SLUG [flags]\n       cityreach import osm <file.osm.pbf> --city SLUG [flags]")
	}
	layer, file := args[0], args[1]
	var (
		city, crsName, maps, mapFile, upsert, actor, source, encoding, table, reportJSON string
		skipInvalid, dryRun, bulk, quiet                                                 bool
		preview                                                                          int
		osmOpts                                                                          = osmimport.DefaultOptions()
	)
	cfg, _, err := setup(env, "import", args[2:], true, func(fs *flag.FlagSet) {
		fs.StringVar(&actor, "actor", "", "author recorded in feature history (default: $USER)")
		fs.StringVar(&source, "source", "", "data_source of the imported rows (default: import:<file name>, or osm:<file name>)")
		fs.BoolVar(&bulk, "bulk", false, "no per-row history; record one bulk_loads row instead")
		fs.BoolVar(&dryRun, "dry-run", false, "validate everything and print what would be imported; write nothing")
		fs.BoolVar(&quiet, "quiet", false, "no progress bar")
		fs.StringVar(&reportJSON, "report", "", "also write the report as JSON to this file")
		if layer == "osm" {
			fs.StringVar(&osmOpts.CityName, "city-name", "", "name of the city when it is created (default: the slug)")
			fs.Float64Var(&osmOpts.FloorAreaPerPerson, "m2-per-person", osmOpts.FloorAreaPerPerson, "residential floor area per resident, m²")
			fs.Float64Var(&osmOpts.DefaultLevels, "default-levels", osmOpts.DefaultLevels, "floors of a building without building:levels")
			fs.Float64Var(&osmOpts.HouseholdSize, "household-size", osmOpts.HouseholdSize, "residents per household")
			return
		}
		fs.StringVar(&crsName, "crs", "", "CRS of the coordinates, overriding the file (EPSG:4546, EPSG:4490, GCJ-02, …)")
		fs.StringVar(&maps, "map", "", "attribute mapping: attribute=FIELD[,attribute=FIELD…]; =VALUE sets a constant")
		fs.StringVar(&mapFile, "mapping", "", "mapping file (JSON or YAML: attribute: FIELD)")
		fs.StringVar(&upsert, "upsert", "", "key attribute: update rows of the city with the same key instead of adding")
		fs.BoolVar(&skipInvalid, "skip-invalid", false, "import the valid features and set the invalid ones aside (listed in the report)")
		fs.StringVar(&encoding, "encoding", "", "Shapefile text encoding (default: .cpg, else UTF-8 if valid, else GBK)")
		fs.StringVar(&table, "table", "", "GeoPackage feature table (default: the only one)")
		fs.IntVar(&preview, "preview", 0, "rows to show in the report (dry run: 5)")
	})
	if err != nil {
		return err
	}
	city = cfg.City
	if city == "" {
		return errors.New("--city is required (or CITYREACH_CITY)")
	}
	if actor == "" {
		actor = env.Getenv("USER")
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	bar := newBar(env, quiet)
	progress := func(n int) { _ = bar.Set(n) }

	if layer == "osm" {
		osmOpts.Actor, osmOpts.Bulk, osmOpts.DryRun, osmOpts.DataSource, osmOpts.Progress = actor, bulk, dryRun, source, progress
		rep, err := osmimport.Import(ctx, pool, city, file, osmOpts)
		_ = bar.Finish()
		fmt.Fprintln(env.Stderr)
		if rep != nil {
			rep.WriteText(env.Stdout)
			if werr := writeJSON(reportJSON, rep); werr != nil && err == nil {
				err = werr
			}
		}
		return err
	}

	m := importer.Mapping{}
	if mapFile != "" {
		if m, err = importer.LoadMappingFile(mapFile); err != nil {
			return err
		}
	}
	if maps != "" {
		fm, err := importer.ParseMapping(maps)
		if err != nil {
			return err
		}
		for k, v := range fm {
			m[k] = v
		}
	}
	src, closeSrc, err := importer.Open(ctx, file, importer.OpenOptions{Encoding: encoding, Table: table})
	if err != nil {
		return err
	}
	defer closeSrc() //nolint:errcheck
	if source == "" {
		source = "import:" + filepath.Base(file)
	}
	rep, err := importer.Import(ctx, pool, layer, src, importer.Options{
		City: city, Actor: actor, DataSource: source, CRS: crsName, Mapping: m, SkipInvalid: skipInvalid,
		Upsert: upsert, DryRun: dryRun, Bulk: bulk, PreviewRows: preview, Progress: progress,
	})
	_ = bar.Finish()
	fmt.Fprintln(env.Stderr)
	if rep != nil {
		rep.WriteText(env.Stdout)
		if werr := writeJSON(reportJSON, rep); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// newBar is a spinner-style bar (the total is unknown while streaming) showing the
// features read and the rate.
func newBar(env Env, quiet bool) *progressbar.ProgressBar {
	w := env.Stderr
	if quiet {
		w = nil
	}
	opts := []progressbar.Option{
		progressbar.OptionSetDescription("reading features"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("features"),
		progressbar.OptionThrottle(200 * time.Millisecond),
		progressbar.OptionSpinnerType(14),
	}
	if w != nil {
		opts = append(opts, progressbar.OptionSetWriter(w))
	} else {
		opts = append(opts, progressbar.OptionSetVisibility(false))
	}
	return progressbar.NewOptions(-1, opts...)
}

func writeJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644) //nolint:gosec // G306: a file the operator asked for, readable like any tool's output (umask applies)
}
