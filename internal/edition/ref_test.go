package edition

import (
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/fault"
)

func TestParseRef(t *testing.T) {
	bj := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, Beijing) }
	for _, tc := range []struct {
		in      string
		edition string
		at      time.Time
		bad     bool
	}{
		{in: ""},
		{in: "2024 现状", edition: "2024 现状"},
		{in: "现状2025", edition: "现状2025"},
		{in: "2025-01-01", at: bj(2025, 1, 1)},
		{in: "2024-12-31T16:00:00Z", at: bj(2025, 1, 1)},
		{in: "2025-01-01T00:00:00+08:00", at: bj(2025, 1, 1)},
		{in: "2025-02-30", bad: true},
		{in: "2025-1-1", bad: true},
		{in: "2025-01-01 00:00", bad: true},
		{in: "   ", bad: true},
		{in: "a\nb", bad: true},
		{in: "\x7f", bad: true},
		{in: string([]byte{0xff, 0xfe}), bad: true},
		{in: string(make([]byte, 101)), bad: true},
	} {
		r, err := ParseRef("as_of", tc.in)
		if tc.bad {
			fe := fault.As(err)
			if fe == nil || fe.Kind != fault.KindInvalid || fe.Extra["parameter"] != "as_of" {
				t.Errorf("%q: %+v, %v; want an Invalid fault naming as_of", tc.in, r, err)
			}
			continue
		}
		if err != nil || r.Edition != tc.edition || (r.At == nil) != tc.at.IsZero() || (r.At != nil && !r.At.Equal(tc.at)) {
			t.Errorf("%q: %+v %v, want edition %q at %v", tc.in, r, err, tc.edition, tc.at)
		}
	}
}

// FuzzParseRef: ParseRef never panics; an instant it gives is a valid time; every name
// CheckName accepts (the names an edition can have) reads back as that edition; and CheckRef,
// the syntax check of the OGC collections and the tiles, accepts exactly what ParseRef reads
// as an edition or an instant (not the empty reference), refusing the rest naming its
// parameter.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"", "2024 现状", "2025-01-01", "2025-01-01T00:00:00+08:00", "2025-13-01", "现状", "1999-", "abcd-", "\x00", "9999-12-31T23:59:59.999999999Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef("as_of", s)
		if err == nil && r.At != nil && r.At.IsZero() {
			t.Fatalf("%q: zero instant", s)
		}
		if CheckName(s) == nil && (err != nil || r.Edition != s || r.At != nil) {
			t.Fatalf("the valid name %q reads as %+v, %v", s, r, err)
		}
		cerr := CheckRef("as_of", s)
		if (cerr == nil) != (err == nil && !r.IsZero()) {
			t.Fatalf("%q: CheckRef %v, ParseRef %+v %v", s, cerr, r, err)
		}
		if fe := fault.As(cerr); cerr != nil && (fe == nil || fe.Kind != fault.KindInvalid || fe.Extra["parameter"] != "as_of") {
			t.Fatalf("%q: CheckRef %v is not an Invalid fault naming as_of", s, cerr)
		}
	})
}
