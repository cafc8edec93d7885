package featureapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/geojson"
	"github.com/cityreach/cityreach/internal/problem"
)

// body is a decoded request body: the geometry in storage-ready coordinates (nil when a
// patch leaves it alone) and the properties.
type body struct {
	geometry orb.Geometry
	srid     int
	crsName  string
	props    map[string]any
	hasProps bool
	id       any
}

// geojsonProblem maps a decoder error: a problem with the geometry is 422 (the JSON is
// fine, the shape is not), anything else about the document is 400; a body over the size
// limit is 413.
func geojsonProblem(err error) error {
	var ge *geojson.Error
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return problem.New(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body exceeds the limit of %d bytes", mb.Limit))
	case errors.As(err, &ge):
		p := problem.BadRequest(ge.Reason)
		if ge.Encoding {
			p = problem.Unprocessable("the string at " + strconv.Quote(ge.Pointer) + " is not valid UTF-8")
		} else if strings.HasPrefix(ge.Pointer, "/geometry") {
			p = problem.Unprocessable("invalid geometry: "+ge.Reason).With("reason", ge.Reason)
		}
		return p.With("pointer", ge.Pointer)
	}
	return problem.BadRequest("the body could not be read")
}

// bodyCRS is how the request names the CRS of the body's coordinates: crs is the ?crs=
// parameter or the Content-Crs header (nil when neither is given), latLon says the
// coordinates come latitude first (OGC Part 2 axis order of EPSG:4326 and EPSG:4490).
type bodyCRS struct {
	crs    *crs.CRS
	latLon bool
}

func (in bodyCRS) geographic() bool { return in.crs == nil || in.crs.IsGeographic() }

// decodeFeature reads a GeoJSON Feature (POST, PUT).
func decodeFeature(r io.Reader, in bodyCRS) (body, error) {
	opts := geojson.Options{MaxBytes: -1, GeographicRange: in.geographic() && !in.latLon, RejectGeometryCollection: true}
	f, err := geojson.DecodeFeature(r, opts)
	if err != nil {
		return body{}, geojsonProblem(err)
	}
	b := body{props: f.Properties, hasProps: true, id: f.ID}
	if b.props == nil {
		b.props = map[string]any{}
	}
	if err := b.setGeometry(f, in); err != nil {
		return body{}, err
	}
	return b, nil
}

// setGeometry settles the input CRS (the body's crs member or the request's, which must
// agree), puts latitude-first coordinates longitude first, and converts GCJ-02 to WGS 84
// in Go, since PostGIS has no SRID for it.
func (b *body) setGeometry(f *geojson.Feature, in bodyCRS) error {
	paramCRS := in.crs
	if in.latLon {
		f.Geometry = project.Geometry(orb.Clone(f.Geometry), func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} })
	}
	c, _ := crs.ParseCRS("EPSG:4326")
	if paramCRS != nil {
		c = *paramCRS
	}
	if f.CRS != "" {
		fc, err := crs.ParseCRS(f.CRS)
		if err != nil {
			return problem.BadRequest("unsupported crs "+strconv.Quote(clip(f.CRS))).With("pointer", "/crs")
		}
		if paramCRS != nil && (fc.SRID() != paramCRS.SRID() || fc.IsGeographic() != paramCRS.IsGeographic()) {
			return problem.BadRequest("the crs member (" + fc.String() + ") and the crs parameter (" + paramCRS.String() + ") disagree")
		}
		c = fc
	}
	var ae *crs.AreaError
	if err := crs.CheckGeometry(c, f.Geometry); errors.As(err, &ae) {
		return problem.Unprocessable(ae.Error()).With("pointer", "/geometry").With("crs", c.String()).
			With("coordinate", []float64{ae.Point[0], ae.Point[1]})
	}
	b.geometry, b.srid, b.crsName = f.Geometry, c.SRID(), c.String()
	if c.SRID() == 0 { // GCJ-02
		b.geometry = project.Geometry(orb.Clone(f.Geometry), func(p orb.Point) orb.Point {
			lon, lat := crs.GCJ02ToWGS84(p[0], p[1])
			return orb.Point{lon, lat}
		})
		b.srid, b.crsName = 4326, "EPSG:4326 (converted from GCJ-02)"
	}
	return nil
}

// decodePatch reads a merge patch of a Feature (RFC 7396): {"properties": {...}} and/or
// {"geometry": {...}}; a property set to null returns to its default, a property left
// out keeps its value.
func decodePatch(r io.Reader, in bodyCRS) (body, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return body{}, geojsonProblem(err)
	}
	if perr := problem.CheckJSON(raw); perr != nil {
		return body{}, perr
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return body{}, problem.BadRequest("the body must be a JSON object: a partial GeoJSON Feature")
	}
	for k := range members {
		switch k {
		case "type", "id", "geometry", "properties", "crs", "bbox":
		default:
			return body{}, problem.BadRequest("unknown member "+strconv.Quote(clip(k))+" in the patch").With("pointer", "/"+clip(k))
		}
	}
	var b body
	if t, ok := members["type"]; ok && string(t) != `"Feature"` {
		return body{}, problem.BadRequest(`type must be "Feature"`).With("pointer", "/type")
	}
	if g, ok := members["geometry"]; ok {
		// Re-use the strict decoder for the geometry by wrapping it in a Feature.
		var doc bytes.Buffer
		doc.WriteString(`{"type":"Feature","properties":null,"geometry":`)
		doc.Write(g)
		if c, ok := members["crs"]; ok {
			doc.WriteString(`,"crs":`)
			doc.Write(c)
		}
		doc.WriteString("}")
		f, err := geojson.DecodeFeature(&doc, geojson.Options{MaxBytes: -1, GeographicRange: in.geographic() && !in.latLon, RejectGeometryCollection: true})
		if err != nil {
			return body{}, geojsonProblem(err)
		}
		if err := b.setGeometry(f, in); err != nil {
			return body{}, err
		}
	}
	if p, ok := members["properties"]; ok && string(p) != "null" {
		dec := json.NewDecoder(bytes.NewReader(p))
		dec.UseNumber()
		if err := dec.Decode(&b.props); err != nil || b.props == nil {
			return body{}, problem.BadRequest("properties must be a JSON object").With("pointer", "/properties")
		}
		b.hasProps = true
	}
	if id, ok := members["id"]; ok {
		dec := json.NewDecoder(bytes.NewReader(id))
		dec.UseNumber()
		_ = dec.Decode(&b.id)
	}
	return b, nil
}

// checkID refuses a body whose "id" names another feature than the URL.
func checkID(bodyID any, id int64) error {
	if bodyID == nil {
		return nil
	}
	if s := fmt.Sprint(bodyID); s != strconv.FormatInt(id, 10) {
		return problem.BadRequest("the body's id does not match the feature in the URL").With("pointer", "/id")
	}
	return nil
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }
