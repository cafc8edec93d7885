// Package httpapi assembles cityreach's HTTP server: the gin engine with its middleware,
// the health endpoints, and the route table (route.go) the feature packages fill, from
// which the engine mounts every route behind its declared access (docs/security.md).
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/problem"
)

// Options configure NewEngine.
type Options struct {
	Log *slog.Logger
	// MaxBody bounds request bodies (413 beyond).
	MaxBody int64
	// Policy authenticates callers and decides what anonymous callers may read.
	Policy Policy
	// Middleware runs first on every request, matched or not (the metrics).
	Middleware []gin.HandlerFunc
	// CORS lists the origins browsers may call the API from (none by default).
	CORS CORSPolicy
	// StatementTimeout is the database's statement_timeout, named in a 504.
	StatementTimeout time.Duration
	// Heavy bounds the routes marked Heavy; the zero value means DefaultHeavyLimits.
	Heavy HeavyLimits
}

// NewEngine returns a gin engine with recovery, request ids, the access log, authentication
// of every request (a malformed, unknown, revoked or expired token is 401 on every route),
// problem+json answers for unknown routes and methods, and every route of mounts mounted
// from the route table behind its access level and owner rule, each GET also as HEAD. It
// fails when a route does not declare what Table requires.
func NewEngine(o Options, mounts ...Mounter) (*gin.Engine, error) {
	table, err := Table(mounts...)
	if err != nil {
		return nil, fmt.Errorf("route table: %w", err)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(o.Middleware...)
	r.Use(requestID(), accessLog(log), recovery(log),
		securityHeaders(o.CORS.Enabled() && !o.CORS.any), cors(o.CORS),
		limitHeaders(), rejectSemicolons(), rejectBadQueryText(), limitBody(o.MaxBody), requireContentType(),
		statementTimeout(o.StatementTimeout),
		auth.Authenticate(o.Policy.Tokens, log), o.Policy.note)
	r.NoRoute(func(c *gin.Context) {
		problem.Write(c, http.StatusNotFound, "no such resource: "+c.Request.URL.Path, nil)
	})
	r.NoMethod(func(c *gin.Context) {
		problem.Write(c, http.StatusMethodNotAllowed, c.Request.Method+" is not allowed on "+c.Request.URL.Path, nil)
	})
	o.Policy.mount(r, table, log, newHeavyGate(o.Heavy))
	return r, nil
}

// Must returns e or panics with err; for tests and examples whose route table is fixed.
func Must(e *gin.Engine, err error) *gin.Engine {
	if err != nil {
		panic(err)
	}
	return e
}

func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set("request_id", id)
		c.Header("X-Request-Id", id)
		c.Next()
	}
}

// accessLog writes one record per request, at info (warn for a 5xx), in the logger's format
// (--log-format): method, route template (empty when no route matched), status, bytes of the
// body before compression, ms, request_id and, when a token authenticated the caller, its
// token_id. Nothing more of the request: not the path, whose values the template stands
// for, nor the query, which may carry secrets, nor the token's secret.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		lvl := slog.LevelInfo
		if c.Writer.Status() >= 500 {
			lvl = slog.LevelWarn
		}
		attrs := []slog.Attr{slog.String("method", c.Request.Method), slog.String("route", c.FullPath()),
			slog.Int("status", c.Writer.Status()), slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000), slog.String("request_id", c.GetString("request_id"))}
		if p := auth.FromContext(c); !p.Anonymous() {
			attrs = append(attrs, slog.Int64("token_id", p.ID))
		}
		log.LogAttrs(c.Request.Context(), lvl, "http", attrs...)
	}
}

func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				log.Error("panic in handler", "request_id", c.GetString("request_id"), "panic", fmt.Sprint(v))
				problem.Write(c, http.StatusInternalServerError, "internal error; the server log has the cause under this request id", nil)
			}
		}()
		c.Next()
	}
}

func limitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > max {
			problem.Write(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes exceeds the limit of %d bytes", c.Request.ContentLength, max), map[string]any{"limit": max})
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}

// WriteTimeout is how long the server takes to answer a request, reading included; past
// it the connection is closed and the client gets an empty reply, so a long computation
// answers before it (coverage.Service.MaxWait).
const WriteTimeout = 10 * time.Minute

// Serve runs h on addr until ctx is cancelled, then shuts down gracefully, giving
// in-flight requests up to grace to finish.
func Serve(ctx context.Context, log *slog.Logger, addr string, h http.Handler, grace time.Duration) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    ServerMaxHeaderBytes,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", "addr", addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace)
	// ctx is done by now: the shutdown keeps its values but not its cancellation.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
