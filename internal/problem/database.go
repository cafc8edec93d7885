package problem

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// RetryAfterSeconds is the Retry-After of a 503 for an unreachable database: long enough
// for a restart of PostgreSQL, short enough that a client is back soon after it.
const RetryAfterSeconds = 5

// StatementTimeoutKey is the gin context key under which the engine stores the configured
// statement timeout (a time.Duration), so a 504 can name it.
const StatementTimeoutKey = "cityreach.statement_timeout"

// databaseError maps a failure of the database or of the connection to it to the status
// the client should see: 503 while PostgreSQL cannot be reached, is shutting down or is
// starting up (with Retry-After), 504 when a statement ran into statement_timeout. It
// returns nil for every other error, including constraint violations, which the domain
// packages map themselves.
func databaseError(err error, timeout time.Duration) *Error {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return unavailable(err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "57P01", // admin_shutdown: a fast or smart shutdown ends the session
			pe.Code == "57P02", // crash_shutdown
			pe.Code == "57P03", // cannot_connect_now: starting up or shutting down
			pe.Code == "53300": // too_many_connections
			return unavailable(err)
		case pe.Code == "57014" && strings.Contains(pe.Message, "statement timeout"):
			detail := "the database query took longer than the statement timeout"
			if timeout > 0 {
				detail += " of " + timeout.String()
			}
			return &Error{Status: http.StatusGatewayTimeout, base: base{Detail: detail + " (--statement-timeout); narrow the request or ask the operator to raise the limit",
				Extra: map[string]any{"statement_timeout": timeout.String()}, Cause: err}}
		case pe.Code == "57014":
			return unavailable(err) // cancelled by an operator (pg_cancel_backend)
		}
		return nil
	}
	// Below the protocol: the socket was refused, reset or closed (a restart), or pgx found
	// the connection already closed. pgconn's own connection errors carry SafeToRetry; pgx
	// wraps a connection that ended mid-message as a bare (unexpected) EOF, for example
	// "failed to deallocate cached statement(s): unexpected EOF". Handlers turn an EOF of a
	// request body into a 400 themselves, so an EOF that reaches here is the database's.
	var ne net.Error
	var retry interface{ SafeToRetry() bool }
	if errors.As(err, &ne) || errors.As(err, &retry) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return unavailable(err)
	}
	return nil
}

func unavailable(cause error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, base: base{
		Detail: "the database cannot be reached at the moment; try again in a few seconds (a write answered this way was not acknowledged: read the data back before repeating it)",
		Extra:  map[string]any{"retry_after_s": RetryAfterSeconds}, Cause: cause}}
}
