// Package httpapi assembles cityreach's HTTP server: the gin engine with its middleware,
// the health endpoints, and the route groups mounted by the feature packages.
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

	"github.com/cityreach/cityreach/internal/problem"
)

// Mounter registers a group of routes; each feature package provides one.
type Mounter interface {
	Mount(r *gin.Engine)
}

// MounterFunc adapts a function to Mounter.
type MounterFunc func(r *gin.Engine)

// Mount calls f.
func (f MounterFunc) Mount(r *gin.Engine) { f(r) }

// Options configure the engine beyond its routes.
type Options struct {
	// MaxBodyBytes bounds request bodies; larger ones get 413.
	MaxBodyBytes int64
	// CORS lists the origins browsers may call the API from (none by default).
	CORS CORSPolicy
	// StatementTimeout is the database's statement_timeout, named in a 504.
	StatementTimeout time.Duration
}

// NewEngine returns NewEngineWith(log, Options{MaxBodyBytes: maxBody}, mounts...).
func NewEngine(log *slog.Logger, maxBody int64, mounts ...Mounter) *gin.Engine {
	return NewEngineWith(log, Options{MaxBodyBytes: maxBody}, mounts...)
}

// NewEngineWith returns a gin engine with recovery, request ids, the access log, the
// security headers and CORS, the strict request checks of strict.go (no ';' in the query,
// bounded headers and bodies, a Content-Type on every body) and problem+json answers for
// unknown routes and methods.
func NewEngineWith(log *slog.Logger, o Options, mounts ...Mounter) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(requestID(), accessLog(log), recovery(log),
		securityHeaders(o.CORS.Enabled() && !o.CORS.any), cors(o.CORS),
		limitHeaders(), rejectSemicolons(), limitBody(o.MaxBodyBytes), requireContentType(),
		statementTimeout(o.StatementTimeout))
	r.NoRoute(func(c *gin.Context) {
		problem.Write(c, http.StatusNotFound, "no such resource: "+c.Request.URL.Path, nil)
	})
	r.NoMethod(func(c *gin.Context) {
		problem.Write(c, http.StatusMethodNotAllowed, c.Request.Method+" is not allowed on "+c.Request.URL.Path, nil)
	})
	for _, m := range mounts {
		m.Mount(r)
	}
	return r
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

func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		lvl := slog.LevelDebug
		if c.Writer.Status() >= 500 {
			lvl = slog.LevelWarn
		}
		log.Log(c.Request.Context(), lvl, "http",
			"method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(),
			"bytes", c.Writer.Size(), "ms", float64(time.Since(start).Microseconds())/1000,
			"request_id", c.GetString("request_id"))
	}
}

func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
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

// Serve runs h on addr until ctx is cancelled, then shuts down gracefully, giving
// in-flight requests up to grace to finish.
func Serve(ctx context.Context, log *slog.Logger, addr string, h http.Handler, grace time.Duration) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      10 * time.Minute,
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
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
