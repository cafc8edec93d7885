package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/migrate"
	"github.com/cityreach/cityreach/migrations"
)

// apiInfo heads the server's OpenAPI document (/api/openapi.json).
func apiInfo() httpapi.Info {
	return httpapi.Info{Title: "cityreach", Version: "1",
		Description: "Planning layers (GeoJSON CRUD with validation, ETag/If-Match and history), imports, park-coverage and living-circle indicators, " +
			"isochrones, planning checks, scenarios, calibers, report jobs (OGC API – Processes), vector tiles and OGC API – Features (/ogc, with its own OpenAPI at /ogc/api). " +
			"Reads may be anonymous (configuration); writes need a bearer token with the editor or admin role. Errors are application/problem+json."}
}

// engine is the gin engine of `cityreach serve`: the health probes, /metrics, app's
// routes and the OpenAPI document describing them all, mounted from one route table
// behind the token store and the anonymous-read setting, with the metrics middleware in
// front of everything.
func engine(cfg *config.Config, pool *pgxpool.Pool, m httpapi.MigrationChecker, app *App, log *slog.Logger) (*gin.Engine, error) {
	mounts, err := serverMounts(pool, m, app)
	if err != nil {
		return nil, err
	}
	cors, err := httpapi.ParseCORSOrigins(cfg.CORSOrigins)
	if err != nil {
		return nil, err
	}
	mw := []gin.HandlerFunc{app.Metrics.Middleware()}
	if app.Replicas != nil {
		mw = append(mw, readYourWrites(app.Replicas))
	}
	return httpapi.NewEngine(httpapi.Options{Log: log, MaxBody: cfg.MaxBodyBytes,
		Policy:     httpapi.Policy{Tokens: &auth.Store{Pool: pool}, AnonymousRead: cfg.AnonymousRead},
		Middleware: mw,
		CORS:       cors, StatementTimeout: cfg.StatementTimeout,
		Heavy: httpapi.HeavyLimits{Slots: cfg.Quotas.HeavySlots, PerCaller: cfg.Quotas.HeavyPerCaller, Wait: time.Minute}}, mounts...)
}

// serverMounts are the route groups of `cityreach serve`: the health probes, /metrics,
// app's routes and the OpenAPI document of them all.
func serverMounts(pool *pgxpool.Pool, m httpapi.MigrationChecker, app *App) ([]httpapi.Mounter, error) {
	mounts := append([]httpapi.Mounter{httpapi.Health{Pool: pool, Migrations: m, Version: Version, Warm: app.warm.Load}, app.Metrics}, app.Mounts...)
	doc, err := httpapi.NewAPIDocument(apiInfo(), mounts...)
	if err != nil {
		return nil, err
	}
	return append(mounts, doc), nil
}

// handler is the whole HTTP server of `cityreach serve`: the engine behind compression.
func handler(cfg *config.Config, pool *pgxpool.Pool, m httpapi.MigrationChecker, app *App, log *slog.Logger) (http.Handler, error) {
	e, err := engine(cfg, pool, m, app, log)
	if err != nil {
		return nil, err
	}
	return httpapi.Compress(e)
}

func runServe(ctx context.Context, env Env, args []string) error {
	var migrateFirst bool
	cfg, _, err := setup(env, "serve", args, true, func(fs *flag.FlagSet) {
		fs.BoolVar(&migrateFirst, "migrate", false, "apply pending migrations before serving")
	})
	if err != nil {
		return err
	}
	log := logger(cfg)
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := migrate.New(pool, migrations.FS)
	if err != nil {
		return err
	}
	if migrateFirst {
		n, err := m.Up(ctx, func(mg migrate.Migration) { log.Info("migration applied", "version", mg.Version, "name", mg.Name) })
		if err != nil {
			return err
		}
		log.Info("schema current", "version", m.Latest(), "applied", n)
	} else if ok, err := m.Current(ctx); err != nil || !ok {
		log.Warn("database schema is not current; run `cityreach migrate up` or serve --migrate")
	}
	app, err := buildApp(ctx, cfg, pool, log)
	if err != nil {
		return err
	}
	defer app.Close()
	go app.Warm(ctx)
	if addr := os.Getenv("CITYREACH_PPROF"); addr != "" {
		go servePprof(addr, log)
	}
	h, err := handler(cfg, pool, m, app, log) //nolint:contextcheck // builds middleware; each request runs with its own context
	if err != nil {
		return err
	}
	if err := httpapi.Serve(ctx, log, cfg.Listen, h, 15*time.Second); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

// servePprof serves Go's profiles (/debug/pprof/) on addr, a separate listener that
// CITYREACH_PPROF names for measurements only (e.g. 127.0.0.1:6060; never a public
// address: the profiles are not behind the route table's access rules).
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Info("profiles served", "addr", addr)
	if err := srv.ListenAndServe(); err != nil {
		log.Warn("profile listener stopped", "err", err)
	}
}
