package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/migrate"
	"github.com/cityreach/cityreach/migrations"
)

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
	mounts := append([]httpapi.Mounter{httpapi.Health{Pool: pool, Migrations: m, Version: Version}}, app.Mounts...)
	cors, err := httpapi.ParseCORSOrigins(cfg.CORSOrigins)
	if err != nil {
		return err
	}
	h := httpapi.NewEngineWith(log, httpapi.Options{MaxBodyBytes: cfg.MaxBodyBytes, CORS: cors, StatementTimeout: cfg.StatementTimeout}, mounts...)
	if err := httpapi.Serve(ctx, log, cfg.Listen, h, 15*time.Second); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}
