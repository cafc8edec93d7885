package geojson

import (
	"errors"
	"strings"
	"testing"
)

// feat wraps a geometry in a Feature with empty properties.
func feat(geometry string) string {
	return `{"type":"Feature","properties":{},"geometry":` + geometry + `}`
}

// coll wraps features in a FeatureCollection.
func coll(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

// geom builds a geometry object of type t with the given coordinates.
func geom(t, coordinates string) string {
	return `{"type":"` + t + `","coordinates":` + coordinates + `}`
}

// square is a closed unit square ring.
const square = `[[0,0],[1,0],[1,1],[0,1],[0,0]]`

// asError unwraps err as an *Error or fails the test.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *geojson.Error", err, err)
	}
	return e
}
