package scenario

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/network"
	"github.com/cityreach/cityreach/internal/openness"
)

// final is the state of each feature a scenario touches once every change applies, by
// layer and feature id (negative for added features); nil means deleted.
type final map[string]map[int64]*Change

func resolve(changes []Change) final {
	f := final{}
	for i := range changes {
		c := &changes[i]
		if f[c.Layer] == nil {
			f[c.Layer] = map[int64]*Change{}
		}
		if c.Op == OpDelete {
			f[c.Layer][c.FeatureID()] = nil
		} else {
			f[c.Layer][c.FeatureID()] = c
		}
	}
	return f
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func boolean(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func number(m map[string]any, k string) float64 {
	switch v := m[k].(type) {
	case json.Number:
		f, _ := v.Float64()
		return f
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return 0
}

func multiPolygon(g orb.Geometry) orb.MultiPolygon {
	switch t := g.(type) {
	case orb.MultiPolygon:
		return t
	case orb.Polygon:
		return orb.MultiPolygon{t}
	}
	return nil
}

// CoverageChanges overlays the scenario on the park-coverage inputs: every touched
// baseline park, parcel or edge is deleted and its final version (if any) added. A park
// modified without new entrances keeps its baseline entrances; an edge that is no longer
// walkable, or has no topology, leaves the walking network.
func CoverageChanges(base *coverage.Snapshot, changes []Change) coverage.Changes {
	f := resolve(changes)
	var ch coverage.Changes
	baseParks := map[int64]*coverage.Park{}
	for i := range base.Parks {
		baseParks[base.Parks[i].ID] = &base.Parks[i]
	}
	for id, c := range f["parks"] {
		if id > 0 {
			ch.DeleteParks = append(ch.DeleteParks, id)
		}
		if c == nil {
			continue
		}
		p := coverage.Park{ID: id, Name: str(c.Resolved, "name"), Class: str(c.Resolved, "park_class"),
			Pocket: boolean(c.Resolved, "pocket"), OpenStatus: str(c.Resolved, "open_status"),
			Historic: boolean(c.Resolved, "in_historic_district"), Geom: multiPolygon(c.GeomM), AreaM2: c.Measure,
			Hours: str(c.Resolved, "open_hours")}
		if p.OpenStatus == "" {
			p.OpenStatus = "open"
		}
		if c.HasEntrances {
			p.Entrances = c.EntrancesM // gates given with the park: open at every hour
		} else if bp := baseParks[id]; bp != nil {
			p.Entrances, p.Gates, p.GateIDs = bp.Entrances, bp.Gates, bp.GateIDs
		}
		ch.AddParks = append(ch.AddParks, p)
	}
	regate(base, f, &ch)
	for id, c := range f["residential_land"] {
		if id > 0 {
			ch.DeleteParcels = append(ch.DeleteParcels, id)
		}
		if c != nil {
			ch.AddParcels = append(ch.AddParcels, coverage.Parcel{ID: id, Geom: multiPolygon(c.GeomM), AreaM2: c.Measure, Population: number(c.Resolved, "population")})
		}
	}
	for id, c := range f["network_edges"] {
		if id > 0 {
			ch.DeleteEdges = append(ch.DeleteEdges, id)
		}
		if c == nil || !boolean(c.Resolved, "walkable") || c.Resolved["source"] == nil {
			continue
		}
		ls, ok := c.GeomM.(orb.LineString)
		if !ok {
			continue
		}
		ch.AddEdges = append(ch.AddEdges, network.Edge{ID: id, Source: int64(number(c.Resolved, "source")), Target: int64(number(c.Resolved, "target")),
			Length: c.Measure, Walkable: true, Geom: ls})
		if boolean(c.Resolved, "steps") {
			ch.Steps = append(ch.Steps, id)
		}
	}
	sortChanges(&ch)
	return ch
}

// regate applies the scenario's park_entrances changes to ch: every park a changed gate
// belongs to, before or after the change, is re-added (if ch does not already re-add it)
// with its gates less the changed ones plus their final versions (status, hours, point).
// Gates can only belong to baseline parks (park_entrances.park_id is a baseline id).
func regate(base *coverage.Snapshot, f final, ch *coverage.Changes) {
	gates := f["park_entrances"]
	if len(gates) == 0 {
		return
	}
	parkOf := map[int64]int64{} // baseline gate → park
	baseIdx := map[int64]int{}
	for i := range base.Parks {
		baseIdx[base.Parks[i].ID] = i
		for _, gid := range base.Parks[i].GateIDs {
			parkOf[gid] = base.Parks[i].ID
		}
	}
	touched := map[int64]bool{}
	for gid, c := range gates {
		if pid, ok := parkOf[gid]; ok && gid > 0 {
			touched[pid] = true
		}
		if c != nil {
			touched[int64(number(c.Resolved, "park_id"))] = true
		}
	}
	added := map[int64]int{}
	for i := range ch.AddParks {
		added[ch.AddParks[i].ID] = i
	}
	for pid := range touched {
		var p *coverage.Park
		if i, ok := added[pid]; ok {
			p = &ch.AddParks[i]
		} else if i, ok := baseIdx[pid]; ok {
			if _, deleted := f["parks"][pid]; deleted {
				continue // deleted by a parks change
			}
			cp := base.Parks[i]
			ch.DeleteParks = append(ch.DeleteParks, pid)
			ch.AddParks = append(ch.AddParks, cp)
			p = &ch.AddParks[len(ch.AddParks)-1]
		} else {
			continue
		}
		var pts []orb.Point
		var gs []openness.Gate
		var ids []int64
		for k := range p.Entrances {
			if k < len(p.GateIDs) && p.GateIDs[k] > 0 {
				if _, changed := gates[p.GateIDs[k]]; changed {
					continue
				}
			}
			pts, gs = append(pts, p.Entrances[k]), append(gs, gateAt(p.Gates, k))
			ids = append(ids, idAt(p.GateIDs, k))
		}
		for _, gid := range sortedIDs(gates) {
			c := gates[gid]
			if c == nil || int64(number(c.Resolved, "park_id")) != pid {
				continue
			}
			pt, ok := c.GeomM.(orb.Point)
			if !ok {
				continue
			}
			pts = append(pts, pt)
			gs = append(gs, openness.Gate{Status: orDefault(str(c.Resolved, "status"), openness.GateOpen), Hours: str(c.Resolved, "open_hours")})
			ids = append(ids, gid)
		}
		p.Entrances, p.Gates, p.GateIDs = pts, gs, ids
	}
}

func gateAt(gs []openness.Gate, k int) openness.Gate {
	if k < len(gs) {
		return gs[k]
	}
	return openness.Gate{Status: openness.GateOpen}
}

func idAt(ids []int64, k int) int64 {
	if k < len(ids) {
		return ids[k]
	}
	return 0
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// sortedIDs returns the keys of m, baseline ids ascending then added ones (-1, -2, …).
func sortedIDs(m map[int64]*Change) []int64 {
	out := make([]int64, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a > 0) != (b > 0) {
			return a > 0
		}
		if a > 0 {
			return a < b
		}
		return a > b
	})
	return out
}

// ChecksLayers returns base with the scenario's changes to corridors, growth-boundary
// editions, residential land, facilities and parks; base is not modified (slices are
// copied, unchanged geometries shared).
func ChecksLayers(base *checks.Layers, changes []Change) (*checks.Layers, error) {
	f := resolve(changes)
	out := *base
	geom := func(c *Change) (*geos.Geom, error) {
		b, err := wkb.Marshal(c.GeomM)
		if err != nil {
			return nil, err
		}
		return geos.NewGeomFromWKB(b)
	}
	var err error
	keep := func(layer string, id int64) bool { _, touched := f[layer][id]; return !touched }
	out.Corridors = nil
	for _, x := range base.Corridors {
		if keep("eco_corridors", x.ID) {
			out.Corridors = append(out.Corridors, x)
		}
	}
	out.Boundaries = nil
	for _, x := range base.Boundaries {
		if keep("growth_boundaries", x.ID) {
			out.Boundaries = append(out.Boundaries, x)
		}
	}
	out.Residential = nil
	for _, x := range base.Residential {
		if keep("residential_land", x.ID) {
			out.Residential = append(out.Residential, x)
		}
	}
	out.Facilities = nil
	for _, x := range base.Facilities {
		if keep("facilities", x.ID) {
			out.Facilities = append(out.Facilities, x)
		}
	}
	out.Parks = nil
	for _, x := range base.Parks {
		if keep("parks", x.ID) {
			out.Parks = append(out.Parks, x)
		}
	}
	for _, layer := range []string{"eco_corridors", "growth_boundaries", "residential_land", "facilities", "parks"} {
		for id, c := range f[layer] {
			if c == nil {
				continue
			}
			g, gerr := geom(c)
			if gerr != nil {
				return nil, fmt.Errorf("scenario change %d: %w", c.N, gerr)
			}
			r := c.Resolved
			switch layer {
			case "eco_corridors":
				out.Corridors = append(out.Corridors, checks.Corridor{ID: id, Name: str(r, "name"), Kind: str(r, "kind"), DesignWidth: number(r, "design_width_m"), Geom: g})
			case "growth_boundaries":
				b := checks.Boundary{ID: id, Edition: str(r, "edition"), Geom: g}
				if b.ApprovedOn, err = date(r, "approved_on"); err == nil {
					var vf *timeT
					if vf, err = date(r, "valid_from"); err == nil && vf != nil {
						b.ValidFrom = *vf
					}
					if err == nil {
						b.ValidTo, err = date(r, "valid_to")
					}
				}
				if err != nil {
					return nil, err
				}
				out.Boundaries = append(out.Boundaries, b)
			case "residential_land":
				out.Residential = append(out.Residential, checks.Residential{ID: id, Population: int(number(r, "population")), Households: int(number(r, "households")), Geom: g})
			case "facilities":
				x := checks.Facility{ID: id, Category: str(r, "category"), Name: str(r, "name"), Geom: g}
				if r["floor_area_m2"] != nil {
					v := number(r, "floor_area_m2")
					x.FloorArea = &v
				}
				out.Facilities = append(out.Facilities, x)
			case "parks":
				out.Parks = append(out.Parks, checks.Park{ID: id, Name: str(r, "name"), Class: str(r, "park_class"), OpenStatus: str(r, "open_status"), Area: c.Measure, Geom: g})
			}
		}
	}
	return &out, nil
}
