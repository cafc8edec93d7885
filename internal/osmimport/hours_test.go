package osmimport

import (
	"strings"
	"testing"

	"github.com/paulmach/osm"
)

func TestParkHours(t *testing.T) {
	for _, c := range []struct{ tag, want, note string }{
		{"", "", ""},
		{"24/7", "24/7", ""},
		{"06:00-22:00", "06:00-22:00", ""},
		{"05:30-12:00, 13:00-23:00", "05:30-12:00,13:00-23:00", ""},
		{"Mo-Fr 08:00-18:00", "", "day selectors"},
		{"sunrise-sunset", "", "outside the supported subset"},
	} {
		var notes []string
		got := parkHours(osm.Tags{{Key: "leisure", Value: "park"}, {Key: "opening_hours", Value: c.tag}}, func(r string) { notes = append(notes, r) })
		if got != c.want || (c.note == "") != (len(notes) == 0) || (c.note != "" && !strings.Contains(notes[0], c.note)) {
			t.Errorf("opening_hours=%q: %q, notes %v; want %q, a note with %q", c.tag, got, notes, c.want, c.note)
		}
	}
}
