package featurewrite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/layers"
)

// GeometryError is an invalid geometry as PostGIS ST_IsValidDetail judges it: the reason
// and the location, in the coordinates of CRS. A write refuses it as Fault(); a repaired
// write reports it in Result.Repaired.
type GeometryError struct {
	Reason   string
	Location []float64 // x, y; nil when PostGIS gives none
	CRS      string
}

func (e *GeometryError) Error() string { return "invalid geometry: " + e.Reason }

// Fault is the refusal of the invalid geometry: 422 with reason, location and crs.
func (e *GeometryError) Fault() *fault.Error {
	f := fault.Unprocessable("invalid geometry: "+e.Reason).With("reason", e.Reason)
	if e.Location != nil {
		f.With("location", e.Location)
	}
	if e.CRS != "" {
		f.With("crs", e.CRS)
	}
	return f
}

// CheckGeometryType refuses a geometry of the wrong kind for the layer before any SQL
// runs; a Polygon is accepted for a MultiPolygon layer and promoted by the store.
func CheckGeometryType(l *layers.Layer, g orb.Geometry) error {
	t := g.GeoJSONType()
	if t == l.GeomType || (l.GeomType == "MultiPolygon" && t == "Polygon") {
		return nil
	}
	return refuse(fmt.Sprintf("layer %s holds %s geometries, not %s", l.ID, l.GeomType, t), "geometry", "/geometry/type")
}

// fixSQL returns the fixed SQL expression that shapes geometry g (a SQL expression) for
// the layer: promote to Multi for MultiPolygon layers and, on repair, make it valid and keep
// only the parts of the layer's dimension.
func fixSQL(l *layers.Layer, g string, repair bool) string {
	switch l.GeomType {
	case "MultiPolygon":
		if repair {
			return "ST_Multi(ST_CollectionExtract(ST_MakeValid(" + g + "), 3))"
		}
		return "ST_Multi(" + g + ")"
	case "LineString":
		if repair {
			return "ST_LineMerge(ST_CollectionExtract(ST_MakeValid(" + g + "), 2))"
		}
	case "Point":
		if repair {
			return "ST_CollectionExtract(ST_MakeValid(" + g + "), 1)"
		}
	}
	return g
}

// Prepared is a geometry ready for the table: WGS 84 WKB in the layer's type, valid, and
// what was wrong with it when it was repaired.
type Prepared struct {
	WKB      []byte
	Repaired *GeometryError
}

// Prepare checks w.Geometry's type against the layer (CheckGeometryType), validates it with ST_IsValidDetail in its own CRS (w.SRID) and returns it
// in WGS 84 in the layer's geometry type. An invalid geometry is refused with its reason
// and location unless w.Repair is set.
func Prepare(ctx context.Context, tx pgx.Tx, l *layers.Layer, w Write) (Prepared, error) {
	if err := CheckGeometryType(l, w.Geometry); err != nil {
		return Prepared{}, err
	}
	b, err := wkb.Marshal(w.Geometry)
	if err != nil {
		return Prepared{}, fault.Unprocessable("geometry cannot be encoded: " + err.Error())
	}
	srid := w.SRID
	if srid == 0 {
		srid = 4326
	}
	var a Args
	src := "ST_SetSRID(ST_GeomFromWKB(" + a.Add(b) + "), " + a.Add(srid) + "::int)"
	sql := `WITH det AS (SELECT g, ST_IsValidDetail(g) AS d FROM (SELECT ` + src + ` AS g) s)
		SELECT (d).valid, coalesce((d).reason, ''), ST_X((d).location), ST_Y((d).location),
		       ST_AsBinary(o), GeometryType(o), ST_IsEmpty(o), ST_IsValid(o)
		FROM det, LATERAL (SELECT ST_Transform(CASE WHEN (d).valid THEN ` + fixSQL(l, "g", false) +
		` ELSE ` + fixSQL(l, "g", w.Repair) + ` END, 4326) AS o) t`
	var (
		valid, empty, validOut bool
		reason, typ            string
		x, y                   *float64
		out                    []byte
	)
	err = tx.QueryRow(ctx, sql, a...).Scan(&valid, &reason, &x, &y, &out, &typ, &empty, &validOut)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "22") || pe.Code == "XX000") {
			// Only the client's coordinates are in this statement, so a PostGIS failure
			// (a point that cannot be projected: XX000, or a data exception) is their
			// problem, not ours; a lost connection or a timeout is not.
			return Prepared{}, fault.Unprocessable(fmt.Sprintf("the geometry cannot be transformed from %s to WGS 84", w.CRSName))
		}
		return Prepared{}, err
	}
	var issue *GeometryError
	if !valid {
		issue = &GeometryError{Reason: reason, CRS: w.CRSName}
		if x != nil && y != nil {
			issue.Location = []float64{*x, *y}
		}
		if !w.Repair {
			return Prepared{}, issue.Fault()
		}
	}
	if empty {
		return Prepared{}, fault.Unprocessable("the repaired geometry has no "+l.GeomType+" left").With("attribute", "geometry")
	}
	if !strings.EqualFold(typ, l.GeomType) {
		return Prepared{}, fault.Unprocessable(fmt.Sprintf("layer %s holds %s geometries; this one is a %s", l.ID, l.GeomType, typ)).With("attribute", "geometry")
	}
	if !validOut {
		return Prepared{}, (&GeometryError{Reason: "the geometry is invalid after transformation to WGS 84"}).Fault()
	}
	return Prepared{WKB: out, Repaired: issue}, nil
}
