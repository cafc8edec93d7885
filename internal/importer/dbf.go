package importer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// dbfField is one column of a .dbf table.
type dbfField struct {
	Name     string
	Type     byte // C text, N numeric, F float, L logical, D date; others are read as text
	Len      int
	Decimals int
	offset   int // within the record, after the deletion flag
}

// dbfTable is a parsed .dbf header; records are read one at a time (dbfRecords).
type dbfTable struct {
	Fields  []dbfField
	NumRecs int
	RecLen  int
	HdrLen  int
	LDID    byte // language driver id, 0x4D (code page 936) marks GBK
}

// maxDBFFields bounds the header so a corrupt file cannot make the parser spin.
const maxDBFFields = 2048

// dbfPrefixLen is the fixed part of the header that says how long the whole header is.
const dbfPrefixLen = 32

// parseDBFHeader reads a dBASE III/IV header from hdr (at least its header length, as
// bytes 8–9 of the first 32 declare) of a file of size bytes, and checks the record count
// and length against size before anything is allocated for records. Field names are
// decoded later, with the file's text encoding.
func parseDBFHeader(hdr []byte, size int64) (*dbfTable, error) {
	if len(hdr) < dbfPrefixLen+1 || size < dbfPrefixLen+1 {
		return nil, errors.New(".dbf: file shorter than its header")
	}
	t := &dbfTable{
		NumRecs: int(binary.LittleEndian.Uint32(hdr[4:8])),
		RecLen:  int(binary.LittleEndian.Uint16(hdr[10:12])),
		HdrLen:  int(binary.LittleEndian.Uint16(hdr[8:10])),
		LDID:    hdr[29],
	}
	if t.HdrLen < dbfPrefixLen+1 || int64(t.HdrLen) > size || t.HdrLen > len(hdr) {
		return nil, fmt.Errorf(".dbf: header length %d does not fit a %d-byte file", t.HdrLen, size)
	}
	off := 1 // the deletion flag
	for p := dbfPrefixLen; p+32 <= t.HdrLen && hdr[p] != 0x0D; p += 32 {
		if len(t.Fields) >= maxDBFFields {
			return nil, errors.New(".dbf: too many fields")
		}
		d := hdr[p : p+32]
		name := d[:11]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		f := dbfField{Name: string(name), Type: d[11], Len: int(d[16]), Decimals: int(d[17]), offset: off}
		if f.Type == 'C' {
			// dBASE stores long text lengths in the decimals byte as the high byte.
			f.Len += int(d[17]) << 8
			f.Decimals = 0
		}
		off += f.Len
		t.Fields = append(t.Fields, f)
	}
	if t.RecLen < off {
		return nil, fmt.Errorf(".dbf: record length %d is shorter than its fields (%d)", t.RecLen, off)
	}
	if t.RecLen == 0 {
		return nil, errors.New(".dbf: record length is 0")
	}
	if avail := (size - int64(t.HdrLen)) / int64(t.RecLen); int64(t.NumRecs) > avail {
		return nil, fmt.Errorf(".dbf: header says %d records, the file holds %d", t.NumRecs, avail)
	}
	return t, nil
}

// readDBFHeader reads and parses the header at the start of r, a .dbf of size bytes.
func readDBFHeader(r io.Reader, size int64) (*dbfTable, error) {
	hdr := make([]byte, dbfPrefixLen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, errors.New(".dbf: file shorter than its header")
	}
	n := int(binary.LittleEndian.Uint16(hdr[8:10]))
	if n < dbfPrefixLen+1 || int64(n) > size {
		return nil, fmt.Errorf(".dbf: header length %d does not fit a %d-byte file", n, size)
	}
	hdr = append(hdr, make([]byte, n-dbfPrefixLen)...)
	if _, err := io.ReadFull(r, hdr[dbfPrefixLen:]); err != nil {
		return nil, errors.New(".dbf: file shorter than its header")
	}
	return parseDBFHeader(hdr, size)
}

// parseDBF parses a whole .dbf held in memory and returns the table and its record area.
func parseDBF(b []byte) (*dbfTable, []byte, error) {
	t, err := parseDBFHeader(b, int64(len(b)))
	if err != nil {
		return nil, nil, err
	}
	return t, b[t.HdrLen : t.HdrLen+t.NumRecs*t.RecLen], nil
}

// textScan says what the text of a table looks like: whether every text field (and
// field name) is valid UTF-8, and whether any byte is outside ASCII.
type textScan struct{ validUTF8, nonASCII bool }

func (s *textScan) add(b []byte) {
	if !utf8.Valid(b) {
		s.validUTF8 = false
	}
	for _, c := range b {
		if c >= 0x80 {
			s.nonASCII = true
			return
		}
	}
}

// scanText reads every record from r (positioned after the header) and reports on the
// text, the test for files without a .cpg and for a .cpg that may be wrong.
func (t *dbfTable) scanText(r io.Reader) (textScan, error) {
	s := textScan{validUTF8: true}
	for _, f := range t.Fields {
		s.add([]byte(f.Name))
	}
	rec := make([]byte, t.RecLen)
	for i := 0; i < t.NumRecs; i++ {
		if _, err := io.ReadFull(r, rec); err != nil {
			return s, err
		}
		for _, f := range t.Fields {
			if f.Type == 'C' {
				s.add(rec[f.offset : f.offset+f.Len])
			}
		}
	}
	return s, nil
}

// record decodes one raw record: deleted reports the '*' flag; values are by field name.
func (t *dbfTable) record(rec []byte, tc textCodec, names []string) (vals map[string]any, deleted bool, err error) {
	vals = make(map[string]any, len(t.Fields))
	for k, f := range t.Fields {
		raw := rec[f.offset : f.offset+f.Len]
		v, err := dbfValue(f, raw, tc)
		if err != nil {
			return nil, false, &fieldError{field: names[k], err: err}
		}
		vals[names[k]] = v
	}
	return vals, rec[0] == '*', nil
}

// fieldError is a value of one .dbf field that cannot be read.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return "field " + e.field + ": " + e.err.Error() }

// dbfValue converts one raw field: C → string (right-trimmed, decoded), N/F → int64 when
// it has no decimals and fits, else float64, L → bool, D → time.Time (UTC date). Blank
// numbers, dates and '?' logicals are nil.
func dbfValue(f dbfField, raw []byte, tc textCodec) (any, error) {
	switch f.Type {
	case 'N', 'F':
		s := strings.TrimSpace(string(bytes.Trim(raw, "\x00")))
		if s == "" || strings.Trim(s, "*") == "" {
			return nil, nil
		}
		if f.Decimals == 0 {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, nil
			}
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return x, nil
	case 'L':
		if len(raw) == 0 {
			return nil, nil
		}
		switch raw[0] {
		case 'T', 't', 'Y', 'y':
			return true, nil
		case 'F', 'f', 'N', 'n':
			return false, nil
		}
		return nil, nil
	case 'D':
		s := strings.TrimSpace(string(bytes.Trim(raw, "\x00")))
		if s == "" || s == "00000000" {
			return nil, nil
		}
		d, err := time.Parse("20060102", s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a date (YYYYMMDD)", s)
		}
		return d, nil
	}
	raw = bytes.TrimRight(bytes.TrimRight(raw, "\x00"), " ")
	return tc.decode(raw)
}

// textCodec decodes .dbf text in one encoding and refuses bytes that are not valid in
// it, rather than replacing them with U+FFFD: text that does not decode means the
// declared encoding is wrong, and writing mojibake would hide that.
type textCodec struct {
	dec  *encoding.Decoder // nil for UTF-8
	name string            // UTF-8, GBK, …
	from string            // where the encoding came from: "the .cpg", "encoding=", "detection"
}

func (tc textCodec) decode(raw []byte) (string, error) {
	if tc.dec == nil {
		if !utf8.Valid(raw) {
			return "", tc.invalid(firstInvalidUTF8(raw))
		}
		return string(raw), nil
	}
	out, err := tc.dec.Bytes(raw)
	if err != nil {
		return "", tc.invalid(-1)
	}
	if i := bytes.IndexRune(out, utf8.RuneError); i >= 0 && !bytes.Contains(raw, []byte("\uFFFD")) {
		return "", tc.invalid(-1)
	}
	return string(out), nil
}

func (tc textCodec) invalid(at int) error {
	s := "text is not valid " + tc.name
	if at >= 0 {
		s += fmt.Sprintf(" (byte %d)", at)
	}
	if tc.from != "" {
		s += ", the encoding " + tc.from + " declares"
	}
	return errors.New(s)
}

// firstInvalidUTF8 is the offset of the first byte of b that is not valid UTF-8.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// encodingByName maps .cpg contents and --encoding values to a decoder; nil means UTF-8.
func encodingByName(name string) (*encoding.Decoder, string, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "CP")
	switch n {
	case "UTF-8", "UTF8", "65001":
		return nil, "UTF-8", nil
	case "GBK", "936", "GB2312", "ANSI 936", "EUC-CN":
		return simplifiedchinese.GBK.NewDecoder(), "GBK", nil
	case "GB18030", "54936":
		return simplifiedchinese.GB18030.NewDecoder(), "GB18030", nil
	case "ISO-8859-1", "LATIN1", "88591", "8859_1":
		return charmap.ISO8859_1.NewDecoder(), "ISO-8859-1", nil
	case "1252", "WINDOWS-1252", "ANSI 1252":
		return charmap.Windows1252.NewDecoder(), "windows-1252", nil
	case "UTF-16", "UTF16":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder(), "UTF-16", nil
	}
	return nil, "", fmt.Errorf("unknown text encoding %q (use UTF-8, GBK, GB18030, LATIN1)", name)
}
