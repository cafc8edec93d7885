package featureapi

import (
	"context"
	"io"
	"strings"

	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/layers"
)

// Op is what an Edit does to a feature.
type Op int

// The edits.
const (
	OpCreate  Op = iota // a new feature from a GeoJSON Feature
	OpReplace           // every writable attribute and the geometry; absent attributes return to their defaults
	OpPatch             // a JSON merge patch (RFC 7396) of properties and/or the geometry
	OpDelete            // the row goes; its history stays
)

// Edit is one write as every door into the layers hands it over: the REST API under
// /api/v1/layers and OGC API – Features Part 4 under /ogc. Store.Edit is the one write
// path both call, so validation, the named-constraint reasons, the version check and the
// history are the same whichever door an edit comes through.
type Edit struct {
	Op Op
	// ID is the feature replaced, patched or deleted; unused on create.
	ID int64
	// Body is the request body: a GeoJSON Feature (create, replace) or a merge patch of
	// one (patch); unused on delete.
	Body io.Reader
	// CRS is the CRS of the body's coordinates; nil means WGS 84 unless the body's own
	// crs member names one (a crs member that disagrees with CRS is refused).
	CRS *crs.CRS
	// LatLon says the body's coordinates are latitude first, as OGC API – Features Part 2
	// writes EPSG:4326 and EPSG:4490 (and QGIS sends them); they are swapped before any check.
	LatLon bool
	// IgnoreBodyID lets a create carry an id, which is dropped (OGC Part 4 lets a server
	// ignore it); without it an id in a new feature is refused, since the server assigns ids.
	IgnoreBodyID bool
	// Versions are the versions the feature may be at for the edit to go ahead (If-Match);
	// nil writes whatever the current version is. An empty, non-nil list matches nothing.
	Versions []int32
	// Repair applies ST_MakeValid to an invalid geometry instead of refusing it.
	Repair bool
	// Actor is recorded in feature_history as who made the edit.
	Actor string
	// OutSRID is the CRS of the returned row's geometry.
	OutSRID int
}

// Edit decodes e's body, checks it against the layer's schema and geometry type, and
// creates, updates or deletes the feature in one transaction. Errors are the package's
// domain errors (ErrNotFound, *StaleError, or the faults of internal/featurewrite, whose
// attribute, geometry and constraint checks every write path shares) or problems for a malformed body; Problem maps them for clients. A delete returns a
// zero Result.
func (s *Store) Edit(ctx context.Context, l *layers.Layer, e Edit) (Result, error) {
	if e.Op == OpDelete {
		return Result{}, s.Delete(ctx, l, e.ID, e.Versions, e.Actor)
	}
	in := bodyCRS{crs: e.CRS, latLon: e.LatLon}
	var (
		b   body
		err error
	)
	if e.Op == OpPatch {
		b, err = decodePatch(e.Body, in)
	} else {
		b, err = decodeFeature(e.Body, in)
	}
	if err != nil {
		return Result{}, err
	}
	switch {
	case e.Op == OpCreate && b.id != nil && !e.IgnoreBodyID:
		return Result{}, badParam("id", "a new feature's id is assigned by the server; leave id out")
	case e.Op != OpCreate:
		if err := checkID(b.id, e.ID); err != nil {
			return Result{}, err
		}
	}
	m := map[Op]featurewrite.Mode{OpCreate: featurewrite.Create, OpReplace: featurewrite.Replace, OpPatch: featurewrite.Patch}[e.Op]
	if b.geometry != nil {
		if err := featurewrite.CheckGeometryType(l, b.geometry); err != nil {
			return Result{}, err
		}
	}
	set, err := featurewrite.Attributes(l, b.props, m, s.colTypes.Of(l))
	if err != nil {
		return Result{}, err
	}
	w := Write{Set: set, Geometry: b.geometry, SRID: b.srid, CRSName: b.crsName, Repair: e.Repair,
		Actor: e.Actor, OutSRID: e.OutSRID, Versions: e.Versions}
	if e.Op == OpCreate {
		return s.Create(ctx, l, w)
	}
	return s.Update(ctx, l, e.ID, w)
}

// Problem maps an error of Store.Edit (or any other of this package) to the
// application/problem+json the client sees; an unknown error is returned as it is, for
// problem.Respond to log and answer 500.
func Problem(err error) error { return toProblem(err) }

// ETag is the strong entity tag of a feature version, as the ETag header carries it.
func ETag(version int32) string { return etag(version) }

// IfMatch parses an If-Match header into the versions it names (see ifMatch). When
// required is false a missing header or "*" yields nil: the edit is unconditional.
func IfMatch(h string, required bool) ([]int32, error) {
	if !required {
		switch strings.TrimSpace(h) {
		case "", "*":
			return nil, nil
		}
	}
	return ifMatch(h)
}
