package featureapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cityreach/cityreach/internal/problem"
)

// ErrNotFound means the feature (or version) does not exist.
var ErrNotFound = errors.New("not found")

// StaleError means the feature exists but its version is no longer the one the client
// sent in If-Match; nothing was changed.
type StaleError struct{ Current int32 }

func (e *StaleError) Error() string { return fmt.Sprintf("stale: current version is %d", e.Current) }

// InvalidError is a 422: the request is well-formed but its content is refused. Attribute
// names the offending attribute, Constraint the database constraint that refused it.
type InvalidError struct {
	Detail     string
	Attribute  string
	Constraint string
	Pointer    string
}

func (e *InvalidError) Error() string { return e.Detail }

// ConflictError is a 409: the write collides with another row (a unique constraint).
type ConflictError struct {
	Constraint string
}

func (e *ConflictError) Error() string { return "conflicts with an existing feature: " + e.Constraint }

// GeometryError is an invalid geometry as PostGIS ST_IsValidDetail judges it: the reason
// and the location, in the coordinates of CRS.
type GeometryError struct {
	Reason   string
	Location []float64 // x, y; nil when PostGIS gives none
	CRS      string
}

func (e *GeometryError) Error() string { return "invalid geometry: " + e.Reason }

// GoneError means the version asked for records the feature's deletion.
type GoneError struct{ Version int32 }

func (e *GoneError) Error() string {
	return fmt.Sprintf("version %d is the deletion of the feature", e.Version)
}

// toProblem maps an error of this package to the problem the client sees; anything
// else is returned unchanged, so that problem.Respond answers a fault (an import quota's
// *importer.QuotaError is a TooMany fault: 429) by its kind and logs the rest as 500.
func toProblem(err error) error {
	var (
		pe  *problem.Error
		se  *StaleError
		ie  *InvalidError
		ce  *ConflictError
		ge  *GeometryError
		gne *GoneError
	)
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, ErrNotFound):
		return problem.NotFound("no such feature")
	case errors.As(err, &se):
		return problem.New(http.StatusPreconditionFailed,
			fmt.Sprintf("the feature has changed since you read it: it is at version %d; read it again and retry", se.Current)).
			With("currentETag", etag(se.Current))
	case errors.As(err, &ie):
		p := problem.Unprocessable(ie.Detail)
		if ie.Attribute != "" {
			p.With("attribute", ie.Attribute)
		}
		if ie.Constraint != "" {
			p.With("constraint", ie.Constraint)
		}
		if ie.Pointer != "" {
			p.With("pointer", ie.Pointer)
		}
		return p
	case errors.As(err, &ce):
		return problem.New(http.StatusConflict, ce.Error()).With("constraint", ce.Constraint)
	case errors.As(err, &ge):
		p := problem.Unprocessable("invalid geometry: "+ge.Reason).With("reason", ge.Reason)
		if ge.Location != nil {
			p.With("location", ge.Location)
		}
		if ge.CRS != "" {
			p.With("crs", ge.CRS)
		}
		return p
	case errors.As(err, &gne):
		return problem.New(http.StatusGone, gne.Error())
	}
	return err
}
