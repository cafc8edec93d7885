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
// migrations are current; with Warm, whether the caches are warm).
type Health struct {
	Pool       *pgxpool.Pool
	Migrations MigrationChecker
	Version    string
	// Warm, when set, says whether the start-up warming (every city's snapshot, walking
	// graph and default figures in memory) has finished: /readyz reports it as "warm",
	// and /readyz?warm=1 answers 503 until it has.
	Warm func() bool
}

var readiness = Obj(Schema{"status": Str, "database": Str, "migrations": Str}, "status")

// Routes are the health probes; they are public, so that a load balancer needs no token.
func (h Health) Routes() []Route {
	return []Route{
		{Method: http.MethodGet, Path: "/healthz", Access: Public, Summary: "The process answers, with its version.", OperationID: "getHealth",
			Responses: JSON("Alive", Obj(Schema{"status": Enum("ok"), "version": Str}, "status", "version")),
			Handlers:  []gin.HandlerFunc{func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok", "version": h.Version}) }}},
		{Method: http.MethodGet, Path: "/readyz", Access: Public, Summary: "The database answers and its migrations are current (and, with warm=1, every city is warm).", OperationID: "getReadiness",
			Params:    []Param{{Name: "warm", Description: "1: answer 503 until every city's snapshot, graphs and default figures are in memory", Schema: Enum("1")}},
			Responses: append(JSON("Ready", readiness), Response{Status: http.StatusServiceUnavailable, Description: "Not ready: the database or the schema is not", Type: JSONType, Schema: readiness}),
			Handlers:  []gin.HandlerFunc{h.ready}},
	}
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
	out := gin.H{"status": "ready", "database": "reachable", "migrations": "current"}
	if h.Warm != nil {
		warm := h.Warm()
		out["warm"] = warm
		if !warm && c.Query("warm") == "1" {
			out["status"] = "warming"
			c.JSON(http.StatusServiceUnavailable, out)
			return
		}
	}
	c.JSON(http.StatusOK, out)
}
