// Package cli implements the cityreach command line: one function per subcommand, each
// parsing its own flags, building its dependencies and running.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/db"
)

// Version is set at build time with -ldflags "-X github.com/cityreach/cityreach/internal/cli.Version=…".
var Version = "dev"

// Env is what every command gets: where to write and how to read the environment.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

type command struct {
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":     {"serve the API and the web map", runServe},
		"migrate":   {"apply or revert schema migrations: up, down [N], status", runMigrate},
		"seed":      {"load demo data: baotou | synth [--scale N --seed S] | osm monaco|helsinki", runSeed},
		"indicator": {"compute an indicator and print a table: park-coverage | living-circle | capacity", runIndicator},
		"version":   {"print the version", runVersion},
		"check":     {"planning checks: corridors, control-lines, growth-diff, outside, complete-communities --city C", runCheck},
		"token":     {"manage API tokens: create --role R --name N [--expires 90d], list, revoke --name N", runToken},
		"scenario":  {"what-if scenarios: list, show, create, add, remove, compare, promote, delete, sites", runScenario},
		"edition":   {"data editions of a city: list, create --name N [--as-of T], publish ID, delete ID", runEdition},
		"problems":  {"the 问题清单 between two editions with the 整治率: --city C [--from E --to E --format table|json|geojson|xlsx --out F]", runProblems},
		"import":    {"import a file into a layer (GeoJSON, zipped Shapefile, GeoPackage) or OSM into a city; import ages: residents by age band (CSV/XLSX)", runImport},
		"national":  {"the national 体检 run over N synthetic cities, one job per city shared by every process: [--cities N --run NAME --workers K] | work", runNational},
		"tijian":    {"write the 城市体检 self-check tables of a city: --city C --xlsx FILE --gpkg FILE [--json FILE] [--as-of E | --scenario ID] [--lang en]", runTijian},
		"tiles":     {"vector tiles: store [--min N] pre-renders the dense zoom-14 tiles into the tile store", runTiles},
		"report":    {"write the batch report of a city: HTML, PDF, XLSX, CSV, GeoJSON, GeoPackage --city C --level L --out DIR", runReport},
	}
}

// Main runs the command named by args[0] and returns the process exit code.
func Main(ctx context.Context, env Env, args []string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout, cmds)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "cityreach: unknown command %q\n\n", args[0])
		usage(env.Stderr, cmds)
		return 2
	}
	if err := cmd.run(ctx, env, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(env.Stderr, "cityreach %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "cityreach — spatial planning indicators on PostGIS\n\nUsage: cityreach <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun `cityreach <command> -h` for a command's flags. Configuration also comes from the environment (DATABASE_URL, CITYREACH_*).")
}

// serverOnly reports whether a configuration flag is one only serve uses.
func serverOnly(flag string) bool {
	switch flag {
	case "listen", "max-body-bytes", "anonymous-read":
		return true
	}
	return false
}

// setup parses the common configuration (environment first, then flags) into a config.
// extra registers the command's own flags.
func setup(env Env, name string, args []string, needDB bool, extra func(fs *flag.FlagSet)) (*config.Config, *flag.FlagSet, error) {
	cfg := config.Defaults()
	if err := cfg.FromEnv(env.Getenv); err != nil {
		return nil, nil, err
	}
	fs := flag.NewFlagSet("cityreach "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	// The server's flags (listen address, body limit, anonymous reads) belong to serve; the
	// other commands take the database, logging and city flags only, so `-h` lists what the
	// command uses.
	all := flag.NewFlagSet("", flag.ContinueOnError)
	cfg.Register(all)
	all.VisitAll(func(f *flag.Flag) {
		if name == "serve" || !serverOnly(f.Name) {
			fs.Var(f.Value, f.Name, f.Usage)
		}
	})
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cityreach %s [flags]\n\nFlags:\n", name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := cfg.Validate(needDB); err != nil {
		return nil, nil, fmt.Errorf("configuration:\n  %s", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}
	if bulkCommand(name) && !statementTimeoutGiven(env, fs) {
		cfg.StatementTimeout = 0
	}
	return &cfg, fs, nil
}

// bulkCommand reports whether the command name loads or migrates data in bulk: its
// statements (a scale-10 city's parcels in one COPY, an index built over them, the refresh
// of the generalised layers) last minutes, so the interactive statement timeout does not
// apply to it unless given (--statement-timeout or CITYREACH_STATEMENT_TIMEOUT); the
// command is stopped with Ctrl-C instead (docs/operations.md).
func bulkCommand(name string) bool {
	switch name {
	case "seed", "seed osm", "import", "import ages", "migrate":
		return true
	}
	return false
}

// statementTimeoutGiven reports whether the statement timeout was set by the flag or the
// environment rather than left at its default.
func statementTimeoutGiven(env Env, fs *flag.FlagSet) bool {
	given := env.Getenv("CITYREACH_STATEMENT_TIMEOUT") != ""
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "statement-timeout" })
	return given
}

func openPool(ctx context.Context, cfg *config.Config) (*pgxpool.Pool, error) {
	return db.Open(ctx, cfg.DatabaseURL, db.Options{MaxConns: cfg.DBMaxConns, StatementTimeout: cfg.StatementTimeout})
}

func runVersion(_ context.Context, env Env, _ []string) error {
	fmt.Fprintln(env.Stdout, "cityreach", Version)
	return nil
}

// logger returns the configured logger; commands log to stderr.
func logger(cfg *config.Config) *slog.Logger { return cfg.Logger() }

// DefaultEnv is the process environment.
func DefaultEnv() Env { return Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv} }
