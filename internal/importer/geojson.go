package importer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cityreach/cityreach/internal/geojson"
)

// GeoJSONReader streams a GeoJSON FeatureCollection with the strict decoder of
// internal/geojson, holding one feature in memory at a time.
type GeoJSONReader struct{ r io.Reader }

// NewGeoJSONReader reads a FeatureCollection from r.
func NewGeoJSONReader(r io.Reader) *GeoJSONReader { return &GeoJSONReader{r: r} }

// Format is "geojson".
func (*GeoJSONReader) Format() string { return "geojson" }

// Fields is nil: GeoJSON properties are per feature.
func (*GeoJSONReader) Fields() []string { return nil }

// Each decodes features in order. A decoding problem stops the read and is returned as
// a *FileError carrying the decoder's index, pointer and reason.
func (g *GeoJSONReader) Each(ctx context.Context, fn func(*Feature) error) error {
	opts := geojson.Options{MaxBytes: -1, MaxCoordinates: -1, RejectGeometryCollection: true}
	err := geojson.StreamFeatureCollection(g.r, opts, func(i int, f *geojson.Feature) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(&Feature{Index: i, ID: idString(f.ID), Geometry: f.Geometry, Props: f.Properties, CRS: f.CRS})
	})
	var ge *geojson.Error
	if errors.As(err, &ge) {
		fe := &FileError{Index: ge.Index, Pointer: ge.Pointer, Reason: ge.Reason}
		if ge.Encoding {
			fe.Problem = Refused
		}
		return fe
	}
	return err
}

func idString(id any) string {
	if id == nil {
		return ""
	}
	return fmt.Sprint(id)
}
