package openness

import (
	"fmt"
	"strings"
)

// MinutesPerDay is the length of the day the hours describe.
const MinutesPerDay = 24 * 60

// MaxHoursBytes bounds an opening-hours text (the columns' CHECK).
const MaxHoursBytes = 200

// Hours is a set of times of day, as minutes since midnight in [0, MinutesPerDay). The zero
// value is open all day (no hours recorded).
type Hours struct {
	// spans are disjoint half-open minute intervals [from, to), sorted; nil with all set.
	spans [][2]int
	// closed is "off": never open. all is open all day ("24/7", "00:00-24:00" or no hours).
	closed, all bool
	set         bool // false for the zero value: no hours recorded, which is all day
}

// Always is open all day.
var Always = Hours{}

// Parse reads opening hours in the subset of OSM opening_hours that cityreach takes:
//
//   - "" (no hours recorded) and "24/7": open all day;
//   - "off" (or "closed"): never open;
//   - one or more time ranges "HH:MM-HH:MM" separated by commas, e.g. "06:00-22:00" or
//     "06:00-12:00,14:00-22:00"; the end may be 24:00; a range that ends before it starts
//     runs past midnight ("20:00-02:00").
//
// Day selectors (Mo-Fr, PH), months and comments are refused with an error that says so:
// the hours are the same every day.
func Parse(s string) (Hours, error) {
	if len(s) > MaxHoursBytes {
		return Hours{}, fmt.Errorf("opening hours must be at most %d bytes", MaxHoursBytes)
	}
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "":
		return Always, nil
	case "24/7":
		return Hours{set: true, all: true}, nil
	case "off", "closed":
		return Hours{set: true, closed: true}, nil
	}
	var minutes [MinutesPerDay]bool
	for part := range strings.SplitSeq(t, ",") {
		part = strings.TrimSpace(part)
		from, to, ok := strings.Cut(part, "-")
		if !ok {
			return Hours{}, syntaxError(part)
		}
		a, okA := clock(strings.TrimSpace(from), false)
		b, okB := clock(strings.TrimSpace(to), true)
		if !okA || !okB {
			return Hours{}, syntaxError(part)
		}
		if a == b {
			return Hours{}, fmt.Errorf("opening hours: the range %q is empty (use 24/7 for all day)", clip(part))
		}
		if b < a { // past midnight
			b += MinutesPerDay
		}
		for m := a; m < b; m++ {
			minutes[m%MinutesPerDay] = true
		}
	}
	h := Hours{set: true}
	for m := 0; m < MinutesPerDay; {
		if !minutes[m] {
			m++
			continue
		}
		e := m
		for e < MinutesPerDay && minutes[e] {
			e++
		}
		h.spans = append(h.spans, [2]int{m, e})
		m = e
	}
	if len(h.spans) == 1 && h.spans[0] == [2]int{0, MinutesPerDay} {
		h.spans, h.all = nil, true
	}
	return h, nil
}

func syntaxError(part string) error {
	if strings.ContainsAny(part, "MoTuWeThFrSaSuPH") && strings.IndexFunc(part, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0 {
		return fmt.Errorf("opening hours: day selectors such as %q are not supported; give the hours of every day (HH:MM-HH:MM, 24/7 or off)", clip(part))
	}
	return fmt.Errorf("opening hours must be 24/7, off, or time ranges HH:MM-HH:MM separated by commas, not %q", clip(part))
}

// clock reads "HH:MM" (00:00–23:59, or 24:00 when end) as minutes since midnight.
func clock(s string, end bool) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && (m != 0 || !end)) {
		return 0, false
	}
	return h*60 + m, true
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// OpenAt says whether h is open at minute m of the day (0 ≤ m < MinutesPerDay).
func (h Hours) OpenAt(m int) bool {
	switch {
	case !h.set || h.all:
		return true
	case h.closed:
		return false
	}
	for _, s := range h.spans {
		if m >= s[0] && m < s[1] {
			return true
		}
	}
	return false
}

// Spans returns h as disjoint sorted half-open minute intervals: [[0, 1440]] all day,
// none when never open.
func (h Hours) Spans() [][2]int {
	switch {
	case !h.set || h.all:
		return [][2]int{{0, MinutesPerDay}}
	case h.closed:
		return nil
	}
	return append([][2]int(nil), h.spans...)
}

// String writes h in the syntax Parse reads ("" for no hours recorded).
func (h Hours) String() string {
	switch {
	case !h.set:
		return ""
	case h.all:
		return "24/7"
	case h.closed:
		return "off"
	}
	parts := make([]string, len(h.spans))
	for i, s := range h.spans {
		parts[i] = fmt.Sprintf("%02d:%02d-%02d:%02d", s[0]/60, s[0]%60, s[1]/60, s[1]%60)
	}
	return strings.Join(parts, ",")
}

// overlap says whether a and b are both open at some minute of the day.
func overlap(a, b Hours) bool {
	for _, x := range a.Spans() {
		for _, y := range b.Spans() {
			if max(x[0], y[0]) < min(x[1], y[1]) {
				return true
			}
		}
	}
	return false
}
