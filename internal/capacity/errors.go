package capacity

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned when a city, a category or a band does not exist.
var ErrNotFound = errors.New("not found")

// NotFoundError names what was not found; it matches ErrNotFound with errors.Is.
type NotFoundError struct {
	Param string // the request parameter that named it, "" when none
	What  string
}

func (e *NotFoundError) Error() string   { return e.What }
func (e *NotFoundError) Is(t error) bool { return t == ErrNotFound }

// ValidationError is a request the package refuses: Param names the offending option.
type ValidationError struct {
	Param  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Param + ": " + e.Reason }

// InputError is a bad cell or row of an imported table. Row is the 1-based row of the
// file (the header is row 1), Column the header of the cell ("" for the whole row).
type InputError struct {
	Row    int
	Column string
	Reason string
}

func (e *InputError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	}
	return fmt.Sprintf("row %d, column %q: %s", e.Row, e.Column, e.Reason)
}
