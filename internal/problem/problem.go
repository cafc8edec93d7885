// Package problem writes RFC 9457 (formerly 7807) application/problem+json responses and
// maps domain errors (internal/fault) to them. The cause of a 5xx is logged with the request
// id, never sent.
package problem

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/fault"
)

// ContentType is the media type of problem documents.
const ContentType = "application/problem+json"

// Problem is an RFC 9457 problem document. Extra members (the location of an invalid
// geometry, the offending parameter) go into Extra.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail,omitempty"`
	Instance string         `json:"instance,omitempty"`
	Extra    map[string]any `json:"-"`
}

// Error is an error that carries the HTTP status and the client-safe detail: a fault.Error
// (Detail, Extra, Cause, RetryAfter, and its Error, Unwrap and With) whose status is decided
// here rather than by a Kind, which stays zero. The protocol packages return it for their
// own refusals; domain packages return a *fault.Error, which Respond maps through FromFault.
// RetryAfter, when positive, is sent as the Retry-After header (whole seconds).
type Error struct {
	Status int
	base
}

// base is fault.Error under a name that does not clash with the Error method.
type base = fault.Error

// New returns an *Error with the status and detail.
func New(status int, detail string) *Error { return &Error{Status: status, base: base{Detail: detail}} }

// With adds an extension member to e and returns e.
func (e *Error) With(key string, v any) *Error {
	e.base.With(key, v)
	return e
}

// BadRequest, NotFound and the others are shorthands for common statuses; each is the
// problem of the matching fault, so a status is chosen in one place (Status).
func BadRequest(detail string) *Error { return FromFault(fault.Invalid(detail)) }

// NotFound is 404.
func NotFound(detail string) *Error { return FromFault(fault.NotFound(detail)) }

// TooManyRequests is 429: a quota is used up; the client may retry after retryAfter (sent
// as Retry-After and as the retry_after member, in seconds).
func TooManyRequests(detail string, retryAfter time.Duration) *Error {
	return FromFault(fault.TooMany(detail, retryAfter))
}

func retryAfterSeconds(d time.Duration) int { return max(1, int((d+time.Second-1)/time.Second)) }

// Unprocessable is 422: the request was well-formed but its content is invalid.
func Unprocessable(detail string) *Error { return FromFault(fault.Unprocessable(detail)) }

// Status is the HTTP status of a fault kind: the one table from domain errors to statuses.
// An unknown kind is a 500.
func Status(k fault.Kind) int {
	switch k {
	case fault.KindInvalid:
		return http.StatusBadRequest
	case fault.KindNotFound:
		return http.StatusNotFound
	case fault.KindConflict:
		return http.StatusConflict
	case fault.KindUnprocessable:
		return http.StatusUnprocessableEntity
	case fault.KindPreconditionFailed:
		return http.StatusPreconditionFailed
	case fault.KindTooMany:
		return http.StatusTooManyRequests
	case fault.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// FromFault is the problem a domain error is answered with: the status of its kind, its
// detail and members, and for a retryable kind the retry_after member (whole seconds) and
// the Retry-After header.
func FromFault(fe *fault.Error) *Error {
	e := &Error{Status: Status(fe.Kind), base: base{Detail: fe.Detail, Cause: fe.Cause, RetryAfter: fe.RetryAfter}}
	for k, v := range fe.Extra {
		e.With(k, v)
	}
	if fe.RetryAfter > 0 {
		e.With("retry_after", retryAfterSeconds(fe.RetryAfter))
	}
	return e
}

// Write sends p with its status and content type.
func Write(c *gin.Context, status int, detail string, extra map[string]any) {
	body := map[string]any{
		"type":   "about:blank",
		"title":  http.StatusText(status),
		"status": status,
	}
	if detail != "" {
		body["detail"] = detail
	}
	if c.Request != nil && c.Request.URL != nil {
		body["instance"] = c.Request.URL.Path
	}
	if id := c.GetString("request_id"); id != "" {
		body["request_id"] = id
	}
	for k, v := range extra {
		body[k] = v
	}
	c.Header("Content-Type", ContentType)
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, body)
	// AbortWithStatusJSON sets application/json; restore ours.
	c.Writer.Header().Set("Content-Type", ContentType)
}

// Respond maps err to a problem response: an *Error anywhere in the chain is sent as it
// says, a *fault.Error as FromFault maps it; a request body over its limit is 413; an unreachable or restarting database is 503
// with Retry-After and a statement timeout 504 (databaseError); a client that has gone is
// not an error of ours and is only noted at debug level; anything else is logged and
// answered with a bare 500.
func Respond(c *gin.Context, log *slog.Logger, err error) {
	ctx := c.Request.Context()
	var pe *Error
	if !errors.As(err, &pe) {
		if fe := fault.As(err); fe != nil {
			pe = FromFault(fe)
		}
	}
	if pe != nil {
		if pe.Status >= 500 && log != nil {
			log.ErrorContext(ctx, "request failed", "request_id", c.GetString("request_id"), "err", err)
		}
		if pe.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(retryAfterSeconds(pe.RetryAfter)))
		}
		Write(c, pe.Status, pe.Detail, pe.Extra)
		return
	}
	if ctx.Err() != nil {
		// The client left (or the server is shutting down): nobody reads the answer, and
		// whatever failed failed because of that.
		if log != nil {
			log.DebugContext(ctx, "client closed the request", "request_id", c.GetString("request_id"), "err", err)
		}
		Write(c, 499, "client closed the request", nil)
		return
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		Write(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body exceeds the limit of %d bytes", mb.Limit), map[string]any{"limit": mb.Limit})
		return
	}
	timeout, _ := c.Value(StatementTimeoutKey).(time.Duration)
	if de := databaseError(err, timeout); de != nil {
		if log != nil {
			log.WarnContext(ctx, "database unavailable or too slow", "request_id", c.GetString("request_id"), "status", de.Status, "err", err)
		}
		if de.Status == http.StatusServiceUnavailable {
			c.Header("Retry-After", strconv.Itoa(RetryAfterSeconds))
		}
		Write(c, de.Status, de.Detail, de.Extra)
		return
	}
	if log != nil {
		log.ErrorContext(ctx, "request failed", "request_id", c.GetString("request_id"), "err", err)
	}
	Write(c, http.StatusInternalServerError, "internal error; the server log has the cause under this request id", nil)
}
