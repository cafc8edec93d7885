package walk

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/network"
)

// Walking-time conventions (standards.md §2). The standard fixes 5/10/15 minutes as
// 300/500/1000 m rather than deriving them from a speed (1000 m in 15 minutes is
// 1.11 m/s, 300 m in 5 minutes only 1.0 m/s), so those three use the standard's
// distances unless a speed is given; any other minute value is minutes × 60 × speed.
const (
	DefaultSpeed     = 1.1 // m/s
	MaxCutoffM       = 5000.0
	MaxCutoffs       = 8
	BasisStandard    = "standard" // GB 50180 / standards.md §2 tier distance
	BasisSpeed       = "speed"    // minutes × 60 × speed
	BasisDistance    = "distance" // given in metres
	defaultMinutesCS = "5,10,15"
)

// StandardTiers maps the standard's walking times in minutes to metres.
var StandardTiers = map[float64]float64{5: 300, 10: 500, 15: 1000}

// Cutoff is one isochrone cut-off.
type Cutoff struct {
	Minutes   float64 `json:"minutes,omitempty"`
	DistanceM float64 `json:"distance_m"`
	Basis     string  `json:"basis"`
}

// ParseCutoffs turns the minutes=, distances= and speed= query values into cut-offs,
// sorted by distance. distances (metres) overrides minutes; without either the
// standard's 5/10/15 minutes are used. speed "" keeps the standard's tier distances for
// 5, 10 and 15 minutes and uses DefaultSpeed for other minutes; an explicit speed
// converts every minute value.
func ParseCutoffs(minutes, distances, speed string) ([]Cutoff, error) {
	var out []Cutoff
	if strings.TrimSpace(distances) != "" {
		ds, err := parseList("distances", distances)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			out = append(out, Cutoff{DistanceM: d, Basis: BasisDistance})
		}
	} else {
		if strings.TrimSpace(minutes) == "" {
			minutes = defaultMinutesCS
		}
		ms, err := parseList("minutes", minutes)
		if err != nil {
			return nil, err
		}
		v, explicit := DefaultSpeed, strings.TrimSpace(speed) != ""
		if explicit {
			if v, err = strconv.ParseFloat(speed, 64); err != nil || !(v >= 0.1 && v <= 10) {
				return nil, fault.Invalid(fmt.Sprintf("speed must be in metres per second from 0.1 to 10, not %q", speed)).With("parameter", "speed")
			}
		}
		for _, m := range ms {
			if d, ok := StandardTiers[m]; ok && !explicit {
				out = append(out, Cutoff{Minutes: m, DistanceM: d, Basis: BasisStandard})
			} else {
				out = append(out, Cutoff{Minutes: m, DistanceM: m * 60 * v, Basis: BasisSpeed})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].DistanceM < out[j].DistanceM })
	for _, c := range out {
		if c.DistanceM > MaxCutoffM {
			return nil, fault.Invalid(fmt.Sprintf("a cut-off of %.0f m exceeds the limit of %.0f m", c.DistanceM, MaxCutoffM)).With("parameter", "minutes")
		}
	}
	return out, nil
}

func parseList(name, s string) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) > MaxCutoffs {
		return nil, fault.Invalid(fmt.Sprintf("at most %d %s", MaxCutoffs, name)).With("parameter", name)
	}
	out := make([]float64, 0, len(parts))
	for _, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, fault.Invalid(fmt.Sprintf("%s must be a comma-separated list of positive numbers, not %q", name, s)).With("parameter", name)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// IsochroneRequest asks for the walkable area around a longitude/latitude point.
type IsochroneRequest struct {
	City     string // slug; "" finds the city containing the point
	Lon, Lat float64
	Cutoffs  []Cutoff // from ParseCutoffs
	Segments bool     // include the reached edge pieces
	// CellSize and Tolerance set the polygon raster (0: network defaults).
	CellSize, Tolerance float64
	// Changes, when set, are a what-if scenario's: the isochrone walks the city's network
	// with them and lists the facilities they leave (scenario.Service.Isochrone).
	Changes *Changes
}

// IsochroneResult is the answer: a GeoJSON FeatureCollection (polygons largest cut-off
// first so smaller ones draw on top, then the origin, the reached pieces and the
// reached facilities), with the reached facilities also listed by category.
type IsochroneResult struct {
	Type       string                       `json:"type"`
	Features   []Feature                    `json:"features"`
	City       City                         `json:"city"`
	Cutoffs    []Cutoff                     `json:"cutoffs"`
	Origin     OriginInfo                   `json:"origin"`
	Polygons   PolygonInfo                  `json:"polygons"`
	Facilities map[string][]FacilityReached `json:"facilities"`
	Timing     map[string]float64           `json:"timing_ms"`
	Network    NetworkStats                 `json:"network"`
}

// Feature is a GeoJSON feature with a PostGIS-serialised geometry.
type Feature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

// OriginInfo describes how the origin was attached.
type OriginInfo struct {
	Lon, Lat       float64 `json:"-"`
	AccessM        float64 `json:"access_m"`
	EdgeID         int64   `json:"edge_id"`
	OffsetM        float64 `json:"offset_m"`
	ComponentNodes int     `json:"component_nodes"`
}

// PolygonInfo states how the polygons were drawn and what they guarantee.
type PolygonInfo struct {
	CellSizeM  float64 `json:"cell_size_m"`
	BufferM    float64 `json:"buffer_m"`
	ToleranceM float64 `json:"tolerance_m"`
	Guarantee  string  `json:"guarantee"`
}

// FacilityReached is a facility within the largest cut-off.
type FacilityReached struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	DistanceM float64 `json:"distance_m"`
}

// Isochrone computes the isochrone polygons, and optionally the reached edge pieces, for
// one origin. Distances include the origin's access leg; facility distances also include
// the facility's access leg.
func (s *Service) Isochrone(ctx context.Context, req IsochroneRequest) (*IsochroneResult, error) {
	if !(req.Lon >= -180 && req.Lon <= 180 && req.Lat >= -90 && req.Lat <= 90) {
		return nil, fault.Invalid("lon and lat must be a longitude in [-180, 180] and a latitude in [-90, 90]").With("parameter", "lon")
	}
	if len(req.Cutoffs) == 0 {
		return nil, fault.Invalid("no cut-off").With("parameter", "minutes")
	}
	timing := map[string]float64{}
	t0 := time.Now()
	var city City
	var p orb.Point
	var err error
	if req.City == "" {
		if city, err = s.Store.CityAt(ctx, req.Lon, req.Lat); err == nil {
			p, err = s.Store.ToMetric(ctx, city.MetricSRID, req.Lon, req.Lat)
		}
	} else {
		city, p, err = s.Store.CityPoint(ctx, req.City, req.Lon, req.Lat)
	}
	if err != nil {
		return nil, err
	}
	c := s.city(city.ID)
	c.mu.Lock()
	cur := s.current(ctx, city.ID, c)
	n, err := s.network(ctx, city, c, cur)
	var fac *attachedFacilities
	if err == nil {
		fac, err = s.facilities(ctx, city, c, n, cur)
	}
	c.mu.Unlock()
	if err == nil && req.Changes != nil {
		n, fac, err = s.withChanges(n, fac.in, *req.Changes)
	}
	if err != nil {
		return nil, err
	}
	timing["load"] = since(t0)
	t1 := time.Now()
	at, ok := n.Index.Attach(p, s.maxSnap())
	if !ok {
		return nil, fault.Unprocessable(fmt.Sprintf("no walkable edge within %.0f m of the point", s.maxSnap())).With("parameter", "lon")
	}
	cut := make([]float64, len(req.Cutoffs))
	for i, c := range req.Cutoffs {
		cut[i] = c.DistanceM
	}
	maxCut := cut[len(cut)-1]
	opt := network.IsochroneOptions{CellSize: req.CellSize, Tolerance: req.Tolerance}
	se := n.searcher()
	defer n.release(se)
	if err := se.Run([]network.Source{network.AtPoint(at)}, maxCut); err != nil {
		return nil, err
	}
	isos, err := se.Isochrones(cut, opt)
	if err != nil {
		return nil, fault.Invalid(err.Error())
	}
	var segs []network.Segment
	if req.Segments {
		if segs, err = se.Segments(maxCut, nil); err != nil {
			return nil, err
		}
	}
	reached := map[string][]FacilityReached{}
	var facPts []Facility
	var facDist []float64
	parkAt := map[int64]int{} // a park is listed once, at its nearest access point
	for i, f := range fac.in.Facilities {
		if !fac.ok[i] {
			continue
		}
		d, _ := se.DistanceTo(fac.at[i])
		if d > maxCut {
			continue
		}
		if f.Park {
			if j, ok := parkAt[f.ID]; ok {
				if d < facDist[j] {
					facPts[j], facDist[j] = f, d
				}
				continue
			}
			parkAt[f.ID] = len(facPts)
		}
		facPts = append(facPts, f)
		facDist = append(facDist, d)
	}
	for i, f := range facPts {
		reached[f.Category] = append(reached[f.Category], FacilityReached{ID: f.ID, Name: f.Name, DistanceM: facDist[i]})
	}
	for _, fs := range reached {
		sort.Slice(fs, func(i, j int) bool {
			return fs[i].DistanceM < fs[j].DistanceM || (fs[i].DistanceM == fs[j].DistanceM && fs[i].ID < fs[j].ID)
		})
	}
	timing["search"] = since(t1)

	// Reproject everything in one query: polygons, the snapped origin, the pieces.
	t2 := time.Now()
	geoms := make([]orb.Geometry, 0, len(isos)+1+len(segs))
	for i := len(isos) - 1; i >= 0; i-- {
		geoms = append(geoms, isos[i].Polygon)
	}
	geoms = append(geoms, at.Point)
	for _, sg := range segs {
		geoms = append(geoms, sg.Geom)
	}
	gj, err := s.Store.ToLonLat(ctx, city.MetricSRID, geoms)
	if err != nil {
		return nil, err
	}
	timing["reproject"] = since(t2)

	cs, r := opt.CellSize, opt.Tolerance
	if cs == 0 {
		cs = network.DefaultCellSize
	}
	if r == 0 {
		r = network.DefaultTolerance
	}
	tol := r + cs*math.Sqrt2/2
	res := &IsochroneResult{
		Type: "FeatureCollection", City: city, Cutoffs: req.Cutoffs, Facilities: reached, Timing: timing, Network: n.Stats,
		Origin: OriginInfo{AccessM: at.Access, EdgeID: n.Graph.EdgeID(at.Edge), OffsetM: at.Offset, ComponentNodes: n.ComponentSize(at.Edge)},
		Polygons: PolygonInfo{CellSizeM: cs, BufferM: r, ToleranceM: tol, Guarantee: fmt.Sprintf(
			"a polygon never covers a point whose walking distance exceeds its cut-off by more than %.2f m, where a point's walking distance is the least network distance of any network point plus the straight line from it (the origin's access leg is included in the network distances); every network point within the cut-off, and every point within %.2f m of one, is covered", tol, r-cs*math.Sqrt2/2)},
	}
	k := 0
	for i := len(isos) - 1; i >= 0; i-- {
		c := req.Cutoffs[i]
		props := map[string]any{"kind": "isochrone", "distance_m": c.DistanceM, "basis": c.Basis, "area_m2": isos[i].Area}
		if c.Minutes > 0 {
			props["minutes"] = c.Minutes
		}
		res.Features = append(res.Features, Feature{Type: "Feature", Geometry: gj[k], Properties: props})
		k++
	}
	res.Features = append(res.Features, Feature{Type: "Feature", Geometry: gj[k], Properties: map[string]any{
		"kind": "origin", "access_m": at.Access, "edge_id": n.Graph.EdgeID(at.Edge), "offset_m": at.Offset}})
	k++
	for _, sg := range segs {
		res.Features = append(res.Features, Feature{Type: "Feature", Geometry: gj[k], Properties: map[string]any{
			"kind": "segment", "edge_id": n.Graph.EdgeID(sg.Edge), "from_m": sg.From, "to_m": sg.To,
			"dist_from_m": sg.DistFrom, "dist_to_m": sg.DistTo}})
		k++
	}
	for i, f := range facPts {
		ll, _ := json.Marshal(map[string]any{"type": "Point", "coordinates": []float64{f.LonLat[0], f.LonLat[1]}})
		res.Features = append(res.Features, Feature{Type: "Feature", Geometry: ll, Properties: map[string]any{
			"kind": "facility", "id": f.ID, "category": f.Category, "name": f.Name, "distance_m": facDist[i]}})
	}
	timing["total"] = since(t0)
	return res, nil
}
