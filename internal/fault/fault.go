// Package fault holds the typed errors of the domain packages: what went wrong (a Kind),
// a client-safe Detail, extension members that name the culprit (the parameter, the JSON
// pointer, the violated constraint) and the Cause, which is logged and never shown. It
// knows no protocol: internal/problem maps a Kind to an HTTP status in one switch, and the
// CLI prints the Detail.
package fault

import (
	"errors"
	"time"
)

// Kind says what the client did wrong or what the server cannot do now.
type Kind int

const (
	// Invalid means a malformed or out-of-range input: a parameter, a field of a body.
	KindInvalid Kind = iota + 1
	// NotFound means the thing named (a city, a scenario, a job) does not exist.
	KindNotFound
	// Conflict means the request contradicts the current state (a promoted scenario, a
	// unique key already taken).
	KindConflict
	// Unprocessable means a well-formed request whose content cannot be used (an invalid
	// geometry, a siting that finds nothing).
	KindUnprocessable
	// PreconditionFailed means a condition of the request (a version) no longer holds.
	KindPreconditionFailed
	// TooMany means a quota is used up; RetryAfter says when to try again.
	KindTooMany
	// Unavailable means the server cannot serve the request at the moment.
	KindUnavailable
)

var kindNames = map[Kind]string{
	KindInvalid: "invalid", KindNotFound: "not found", KindConflict: "conflict", KindUnprocessable: "unprocessable",
	KindPreconditionFailed: "precondition failed", KindTooMany: "too many", KindUnavailable: "unavailable",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "unknown"
}

// Error is a domain error a client may see. Extra holds extension members (for example
// "parameter", "pointer", "constraint"); Cause is for the log only.
type Error struct {
	Kind   Kind
	Detail string
	Extra  map[string]any
	Cause  error
	// RetryAfter, for TooMany and Unavailable, is when the client may try again.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Detail + ": " + e.Cause.Error()
	}
	return e.Detail
}

func (e *Error) Unwrap() error { return e.Cause }

// With adds the extension member key to e and returns e.
func (e *Error) With(key string, v any) *Error {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra[key] = v
	return e
}

// New returns an *Error of kind with detail.
func New(kind Kind, detail string) *Error { return &Error{Kind: kind, Detail: detail} }

// Invalid is a malformed or out-of-range input; name it with With("parameter", …) or
// With("pointer", …).
func Invalid(detail string) *Error { return New(KindInvalid, detail) }

// NotFound is a thing named that does not exist.
func NotFound(detail string) *Error { return New(KindNotFound, detail) }

// Conflict is a request that contradicts the current state.
func Conflict(detail string) *Error { return New(KindConflict, detail) }

// Unprocessable is a well-formed request whose content cannot be used.
func Unprocessable(detail string) *Error { return New(KindUnprocessable, detail) }

// PreconditionFailed is a condition of the request that no longer holds.
func PreconditionFailed(detail string) *Error { return New(KindPreconditionFailed, detail) }

// TooMany is a quota used up; the client may retry after retryAfter.
func TooMany(detail string, retryAfter time.Duration) *Error {
	e := New(KindTooMany, detail)
	e.RetryAfter = retryAfter
	return e
}

// Unavailable is a service that cannot answer now; the client may retry after retryAfter
// (zero: no advice).
func Unavailable(detail string, retryAfter time.Duration) *Error {
	e := New(KindUnavailable, detail)
	e.RetryAfter = retryAfter
	return e
}

// As returns the first *Error in err's chain, or nil.
func As(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// KindOf returns the Kind of the first *Error in err's chain, or 0 when there is none (an
// internal error).
func KindOf(err error) Kind {
	if fe := As(err); fe != nil {
		return fe.Kind
	}
	return 0
}

// Clip bounds a client-supplied name echoed in a detail: at most 64 bytes, cut at a UTF-8
// boundary, with "…" where it was cut.
func Clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
