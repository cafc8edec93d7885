package openness

import (
	"fmt"
	"strings"
)

// Gate statuses (park_entrances.status).
const (
	GateOpen   = "open"
	GateClosed = "closed"
)

// At is the time of day a question is asked at. The zero value is "at any time of day": a
// gate counts when it is open at some time of the day (the default of the network method
// and the living circle: a park's reach is that of its gates when they are open, as a
// planner reads a plan, not at one instant).
type At struct {
	minute int
	set    bool
}

// AnyTime is the zero At.
var AnyTime = At{}

// ParseAt reads the at= parameter: "HH:MM" (00:00–23:59); "" is AnyTime.
func ParseAt(s string) (At, error) {
	if s == "" {
		return AnyTime, nil
	}
	m, ok := clock(s, false)
	if !ok {
		return AnyTime, fmt.Errorf("at must be a time of day HH:MM (00:00–23:59), not %q", clip(s))
	}
	return At{minute: m, set: true}, nil
}

// Minute returns the minute of the day and whether a time was given.
func (a At) Minute() (int, bool) { return a.minute, a.set }

// String is "HH:MM", or "" for AnyTime.
func (a At) String() string {
	if !a.set {
		return ""
	}
	return fmt.Sprintf("%02d:%02d", a.minute/60, a.minute%60)
}

// Park is what the rule reads of a park: parks.open_status and parks.open_hours.
type Park struct {
	Status string // open, shared or closed ("" is open)
	Hours  string
}

// Gate is what the rule reads of a gate: park_entrances.status and open_hours.
type Gate struct {
	Status string // open or closed ("" is open)
	Hours  string
}

// hours parses stored hours; text the writers would have refused (loaded by plain SQL)
// counts as never open, so that bad data narrows the reach rather than widens it.
func hours(s string) Hours {
	h, err := Parse(s)
	if err != nil {
		return Hours{set: true, closed: true}
	}
	return h
}

// ParkOpen says whether the park can be entered at a: its status is not closed and its
// hours are open at a (at any time of the day for AnyTime). It is the rule for a park
// without recorded gates, whose access points are derived from the network.
func ParkOpen(p Park, a At) bool {
	if strings.EqualFold(p.Status, "closed") {
		return false
	}
	h := hours(p.Hours)
	if a.set {
		return h.OpenAt(a.minute)
	}
	return len(h.Spans()) > 0
}

// GateUsable says whether gate g of park p is an access point at a: the park can be
// entered (ParkOpen), the gate is not closed, and the gate's and the park's hours are both
// open at a (for AnyTime: at some common time of the day).
func GateUsable(p Park, g Gate, a At) bool {
	if !ParkOpen(p, a) || strings.EqualFold(g.Status, GateClosed) {
		return false
	}
	gh, ph := hours(g.Hours), hours(p.Hours)
	if a.set {
		return gh.OpenAt(a.minute) && ph.OpenAt(a.minute)
	}
	return overlap(gh, ph)
}
