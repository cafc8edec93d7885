package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/paulmach/orb"
)

// Feature is one record of an input file, before mapping.
type Feature struct {
	// Index is the record's position in the file, counting from 0.
	Index int
	// ID is the record's identifier in the file as text (a GeoJSON "id", a GeoPackage
	// primary key, a Shapefile record number), "" when there is none.
	ID string
	// Geometry is in the file's CRS (see CRS); nil for a record without geometry.
	Geometry orb.Geometry
	// Props are the record's attributes by field name: string, json.Number, float64,
	// int64, bool, time.Time or nil.
	Props map[string]any
	// CRS names the CRS of Geometry as the file declares it ("" = not declared, which
	// means OGC:CRS84 unless Options.CRS says otherwise).
	CRS string
	// Invalid, when not empty, is why the reader could not make sense of this record
	// (a corrupt shape, a deleted .dbf row); the import rejects it with this reason.
	Invalid string
}

// Reader yields the features of one input file in file order.
type Reader interface {
	// Format names the file format: "geojson", "shapefile" or "gpkg".
	Format() string
	// Fields lists the attribute names the file declares up front, in file order
	// (nil for GeoJSON, whose properties are per feature).
	Fields() []string
	// Each calls fn with every feature in order. It stops at the first error of fn or
	// of the file and returns it; a malformed file yields a *FileError.
	Each(ctx context.Context, fn func(*Feature) error) error
}

// FileProblem says what kind of problem a FileError is.
type FileProblem int

// The kinds of FileError.
const (
	// Malformed: the file cannot be parsed (truncated, wrong format, bad syntax).
	Malformed FileProblem = iota
	// Refused: the file parses, but holds something the importer will not read: a
	// GeoPackage table that is a view, has triggers or is virtual; text that is not valid
	// in its declared encoding.
	Refused
)

// FileError is a problem with the input file itself that stops reading: the import is
// refused as a whole, even with Options.SkipInvalid, because later features cannot be
// trusted to be found. Its text is meant for the client; Cause (a driver's or decoder's
// error) is not part of it and is only for the log.
type FileError struct {
	Problem   FileProblem
	Index     int    // the feature being read, -1 when outside any feature
	ID        string // its id when known
	Pointer   string // JSON pointer (GeoJSON) or record locator, when known
	Member    string // the zip member or Shapefile part (parks.dbf), when known
	Table     string // the GeoPackage table, when known
	Attribute string // the attribute (file field) at fault, when known
	Reason    string
	Cause     error
}

func (e *FileError) Error() string {
	s := "malformed input: "
	if e.Problem == Refused {
		s = "refused input: "
	}
	s += e.Reason
	if e.Index >= 0 {
		s += fmt.Sprintf(" (feature %d", e.Index)
		if e.ID != "" {
			s += fmt.Sprintf(", id %q", e.ID)
		}
		s += ")"
	}
	if e.Pointer != "" {
		s += " at " + e.Pointer
	}
	return s
}

// Unwrap returns the cause, for the log.
func (e *FileError) Unwrap() error { return e.Cause }

// OpenOptions choose how Open reads a file.
type OpenOptions struct {
	// Encoding of Shapefile attribute text: "" (auto: the .cpg, else UTF-8 when the
	// bytes are valid UTF-8, else GBK), "UTF-8", "GBK", "GB18030" or "LATIN1".
	Encoding string
	// Table is the GeoPackage feature table to read; "" means the only one.
	Table string
	// Limits bound the reading of a zip (members, expanded bytes); the zero value sets
	// no bound (the CLI on local files); the server passes DefaultLimits.
	Limits Limits
}

// Open opens path by its extension: .geojson/.json (GeoJSON), .zip or .shp (Shapefile),
// .gpkg (GeoPackage). The caller closes the returned closer after reading. A file that
// cannot be read is a *FileError or *LimitError; ctx bounds the GeoPackage's first
// queries.
func Open(ctx context.Context, path string, o OpenOptions) (Reader, func() error, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".geojson", ".json":
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		return NewGeoJSONReader(f), f.Close, nil
	case ".zip":
		r, closeZip, err := OpenShapefileZip(path, o.Encoding, o.Limits)
		if err != nil {
			return nil, nil, err
		}
		return r, closeZip, nil
	case ".shp":
		r, err := OpenShapefileDir(strings.TrimSuffix(path, filepath.Ext(path)), o.Encoding)
		if err != nil {
			return nil, nil, err
		}
		return r, func() error { return nil }, nil
	case ".gpkg":
		r, err := OpenGeoPackage(ctx, path, o.Table)
		if err != nil {
			return nil, nil, err
		}
		return r, r.Close, nil
	}
	return nil, nil, fmt.Errorf("unknown file type %q: use .geojson, .json, .zip (Shapefile), .shp or .gpkg", ext)
}
