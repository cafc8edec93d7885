package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"
)

// MigrationChecker says whether the database schema is the binary's.
type MigrationChecker interface {
	Current(ctx context.Context) (bool, error)
}

// Health serves /healthz (the process answers) and /readyz (the database answers and its
// migrations are current).
type Health struct {
	Pool       *pgxpool.Pool
	Migrations MigrationChecker
	Version    string
}

// Mount registers the health routes.
func (h Health) Mount(r *gin.Engine) {
	r.GET("/healthz", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok", "version": h.Version})
	})
	r.GET("/readyz", h.ready)
}

func (h Health) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := h.Pool.Ping(ctx); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "database": "unreachable"})
		return
	}
	ok, err := h.Migrations.Current(ctx)
	if err != nil || !ok {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "database": "reachable", "migrations": "not current: run `cityreach migrate up`"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "database": "reachable", "migrations": "current"})
}
