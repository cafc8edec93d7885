package featureapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/problem"
)

// ErrNotFound means the feature (or version) does not exist.
var ErrNotFound = featurewrite.ErrNotFound

// StaleError means the feature exists but its version is no longer the one the client
// sent in If-Match; nothing was changed.
type StaleError = featurewrite.StaleError

// GeometryError is an invalid geometry as PostGIS ST_IsValidDetail judges it (the reason
// and location a repaired write reports).
type GeometryError = featurewrite.GeometryError

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
	case errors.As(err, &gne):
		return problem.New(http.StatusGone, gne.Error())
	}
	return err
}
