package geojson

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

// TestInvalidUTF8IsRefusedWhereItIs: a string holding bytes that are not UTF-8 is an error
// with Encoding set at the string's pointer, whether the reader hands over the document at
// once or one byte at a time (which splits every multi-byte sequence across reads).
func TestInvalidUTF8IsRefusedWhereItIs(t *testing.T) {
	pt := `{"type":"Point","coordinates":[109.8,40.6]}`
	for _, tc := range []struct {
		name, doc, pointer string
	}{
		{"property value", `{"type":"Feature","geometry":` + pt + `,"properties":{"name":"公园` + "\xff" + `"}}`, "/properties/name"},
		{"cut-off sequence", `{"type":"Feature","geometry":` + pt + `,"properties":{"a":["ok","` + "\xe5\x8c" + `"]}}`, "/properties/a/1"},
		{"member name", `{"type":"Feature","geometry":` + pt + `,"properties":{"n` + "\xc0\xaf" + `":1}}`, "/properties/n\ufffd\ufffd"},
		{"foreign member", `{"type":"Feature","title":"` + "\xed\xa0\x80" + `","geometry":` + pt + `,"properties":null}`, "/title"},
	} {
		for _, one := range []bool{false, true} {
			var r = strings.NewReader(tc.doc)
			var f *Feature
			var err error
			if one {
				f, err = DecodeFeature(iotest.OneByteReader(r), Options{})
			} else {
				f, err = DecodeFeature(r, Options{})
			}
			var e *Error
			if f != nil || !errors.As(err, &e) || !e.Encoding || e.Pointer != tc.pointer {
				t.Errorf("%s (one byte at a time: %v): %#v, want an encoding error at %q", tc.name, one, err, tc.pointer)
			}
		}
	}
	// Valid multi-byte text split across reads is fine.
	doc := `{"type":"Feature","geometry":` + pt + `,"properties":{"name":"包头市 ✓ 𝄞"}}`
	f, err := DecodeFeature(iotest.OneByteReader(strings.NewReader(doc)), Options{})
	if err != nil || f.Properties["name"] != "包头市 ✓ 𝄞" {
		t.Fatalf("valid text: %v %v", err, f)
	}
	// In a collection the feature's index is set.
	coll := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":` + pt + `,"properties":{}},` +
		`{"type":"Feature","geometry":` + pt + `,"properties":{"x":"` + "\xff" + `"}}]}`
	_, err = DecodeFeatureCollection(iotest.OneByteReader(strings.NewReader(coll)), Options{})
	if e := (*Error)(nil); !errors.As(err, &e) || !e.Encoding || e.Index != 1 || e.Pointer != "/features/1/properties/x" {
		t.Fatalf("collection: %#v", err)
	}
}
