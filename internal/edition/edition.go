// Package edition keeps a city's data editions: named, immutable points in time of every
// layer ("2024 现状", "2025 现状"). An edition copies no row: it records an instant, and
// every layer is read as it was then from the live tables and feature_history (the SQL
// function cityreach_as_of, migration 0019; citydata.ShadowAsOf). Once published an
// edition can no longer change or be deleted; the database enforces it.
//
// An as-of reference (the as_of= parameter) is an edition name of the city, an RFC 3339
// instant, or a date YYYY-MM-DD, which means the start of that day in Beijing time
// (00:00 UTC+8): the data as it stood when the day began.
package edition

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cityreach/cityreach/internal/fault"
)

// Edition is one data edition of a city.
type Edition struct {
	ID          int64      `json:"id"`
	City        string     `json:"city"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	AsOf        time.Time  `json:"as_of"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	PublishedAt *time.Time `json:"published_at"`
	PublishedBy *string    `json:"published_by"`
}

// Published reports whether e is published (and so immutable).
func (e *Edition) Published() bool { return e.PublishedAt != nil }

// ErrNotFound is returned for an edition that does not exist.
var ErrNotFound = errors.New("edition: not found")

// Beijing is the zone in which a bare date of an as-of reference is read (UTC+8, no DST).
var Beijing = time.FixedZone("UTC+8", 8*3600)

// MaxNameBytes bounds an edition name.
const MaxNameBytes = 100

// Ref is a parsed as-of reference: either an edition name (At nil) or an instant.
type Ref struct {
	Edition string
	At      *time.Time
}

// IsZero reports whether no reference was given (the current data).
func (r Ref) IsZero() bool { return r.Edition == "" && r.At == nil }

// ParseRef reads the as-of reference v of parameter param: "" (now), an RFC 3339 instant,
// a date YYYY-MM-DD (00:00 Beijing time) or an edition name. Its errors are Invalid faults
// naming param.
func ParseRef(param, v string) (Ref, error) {
	if v == "" {
		return Ref{}, nil
	}
	if len(v) > MaxNameBytes || !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return Ref{}, fault.Invalid(param+" must be an edition name (at most 100 bytes of text), an RFC 3339 time or a date YYYY-MM-DD").With("parameter", param)
	}
	if looksLikeDate(v) {
		var t time.Time
		var err error
		if len(v) == len(time.DateOnly) {
			t, err = time.ParseInLocation(time.DateOnly, v, Beijing)
		} else {
			t, err = time.Parse(time.RFC3339Nano, v)
		}
		if err != nil {
			return Ref{}, fault.Invalid(param+" must be an RFC 3339 time (2025-01-01T00:00:00+08:00) or a date YYYY-MM-DD: "+fault.Clip(v)).With("parameter", param)
		}
		return Ref{At: &t}, nil
	}
	if strings.TrimSpace(v) == "" {
		return Ref{}, fault.Invalid(param+" must not be blank").With("parameter", param)
	}
	return Ref{Edition: v}, nil
}

// looksLikeDate: a reference starting with four digits and a dash is a date or a time,
// never a name (migration 0019 refuses such names).
func looksLikeDate(v string) bool {
	if len(v) < 5 || v[4] != '-' {
		return false
	}
	for _, c := range v[:4] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// CheckName checks an edition name as the database will (migration 0019), so the client
// gets an Invalid fault naming the field rather than a constraint.
func CheckName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fault.Invalid("name is required").With("pointer", "/name")
	case len(name) > MaxNameBytes || !utf8.ValidString(name):
		return fault.Invalid("name is at most 100 bytes of text").With("pointer", "/name")
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fault.Invalid("name must not contain control characters").With("pointer", "/name")
	case looksLikeDate(name):
		return fault.Invalid("name must not start like a date (YYYY-): as_of= would read it as one; write 2024 现状 or 现状2024").With("pointer", "/name")
	}
	return nil
}

// AsOf is what an answer as of a past state records: the instant read and, when the
// request named one, the edition.
type AsOf struct {
	At      time.Time `json:"at"`
	Edition string    `json:"edition,omitempty"`
}

// ParseID reads an edition id given as parameter name.
func ParseID(name, v string) (int64, error) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.Invalid(name+" must be an edition id (a positive integer)").With("parameter", name)
	}
	return id, nil
}
