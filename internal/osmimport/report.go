package osmimport

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Note is one OSM object that was set aside or repaired, and why.
type Note struct {
	Ref    string `json:"ref"`  // "n12", "w34", "r56"
	What   string `json:"what"` // park, facility:<category>, residential, building, edge
	Reason string `json:"reason"`
}

// Report says what an OSM import wrote (or, for a dry run, would have written).
type Report struct {
	City        string             `json:"city"`
	CityID      int                `json:"city_id"`
	CityCreated bool               `json:"city_created"`
	MetricSRID  int                `json:"metric_srid"`
	DataSource  string             `json:"data_source"`
	DryRun      bool               `json:"dry_run"`
	Committed   bool               `json:"committed"`
	Nodes       int                `json:"nodes"`
	Ways        int                `json:"ways"`
	Relations   int                `json:"relations"` // multipolygon and boundary relations kept
	Replaced    map[string]int     `json:"replaced"`  // rows of an earlier OSM import removed, by layer
	NetworkWays int                `json:"network_ways"`
	Edges       int                `json:"edges"`
	Walkable    int                `json:"walkable_edges"`
	Barriers    int                `json:"barrier_edges"`
	EdgesByType map[string]int     `json:"edges_by_class"`
	ZeroLength  int                `json:"zero_length_pieces"`
	Parks       int                `json:"parks"`
	ParksByKind map[string]int     `json:"parks_by_kind"`  // leisure value (or place=square)
	ParkClasses map[string]int     `json:"parks_by_class"` // park_class
	Entrances   int                `json:"park_entrances"`
	Facilities  map[string]int     `json:"facilities"` // by category
	Residential int                `json:"residential_land"`
	Buildings   int                `json:"buildings"`
	Population  int                `json:"population"`
	Skipped     []Note             `json:"skipped"`
	Repaired    []Note             `json:"repaired"`
	StepSeconds map[string]float64 `json:"step_seconds"`
	Seconds     float64            `json:"seconds"`
	PerSecond   float64            `json:"features_per_second"` // rows written per second
}

func (r *Report) skip(ref, what, reason string) {
	r.Skipped = append(r.Skipped, Note{Ref: ref, What: what, Reason: reason})
}

// FacilityTotal is the number of facilities written.
func (r *Report) FacilityTotal() int {
	n := 0
	for _, v := range r.Facilities {
		n += v
	}
	return n
}

// Rows is the number of feature rows written.
func (r *Report) Rows() int {
	return r.Edges + r.Parks + r.Entrances + r.FacilityTotal() + r.Residential
}

// WriteText prints the report for a terminal.
func (r *Report) WriteText(w io.Writer) {
	outcome := "committed"
	if r.DryRun {
		outcome = "dry run, nothing written"
	} else if !r.Committed {
		outcome = "not committed"
	}
	fmt.Fprintf(w, "import osm into city %s (id %d, metric EPSG:%d%s): %s\n", r.City, r.CityID, r.MetricSRID,
		map[bool]string{true: ", created", false: ""}[r.CityCreated], outcome)
	fmt.Fprintf(w, "  read %d nodes, %d ways, %d relations; %.1f s, %.0f rows/s\n", r.Nodes, r.Ways, r.Relations, r.Seconds, r.PerSecond)
	if len(r.StepSeconds) > 0 {
		fmt.Fprintf(w, "  seconds by step: %v\n", r.StepSeconds)
	}
	if len(r.Replaced) > 0 {
		fmt.Fprintf(w, "  replaced earlier OSM rows: %s\n", counts(r.Replaced))
	}
	fmt.Fprintf(w, "  network: %d ways → %d edges (%d walkable, %d barriers; %d zero-length pieces dropped)\n",
		r.NetworkWays, r.Edges, r.Walkable, r.Barriers, r.ZeroLength)
	fmt.Fprintf(w, "    by class: %s\n", counts(r.EdgesByType))
	fmt.Fprintf(w, "  parks: %d (%s; classes %s), entrances %d\n", r.Parks, counts(r.ParksByKind), counts(r.ParkClasses), r.Entrances)
	fmt.Fprintf(w, "  facilities: %d (%s)\n", r.FacilityTotal(), counts(r.Facilities))
	fmt.Fprintf(w, "  residential land: %d polygons, population estimate %d from %d buildings\n", r.Residential, r.Population, r.Buildings)
	if len(r.Repaired) > 0 {
		fmt.Fprintf(w, "  repaired with ST_MakeValid: %d\n", len(r.Repaired))
		for _, n := range r.Repaired {
			fmt.Fprintf(w, "    %s %s: %s\n", n.What, n.Ref, n.Reason)
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "  set aside: %d\n", len(r.Skipped))
		for _, n := range r.Skipped {
			fmt.Fprintf(w, "    %s %s: %s\n", n.What, n.Ref, n.Reason)
		}
	}
}

func counts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
