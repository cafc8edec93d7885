package importer

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ShapefileReader reads an ESRI Shapefile (.shp geometry, .dbf attributes, .prj CRS,
// .cpg text encoding) as a stream: the headers are read and checked when it is opened,
// and Each reads one .shp record and one .dbf record at a time, so memory does not grow
// with the file. The .shx index is not needed: records are read in file order.
type ShapefileReader struct {
	open     partOpener
	shpLen   int64 // bytes of the .shp its header declares (checked against the part's size)
	shpName  string
	dbfName  string
	dbf      *dbfTable // the header; records are streamed
	text     textCodec
	crs      string
	names    []string
	warnings []string
}

// partOpener opens one part of a Shapefile by extension (".shp", ".dbf", ".prj", ".cpg"):
// a reader, its size in bytes and its name for messages. rc is nil when the part is absent.
type partOpener func(ext string) (rc io.ReadCloser, size int64, name string, err error)

// maxShapefileBytes bounds one part (2 GiB, the format's own limit).
const maxShapefileBytes = 2 << 30

// maxSmallPart bounds a .prj or .cpg, which hold one line of text.
const maxSmallPart = 64 << 10

// OpenShapefileZip reads the one Shapefile inside a zip archive (in any folder), within
// lim (see Limits). See NewShapefile for encoding.
func OpenShapefileZip(zipPath, enc string, lim Limits) (*ShapefileReader, func() error, error) {
	zr, err := openZip(zipPath, lim)
	if err != nil {
		return nil, nil, err
	}
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
		zr.Close() //nolint:errcheck // an error path: the error returned is the one that matters
		sort.Strings(bases)
		return nil, nil, &FileError{Index: -1, Reason: fmt.Sprintf("want exactly one .shp in the zip, found %d %v", len(bases), bases)}
	}
	member := func(ext string) *zip.File { return members[strings.ToLower(bases[0])+ext] }
	if err := checkDeclared([]*zip.File{member(".shp"), member(".dbf"), member(".prj"), member(".cpg")}, lim); err != nil {
		zr.Close() //nolint:errcheck // an error path: the error returned is the one that matters
		return nil, nil, err
	}
	open := func(ext string) (io.ReadCloser, int64, string, error) {
		f := member(ext)
		if f == nil {
			return nil, 0, "", nil
		}
		rc, size, err := openMember(f)
		return rc, size, f.Name, err
	}
	r, err := newShapefile(open, enc)
	if err != nil {
		zr.Close() //nolint:errcheck // an error path: the error returned is the one that matters
		return nil, nil, err
	}
	return r, zr.Close, nil
}

// OpenShapefileDir reads base.shp, base.dbf, base.prj and base.cpg from disk.
func OpenShapefileDir(base, enc string) (*ShapefileReader, error) {
	open := func(ext string) (io.ReadCloser, int64, string, error) {
		for _, e := range []string{ext, strings.ToUpper(ext)} {
			f, err := os.Open(base + e)
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				return nil, 0, "", err
			}
			st, err := f.Stat()
			if err != nil {
				f.Close() //nolint:errcheck // an error path: the error returned is the one that matters
				return nil, 0, "", err
			}
			return f, st.Size(), filepath.Base(base + e), nil
		}
		return nil, 0, "", nil
	}
	return newShapefile(open, enc)
}

// NewShapefile reads a Shapefile from its parts held in memory. Text encoding: enc if
// given, else the .cpg, else code page 936 when the .dbf's language driver says so, else
// UTF-8 when every text byte is valid UTF-8, else GBK (the usual encoding of Chinese
// survey data). Text that is not valid in the chosen encoding rejects its feature. The
// CRS comes from the .prj (see CRSFromPRJ); without one it is left undeclared.
func NewShapefile(shp, dbf []byte, prj, cpg, enc string) (*ShapefileReader, error) {
	parts := map[string][]byte{".shp": shp, ".dbf": dbf}
	if prj != "" {
		parts[".prj"] = []byte(prj)
	}
	if cpg != "" {
		parts[".cpg"] = []byte(cpg)
	}
	return newShapefile(func(ext string) (io.ReadCloser, int64, string, error) {
		b, ok := parts[ext]
		if !ok {
			return nil, 0, "", nil
		}
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), "layer" + ext, nil
	}, enc)
}

// readSmall reads a .prj or .cpg whole ("" when absent).
func readSmall(open partOpener, ext string) (string, error) {
	rc, size, name, err := open(ext)
	if err != nil || rc == nil {
		return "", err
	}
	defer rc.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	if size > maxSmallPart {
		return "", errMemberTooLarge(name, maxSmallPart)
	}
	b, err := io.ReadAll(io.LimitReader(rc, maxSmallPart))
	return string(b), err
}

func newShapefile(open partOpener, enc string) (*ShapefileReader, error) {
	r := &ShapefileReader{open: open}
	shp, shpSize, shpName, err := open(".shp")
	if err != nil {
		return nil, err
	}
	if shp == nil {
		return nil, &FileError{Index: -1, Reason: "a Shapefile needs its .shp and .dbf"}
	}
	var hdr [shpHeaderLen]byte
	_, rerr := io.ReadFull(shp, hdr[:])
	shp.Close() //nolint:errcheck // an error path: the error returned is the one that matters
	if rerr != nil && shpSize >= shpHeaderLen {
		return nil, rerr
	}
	r.shpName = shpName
	if r.shpLen, err = checkShpHeader(hdr[:], shpSize); err != nil {
		return nil, &FileError{Index: -1, Member: shpName, Reason: shpName + ": " + err.Error()}
	}
	dbf, dbfSize, dbfName, err := open(".dbf")
	if err != nil {
		return nil, err
	}
	if dbf == nil {
		return nil, &FileError{Index: -1, Reason: "a Shapefile needs its .shp and .dbf"}
	}
	r.dbfName = dbfName
	t, err := readDBFHeader(dbf, dbfSize)
	if err != nil {
		dbf.Close() //nolint:errcheck // an error path: the error returned is the one that matters
		return nil, &FileError{Index: -1, Member: dbfName, Reason: dbfName + ": " + err.Error(), Cause: err}
	}
	r.dbf = t
	cpg, err := readSmall(open, ".cpg")
	if err != nil {
		dbf.Close() //nolint:errcheck // an error path: the error returned is the one that matters
		return nil, err
	}
	from := ""
	var scan *textScan
	needScan := enc == "" && (strings.TrimSpace(cpg) == "" || isGBKName(cpg)) && t.LDID != 0x4D && t.LDID != 0x7A
	if needScan {
		s, err := t.scanText(dbf)
		if err != nil {
			dbf.Close() //nolint:errcheck // an error path: the error returned is the one that matters
			return nil, err
		}
		scan = &s
	}
	dbf.Close() //nolint:errcheck // an error path: the error returned is the one that matters
	switch {
	case enc != "":
		from = "encoding="
	case strings.TrimSpace(cpg) != "":
		enc, from = cpg, "the .cpg"
		if scan != nil && scan.validUTF8 && scan.nonASCII {
			r.warnings = append(r.warnings, fmt.Sprintf("the .cpg declares %s, but every text value of %s is also valid UTF-8, which %s text rarely is: if names look garbled, import again with encoding=UTF-8",
				strings.TrimSpace(cpg), dbfName, strings.TrimSpace(cpg)))
		}
	case t.LDID == 0x4D || t.LDID == 0x7A:
		enc, from = "GBK", "the .dbf language driver (code page 936)"
	case scan.validUTF8:
		enc, from = "UTF-8", ""
	default:
		enc, from = "GBK", ""
	}
	dec, name, err := encodingByName(enc)
	if err != nil {
		return nil, &RequestError{Reason: err.Error()}
	}
	r.text = textCodec{dec: dec, name: name, from: from}
	for _, f := range t.Fields {
		n, err := r.text.decode([]byte(f.Name))
		if err != nil {
			return nil, &FileError{Problem: Refused, Index: -1, Member: dbfName, Attribute: f.Name, Reason: dbfName + " field name: " + err.Error()}
		}
		r.names = append(r.names, n)
	}
	prj, err := readSmall(open, ".prj")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(prj) != "" {
		c, err := CRSFromPRJ(prj)
		if err != nil {
			return nil, &FileError{Index: -1, Reason: err.Error()}
		}
		r.crs = c.String()
	}
	return r, nil
}

// isGBKName says whether a .cpg names one of the Chinese code pages, which a UTF-8 file
// is most often mislabelled as.
func isGBKName(cpg string) bool {
	_, name, err := encodingByName(cpg)
	return err == nil && (name == "GBK" || name == "GB18030")
}

// Format is "shapefile".
func (*ShapefileReader) Format() string { return "shapefile" }

// Fields lists the .dbf field names, decoded.
func (r *ShapefileReader) Fields() []string { return r.names }

// Encoding names the text encoding in use.
func (r *ShapefileReader) Encoding() string { return r.text.name }

// CRS names the CRS from the .prj, "" without one.
func (r *ShapefileReader) CRS() string { return r.crs }

// Warnings are doubts about the file that did not stop the import (a .cpg that may be
// wrong); the import report lists them.
func (r *ShapefileReader) Warnings() []string { return r.warnings }

// Each yields every record. A record whose shape cannot be parsed, a null shape, a
// record deleted in the .dbf and one whose text is not valid in the file's encoding are
// yielded with Invalid set, so the import lists them.
func (r *ShapefileReader) Each(ctx context.Context, fn func(*Feature) error) error {
	shp, _, _, err := r.open(".shp")
	if err != nil {
		return err
	}
	defer shp.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	dbf, _, _, err := r.open(".dbf")
	if err != nil {
		return err
	}
	defer dbf.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	sr := bufio.NewReaderSize(shp, 64<<10)
	dr := bufio.NewReaderSize(dbf, 64<<10)
	if _, err := sr.Discard(shpHeaderLen); err != nil {
		return partError(-1, r.shpName, err)
	}
	if _, err := dr.Discard(r.dbf.HdrLen); err != nil {
		return partError(-1, r.dbfName, err)
	}
	rec := make([]byte, r.dbf.RecLen)
	var content []byte
	for i, pos := 0, int64(shpHeaderLen); pos < r.shpLen; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		num, n, err := readShpRecordHeader(sr, r.shpLen-pos)
		if err != nil {
			return partError(i, r.shpName, err)
		}
		pos += 8 + n
		if int64(cap(content)) < n {
			content = make([]byte, n)
		}
		content = content[:n]
		if _, err := io.ReadFull(sr, content); err != nil {
			return partError(i, r.shpName, err)
		}
		f := &Feature{Index: i, ID: strconv.Itoa(num), CRS: r.crs}
		if i >= r.dbf.NumRecs {
			return &FileError{Index: i, ID: f.ID, Member: r.shpName, Reason: fmt.Sprintf("%s has more records than %s (%d)", r.shpName, r.dbfName, r.dbf.NumRecs)}
		}
		if _, err := io.ReadFull(dr, rec); err != nil {
			return partError(i, r.dbfName, err)
		}
		props, deleted, err := r.dbf.record(rec, r.text, r.names)
		if err != nil {
			f.Invalid = r.dbfName + ": " + err.Error()
		}
		f.Props = props
		if deleted {
			f.Invalid = "record is marked deleted in " + r.dbfName
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

// partError turns a failure to read record i of member into a FileError; limit errors
// pass as they are.
func partError(i int, member string, err error) error {
	var le *LimitError
	var fe *FileError
	switch {
	case errors.As(err, &le), errors.As(err, &fe):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &FileError{Index: i, Member: member, Reason: member + " ends in the middle of a record"}
	}
	return &FileError{Index: i, Member: member, Reason: member + ": " + err.Error(), Cause: err}
}
