package testdb

import (
	"context"
	"os"
	"sync"

	"github.com/jackc/pgx/v5"
)

// sqlLog records the distinct statements of the test pools in the file named by
// $CITYREACH_SQL_LOG (appended, each followed by a NUL byte), for the city-scope check of
// the statements built at run time (migrations/cityscope_test.go, docs/scale-out.md). Off
// when the variable is unset.
type sqlLog struct {
	mu   sync.Mutex
	seen map[string]bool
	f    *os.File
}

var theSQLLog struct {
	sync.Once
	log *sqlLog
}

// sqlTracer returns the tracer of the SQL log, nil when it is off.
func sqlTracer() pgx.QueryTracer {
	theSQLLog.Do(func() {
		path := os.Getenv("CITYREACH_SQL_LOG")
		if path == "" {
			return
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) //nolint:gosec // G703: the path is CITYREACH_SQL_LOG, set by whoever runs the tests
		if err != nil {
			return
		}
		theSQLLog.log = &sqlLog{seen: map[string]bool{}, f: f}
	})
	if theSQLLog.log == nil {
		return nil
	}
	return theSQLLog.log
}

// TraceQueryStart records sql the first time this process sees it. One write per
// statement with O_APPEND keeps the records of parallel test binaries whole.
func (l *sqlLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.seen[d.SQL] {
		l.seen[d.SQL] = true
		_, _ = l.f.Write(append([]byte(d.SQL), 0))
	}
	return ctx
}

func (l *sqlLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
