package geojson

import "strconv"

// Error describes the first problem found in a GeoJSON input. Handlers map
// it to a 400 response that shows Reason and Pointer to the user.
type Error struct {
	// Reason says what is wrong in plain words, for example
	// "polygon ring is not closed: first and last positions differ".
	Reason string
	// Pointer is the RFC 6901 JSON pointer to the offending value, for
	// example "/features/3/geometry/coordinates/0/5"; "" is the whole
	// document.
	Pointer string
	// Index is the position of the offending feature in the "features"
	// array, or -1 when the problem is not inside one (always -1 for
	// DecodeFeature).
	Index int
	// Encoding is true when the JSON is well-formed but a string at Pointer
	// (a value or a member name) holds bytes that are not valid UTF-8.
	Encoding bool
}

// Error returns the reason followed by the pointer.
func (e *Error) Error() string {
	if e.Pointer == "" {
		return "geojson: " + e.Reason
	}
	return "geojson: " + e.Reason + " at " + strconv.Quote(e.Pointer)
}

// errorAt returns an *Error for a problem outside any feature; the
// collection decoder sets Index when it is inside one.
func errorAt(p *path, reason string) *Error {
	return &Error{Reason: reason, Pointer: p.String(), Index: -1}
}
