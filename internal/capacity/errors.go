package capacity

import (
	"fmt"

	"github.com/cityreach/cityreach/internal/fault"
)

// invalid is an option the package refuses: an Invalid fault naming its parameter.
func invalid(param, reason string) *fault.Error {
	return fault.Invalid(reason).With("parameter", param)
}

// notFound is a city, a category or a band that does not exist: a NotFound fault, naming
// the parameter that named it when there is one.
func notFound(param, what string) *fault.Error {
	e := fault.NotFound(what)
	if param != "" {
		e.With("parameter", param)
	}
	return e
}

// inputError is a bad cell or row of an imported table: an Unprocessable fault with the
// members row, the 1-based row of the file (the header is row 1), and column, the header
// of the cell (absent for the whole row).
func inputError(row int, column, reason string) *fault.Error {
	if column == "" {
		return fault.Unprocessable(fmt.Sprintf("row %d: %s", row, reason)).With("row", row)
	}
	return fault.Unprocessable(fmt.Sprintf("row %d, column %q: %s", row, column, reason)).With("row", row).With("column", column)
}
