package importer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
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

// dbfTable is a parsed .dbf header with the raw record area.
type dbfTable struct {
	Fields  []dbfField
	NumRecs int
	RecLen  int
	LDID    byte // language driver id, 0x4D (code page 936) marks GBK
	records []byte
}

// maxDBFFields bounds the header so a corrupt file cannot make the parser spin.
const maxDBFFields = 2048

// parseDBF reads a dBASE III/IV table; field names are decoded later, with the file's
// text encoding.
func parseDBF(b []byte) (*dbfTable, error) {
	if len(b) < 33 {
		return nil, errors.New(".dbf: file shorter than its header")
	}
	t := &dbfTable{
		NumRecs: int(binary.LittleEndian.Uint32(b[4:8])),
		RecLen:  int(binary.LittleEndian.Uint16(b[10:12])),
		LDID:    b[29],
	}
	hdrLen := int(binary.LittleEndian.Uint16(b[8:10]))
	if hdrLen < 33 || hdrLen > len(b) {
		return nil, fmt.Errorf(".dbf: header length %d does not fit a %d-byte file", hdrLen, len(b))
	}
	off := 1 // the deletion flag
	for p := 32; p+32 <= hdrLen && b[p] != 0x0D; p += 32 {
		if len(t.Fields) >= maxDBFFields {
			return nil, errors.New(".dbf: too many fields")
		}
		d := b[p : p+32]
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
	avail := (len(b) - hdrLen) / t.RecLen
	if t.NumRecs > avail {
		return nil, fmt.Errorf(".dbf: header says %d records, the file holds %d", t.NumRecs, avail)
	}
	t.records = b[hdrLen : hdrLen+t.NumRecs*t.RecLen]
	return t, nil
}

// textValid reports whether every text field (and field name) of the table is valid
// UTF-8, the test for files without a .cpg.
func (t *dbfTable) textValid() bool {
	for _, f := range t.Fields {
		if !utf8.ValidString(f.Name) {
			return false
		}
	}
	for i := 0; i < t.NumRecs; i++ {
		rec := t.records[i*t.RecLen : (i+1)*t.RecLen]
		for _, f := range t.Fields {
			if f.Type == 'C' && !utf8.Valid(rec[f.offset:f.offset+f.Len]) {
				return false
			}
		}
	}
	return true
}

// record decodes record i: deleted reports the '*' flag; values are by field name.
func (t *dbfTable) record(i int, dec *encoding.Decoder, names []string) (vals map[string]any, deleted bool, err error) {
	rec := t.records[i*t.RecLen : (i+1)*t.RecLen]
	vals = make(map[string]any, len(t.Fields))
	for k, f := range t.Fields {
		raw := rec[f.offset : f.offset+f.Len]
		v, err := dbfValue(f, raw, dec)
		if err != nil {
			return nil, false, fmt.Errorf("field %s: %w", names[k], err)
		}
		vals[names[k]] = v
	}
	return vals, rec[0] == '*', nil
}

// dbfValue converts one raw field: C → string (right-trimmed, decoded), N/F → int64 when
// it has no decimals and fits, else float64, L → bool, D → time.Time (UTC date). Blank
// numbers, dates and '?' logicals are nil.
func dbfValue(f dbfField, raw []byte, dec *encoding.Decoder) (any, error) {
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
	return decodeText(raw, dec)
}

func decodeText(raw []byte, dec *encoding.Decoder) (string, error) {
	if dec == nil {
		return strings.ToValidUTF8(string(raw), "\uFFFD"), nil
	}
	out, err := dec.Bytes(raw)
	if err != nil {
		return "", fmt.Errorf("text is not valid in the file's encoding: %w", err)
	}
	return string(out), nil
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
