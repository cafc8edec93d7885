package importer

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Reading a zip by its headers first: the entry count comes from the end-of-central-
// directory record before archive/zip allocates one *zip.File per entry, the declared
// uncompressed sizes are checked before a member is opened, and every member is read
// through boundedReader, which stops at the declared size because a declared size can lie.

const (
	eocdSignature       = 0x06054b50
	eocdLen             = 22
	zip64LocatorSig     = 0x07064b50
	zip64LocatorLen     = 20
	zip64EOCDSignature  = 0x06064b50
	maxZipCommentLength = 0xffff
)

// zipEntryCount reads the number of entries an archive declares, from its
// end-of-central-directory record (or the ZIP64 one it points to).
func zipEntryCount(r io.ReaderAt, size int64) (uint64, error) {
	tail := int64(eocdLen + maxZipCommentLength)
	if tail > size {
		tail = size
	}
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	at := -1
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == eocdSignature {
			at = i
			break
		}
	}
	if at < 0 {
		return 0, zip.ErrFormat
	}
	n := uint64(binary.LittleEndian.Uint16(buf[at+10:]))
	if n != 0xffff || at < zip64LocatorLen {
		return n, nil
	}
	loc := buf[at-zip64LocatorLen : at]
	if binary.LittleEndian.Uint32(loc) != zip64LocatorSig {
		return n, nil
	}
	off := int64(binary.LittleEndian.Uint64(loc[8:]))
	var rec [56]byte
	if off < 0 || off > size-int64(len(rec)) {
		return 0, zip.ErrFormat
	}
	if _, err := r.ReadAt(rec[:], off); err != nil {
		return 0, err
	}
	if binary.LittleEndian.Uint32(rec[:]) != zip64EOCDSignature {
		return 0, zip.ErrFormat
	}
	return binary.LittleEndian.Uint64(rec[32:]), nil
}

// openZip opens an archive after checking its entry count against lim.
func openZip(path string, lim Limits) (*zip.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil {
		var n uint64
		n, err = zipEntryCount(f, st.Size())
		if err == nil && lim.ZipMembers > 0 && n > uint64(lim.ZipMembers) {
			f.Close() //nolint:errcheck // an error path: the error returned is the one that matters
			return nil, &LimitError{What: "zip members", Limit: int64(lim.ZipMembers)}
		}
	}
	f.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	if err != nil {
		return nil, &FileError{Index: -1, Reason: "not a zip archive", Cause: err}
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, &FileError{Index: -1, Reason: "not a zip archive", Cause: err}
	}
	return zr, nil
}

// checkDeclared checks the declared uncompressed sizes of the members that will be read
// against lim.ExpandedBytes, before any is opened.
func checkDeclared(files []*zip.File, lim Limits) error {
	var total uint64
	for _, f := range files {
		if f == nil {
			continue
		}
		total += f.UncompressedSize64
		if f.UncompressedSize64 > maxShapefileBytes {
			return &LimitError{What: "expanded bytes", Limit: maxShapefileBytes, Member: f.Name}
		}
		if lim.ExpandedBytes > 0 && total > uint64(lim.ExpandedBytes) {
			return &LimitError{What: "expanded bytes", Limit: lim.ExpandedBytes, Member: f.Name}
		}
	}
	return nil
}

// boundedReader passes through at most left bytes of member and fails when the source
// has more: a member that expands beyond its declared size is refused, never read on.
type boundedReader struct {
	r      io.Reader
	left   int64
	member string
	limit  int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n == 0 && errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, &LimitError{What: "expanded bytes", Limit: b.limit, Member: b.member}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		// archive/zip's own checks (checksum, a size past the declared one) and inflate
		// errors: the member is corrupt.
		return n, &FileError{Index: -1, Member: b.member, Reason: b.member + " is corrupt in the zip", Cause: err}
	}
	return n, err
}

// openMember opens a zip member for reading through a boundedReader at its declared size.
func openMember(f *zip.File) (io.ReadCloser, int64, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, 0, &FileError{Index: -1, Member: f.Name, Reason: f.Name + " cannot be read from the zip", Cause: err}
	}
	size := int64(f.UncompressedSize64)
	return struct {
		io.Reader
		io.Closer
	}{&boundedReader{r: rc, left: size, member: f.Name, limit: size}, rc}, size, nil
}

// errMemberTooLarge words a small member (.prj, .cpg) that is not small.
func errMemberTooLarge(name string, max int) error {
	return &FileError{Index: -1, Member: name, Reason: fmt.Sprintf("%s is larger than %d bytes", name, max)}
}
