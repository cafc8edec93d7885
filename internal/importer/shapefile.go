package importer

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/encoding"
)

// ShapefileReader reads an ESRI Shapefile (.shp geometry, .dbf attributes, .prj CRS,
// .cpg text encoding) held in memory. The .shx index is not needed: records are read in
// file order.
type ShapefileReader struct {
	shp      []byte
	dbf      *dbfTable
	dec      *encoding.Decoder
	encoding string
	crs      string
	names    []string
}

// maxShapefileBytes bounds what is read from one member of a zip (2 GiB, the format's
// own limit).
const maxShapefileBytes = 2 << 30

// OpenShapefileZip reads the one Shapefile inside a zip archive (in any folder). See
// NewShapefile for encoding.
func OpenShapefileZip(zipPath, enc string) (*ShapefileReader, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	members := map[string]*zip.File{}
	var bases []string
	for _, f := range zr.File {
		ext := strings.ToLower(path.Ext(f.Name))
		base := strings.TrimSuffix(f.Name, path.Ext(f.Name))
		if strings.HasPrefix(path.Base(f.Name), "._") || strings.HasPrefix(f.Name, "__MACOSX/") {
			continue
		}
		members[strings.ToLower(base)+ext] = f
		if ext == ".shp" {
			bases = append(bases, base)
		}
	}
	if len(bases) != 1 {
		sort.Strings(bases)
		return nil, fmt.Errorf("%s: want exactly one .shp in the zip, found %d %v", zipPath, len(bases), bases)
	}
	read := func(ext string) ([]byte, error) {
		f, ok := members[strings.ToLower(bases[0])+ext]
		if !ok {
			return nil, nil
		}
		if f.UncompressedSize64 > maxShapefileBytes {
			return nil, fmt.Errorf("%s is larger than 2 GiB", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(io.LimitReader(rc, maxShapefileBytes))
	}
	return newShapefileFrom(read, enc)
}

// OpenShapefileDir reads base.shp, base.dbf, base.prj and base.cpg from disk.
func OpenShapefileDir(base, enc string) (*ShapefileReader, error) {
	read := func(ext string) ([]byte, error) {
		for _, e := range []string{ext, strings.ToUpper(ext)} {
			b, err := os.ReadFile(base + e)
			if err == nil {
				return b, nil
			}
			if !os.IsNotExist(err) {
				return nil, err
			}
		}
		return nil, nil
	}
	return newShapefileFrom(read, enc)
}

func newShapefileFrom(read func(ext string) ([]byte, error), enc string) (*ShapefileReader, error) {
	parts := map[string][]byte{}
	for _, ext := range []string{".shp", ".dbf", ".prj", ".cpg"} {
		b, err := read(ext)
		if err != nil {
			return nil, err
		}
		parts[ext] = b
	}
	if parts[".shp"] == nil || parts[".dbf"] == nil {
		return nil, fmt.Errorf("a Shapefile needs its .shp and .dbf")
	}
	return NewShapefile(parts[".shp"], parts[".dbf"], string(parts[".prj"]), string(parts[".cpg"]), enc)
}

// NewShapefile reads a Shapefile from its parts. Text encoding: enc if given, else the
// .cpg, else code page 936 when the .dbf's language driver says so, else UTF-8 when every
// text byte is valid UTF-8, else GBK (the usual encoding of Chinese survey data). The
// CRS comes from the .prj (see CRSFromPRJ); without one it is left undeclared.
func NewShapefile(shp, dbf []byte, prj, cpg, enc string) (*ShapefileReader, error) {
	if _, err := parseShpHeader(shp); err != nil {
		return nil, err
	}
	t, err := parseDBF(dbf)
	if err != nil {
		return nil, err
	}
	r := &ShapefileReader{shp: shp, dbf: t}
	switch {
	case enc != "":
	case strings.TrimSpace(cpg) != "":
		enc = cpg
	case t.LDID == 0x4D || t.LDID == 0x7A:
		enc = "GBK"
	case t.textValid():
		enc = "UTF-8"
	default:
		enc = "GBK"
	}
	if r.dec, r.encoding, err = encodingByName(enc); err != nil {
		return nil, err
	}
	for _, f := range t.Fields {
		n, err := decodeText([]byte(f.Name), r.dec)
		if err != nil {
			return nil, fmt.Errorf(".dbf field name: %w", err)
		}
		r.names = append(r.names, n)
	}
	if strings.TrimSpace(prj) != "" {
		c, err := CRSFromPRJ(prj)
		if err != nil {
			return nil, err
		}
		r.crs = c.String()
	}
	return r, nil
}

// Format is "shapefile".
func (*ShapefileReader) Format() string { return "shapefile" }

// Fields lists the .dbf field names, decoded.
func (r *ShapefileReader) Fields() []string { return r.names }

// Encoding names the text encoding in use.
func (r *ShapefileReader) Encoding() string { return r.encoding }

// CRS names the CRS from the .prj, "" without one.
func (r *ShapefileReader) CRS() string { return r.crs }

// Each yields every record. A record whose shape cannot be parsed, a null shape and a
// record deleted in the .dbf are yielded with Invalid set, so the import lists them.
func (r *ShapefileReader) Each(ctx context.Context, fn func(*Feature) error) error {
	rest := r.shp[shpHeaderLen:]
	for i := 0; len(rest) > 0; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		num, content, next, err := nextShpRecord(rest)
		if err != nil {
			return &FileError{Index: i, Reason: err.Error()}
		}
		rest = next
		f := &Feature{Index: i, ID: strconv.Itoa(num), CRS: r.crs}
		if i >= r.dbf.NumRecs {
			return &FileError{Index: i, ID: f.ID, Reason: fmt.Sprintf(".shp has more records than the .dbf (%d)", r.dbf.NumRecs)}
		}
		props, deleted, err := r.dbf.record(i, r.dec, r.names)
		if err != nil {
			f.Invalid = err.Error()
		}
		f.Props = props
		if deleted {
			f.Invalid = "record is marked deleted in the .dbf"
		}
		g, err := parseShpRecord(content)
		if err != nil && f.Invalid == "" {
			f.Invalid = "shape: " + err.Error()
		}
		f.Geometry = g
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}
