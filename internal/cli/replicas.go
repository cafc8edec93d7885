package cli

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/db"
)

// LSNHeader and LSNCookie carry a client's read-your-writes token: the primary's WAL
// position after its last write (docs/scale-out.md). A response to a successful write sets
// both; a request that carries either reads from a replica only once that replica has
// replayed the position (or from the primary after --replica-wait).
const (
	LSNHeader = "X-Cityreach-LSN"
	LSNCookie = "cityreach_lsn"
)

// replicaRouter builds the read router of --replica-url and starts its health checks; nil
// when no replica is configured. The first check runs before it returns, so replicas that
// answer serve from the first request.
func replicaRouter(ctx context.Context, cfg *config.Config, pool *pgxpool.Pool, log *slog.Logger) (*db.Router, func(), error) {
	if len(cfg.ReplicaURLs) == 0 {
		return nil, func() {}, nil
	}
	r, err := db.NewRouter(ctx, pool, cfg.ReplicaURLs, db.Options{MaxConns: cfg.DBMaxConns, StatementTimeout: cfg.StatementTimeout},
		db.RouterOptions{MaxLag: cfg.ReplicaMaxLag, Wait: cfg.ReplicaWait, Log: log})
	if err != nil {
		return nil, nil, err
	}
	r.Check(ctx)
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx)) // the health loop stops with the returned closer, not with ctx
	done := make(chan struct{})
	go func() { defer close(done); r.Run(rctx) }()
	log.Info("read replicas", "configured", len(cfg.ReplicaURLs), "healthy", len(r.Healthy()))
	return r, func() { cancel(); <-done; r.Close() }, nil
}

// readYourWrites is the middleware of the read-your-writes tokens: it puts a request's
// token into the request context (db.WithMinLSN), and stamps the response of every
// successful write (a method other than GET, HEAD and OPTIONS answered below 400) with the
// primary's position once the handler has committed, just before the headers go out.
// An unreadable token is ignored (the read is then only bounded by --replica-max-lag).
func readYourWrites(r *db.Router) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok := c.GetHeader(LSNHeader)
		if tok == "" {
			if ck, err := c.Cookie(LSNCookie); err == nil {
				tok = ck
			}
		}
		if tok != "" {
			if l, err := db.ParseLSN(tok); err == nil {
				c.Request = c.Request.WithContext(db.WithMinLSN(c.Request.Context(), l))
			}
		}
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			c.Next()
			return
		}
		w := &lsnWriter{ResponseWriter: c.Writer, stamp: func(h http.Header, status int) {
			if status >= 400 {
				return
			}
			l, err := r.CommitLSN(c.Request.Context())
			if err != nil {
				return
			}
			h.Set(LSNHeader, l.String())
			h.Add("Set-Cookie", (&http.Cookie{ //nolint:gosec // G124: not Secure, because the server also answers plain HTTP on localhost; it holds a WAL position, no secret
				Name: LSNCookie, Value: l.String(), Path: "/", MaxAge: 300,
				HttpOnly: true, SameSite: http.SameSiteLaxMode}).String())
		}}
		c.Writer = w
		c.Next()
		w.before() // a handler that wrote nothing: gin sends the headers after this returns
	}
}

// lsnWriter calls stamp once, before the first byte or the headers leave.
type lsnWriter struct {
	gin.ResponseWriter
	stamp func(http.Header, int)
	done  bool
}

func (w *lsnWriter) before() {
	if !w.done && !w.Written() {
		w.done = true
		w.stamp(w.Header(), w.Status())
	}
}

func (w *lsnWriter) WriteHeaderNow() { w.before(); w.ResponseWriter.WriteHeaderNow() }

func (w *lsnWriter) Write(b []byte) (int, error) { w.before(); return w.ResponseWriter.Write(b) }

func (w *lsnWriter) WriteString(s string) (int, error) {
	w.before()
	return w.ResponseWriter.WriteString(s)
}

func (w *lsnWriter) Flush() { w.before(); w.ResponseWriter.Flush() }
