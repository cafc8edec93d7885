package cli

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/httpapi"
)

// App holds the services built once per process and the route groups they serve.
type App struct {
	Mounts  []httpapi.Mounter
	closers []func()
}

// Close releases what buildApp started.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// buildApp wires the feature packages. Each later feature adds its Mounter here.
func buildApp(_ context.Context, _ *config.Config, _ *pgxpool.Pool, _ *slog.Logger) (*App, error) {
	return &App{}, nil
}
