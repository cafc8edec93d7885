package openness

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in    string
		want  string // String() of the result
		open  []int  // minutes open
		shut  []int  // minutes closed
		error string // part of the error, when refused
	}{
		{in: "", want: "", open: []int{0, 720, 1439}},
		{in: "24/7", want: "24/7", open: []int{0, 1439}},
		{in: " off ", want: "off", shut: []int{0, 720, 1439}},
		{in: "06:00-22:00", want: "06:00-22:00", open: []int{360, 1319}, shut: []int{0, 359, 1320, 1439}},
		{in: "06:00-12:00, 14:00-24:00", want: "06:00-12:00,14:00-24:00", open: []int{360, 719, 840, 1439}, shut: []int{720, 839, 0}},
		{in: "20:00-02:00", want: "00:00-02:00,20:00-24:00", open: []int{1200, 1439, 0, 119}, shut: []int{120, 1199}},
		{in: "00:00-24:00", want: "24/7", open: []int{0, 1439}},
		{in: "06:00-10:00,09:00-11:00", want: "06:00-11:00", open: []int{360, 659}, shut: []int{660}},
		{in: "Mo-Fr 06:00-22:00", error: "day selectors"},
		{in: "06:00-06:00", error: "empty"},
		{in: "24:00-06:00", error: "time ranges"},
		{in: "6:00-22:00", error: "time ranges"},
		{in: "06:60-22:00", error: "time ranges"},
		{in: "06:00", error: "time ranges"},
		{in: "06:00-22:00;", error: "time ranges"},
		{in: strings.Repeat("06:00-07:00,", 20), error: "at most"},
	} {
		h, err := Parse(c.in)
		if c.error != "" {
			if err == nil || !strings.Contains(err.Error(), c.error) {
				t.Errorf("Parse(%q) = %v, %v; want an error with %q", c.in, h, err, c.error)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if h.String() != c.want {
			t.Errorf("Parse(%q) = %q, want %q", c.in, h.String(), c.want)
		}
		for _, m := range c.open {
			if !h.OpenAt(m) {
				t.Errorf("Parse(%q) closed at minute %d", c.in, m)
			}
		}
		for _, m := range c.shut {
			if h.OpenAt(m) {
				t.Errorf("Parse(%q) open at minute %d", c.in, m)
			}
		}
	}
}

func TestGateUsable(t *testing.T) {
	at := func(s string) At {
		a, err := ParseAt(s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	open := Park{Status: "open"}
	for _, c := range []struct {
		name string
		p    Park
		g    Gate
		a    At
		want bool
	}{
		{"open gate, any time", open, Gate{}, AnyTime, true},
		{"closed gate", open, Gate{Status: "closed"}, AnyTime, false},
		{"closed park", Park{Status: "closed"}, Gate{}, AnyTime, false},
		{"shared park", Park{Status: "shared"}, Gate{}, AnyTime, true},
		{"gate off", open, Gate{Hours: "off"}, AnyTime, false},
		{"gate hours, any time", open, Gate{Hours: "06:00-08:00"}, AnyTime, true},
		{"gate hours, inside", open, Gate{Hours: "06:00-08:00"}, at("07:59"), true},
		{"gate hours, at end", open, Gate{Hours: "06:00-08:00"}, at("08:00"), false},
		{"park hours and gate hours disjoint", Park{Hours: "09:00-17:00"}, Gate{Hours: "06:00-08:00"}, AnyTime, false},
		{"park hours and gate hours overlap", Park{Hours: "07:00-17:00"}, Gate{Hours: "06:00-08:00"}, AnyTime, true},
		{"park shut at night", Park{Hours: "06:00-22:00"}, Gate{}, at("23:00"), false},
		{"stored nonsense", open, Gate{Hours: "sunrise-sunset"}, AnyTime, false},
	} {
		if got := GateUsable(c.p, c.g, c.a); got != c.want {
			t.Errorf("%s: GateUsable = %v, want %v", c.name, got, c.want)
		}
	}
	if ParkOpen(Park{Hours: "06:00-22:00"}, at("05:00")) || !ParkOpen(Park{Hours: "06:00-22:00"}, at("06:00")) {
		t.Error("ParkOpen does not follow the park's hours")
	}
	for _, bad := range []string{"7:00", "24:00", "12:60", "noon", "12:00:00"} {
		if _, err := ParseAt(bad); err == nil {
			t.Errorf("ParseAt(%q) accepted", bad)
		}
	}
}

// FuzzParse checks that Parse never panics, that what it accepts it writes back in a form
// it reads to the same minutes, and that OpenAt agrees with Spans.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "24/7", "off", "closed", "06:00-22:00", "20:00-02:00", "06:00-12:00,14:00-24:00",
		"Mo-Fr 08:00-12:00", "00:00-24:00", "23:59-00:00", "06:00-06:00", ",", "-", "24:00-24:00", "07:00-07:01,07:01-07:02"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(h.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, h.String(), err)
		}
		spans := h.Spans()
		for m := 0; m < MinutesPerDay; m++ {
			in := false
			for _, sp := range spans {
				in = in || (m >= sp[0] && m < sp[1])
			}
			if h.OpenAt(m) != in || again.OpenAt(m) != in {
				t.Fatalf("Parse(%q): minute %d open %v, in spans %v, re-read %v", s, m, h.OpenAt(m), in, again.OpenAt(m))
			}
		}
	})
}
