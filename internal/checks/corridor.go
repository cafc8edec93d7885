package checks

import (
	"context"
	"math"
	"sort"

	"github.com/twpayne/go-geos"

	"github.com/cityreach/cityreach/internal/edition"
)

// CorridorReport is the ecological-corridor check of a city (standards §4, 城市生态廊道达标率).
//
// Share = CompliantLength / RequiredLength, where the required length of a corridor is the
// length of its centreline plus the gaps between its pieces (the corridor should be
// continuous there), and the compliant length is the part of the centreline whose clear
// width is at least MinWidth. Lengths are metres along the centreline, widths metres
// across it.
type CorridorReport struct {
	City City `json:"city"`
	// AsOf says which past state of the data was asked for; nil for the current data.
	AsOf            *edition.AsOf    `json:"as_of,omitempty"`
	MinWidth        float64          `json:"min_width_m"`
	Method          string           `json:"method"`
	RequiredLength  float64          `json:"required_length_m"`
	CompliantLength float64          `json:"compliant_length_m"`
	Share           float64          `json:"compliance_share"`
	Corridors       []CorridorResult `json:"corridors"`
}

// CorridorResult is one corridor.
type CorridorResult struct {
	ID              int64   `json:"id"`
	Name            string  `json:"name"`
	Kind            string  `json:"kind"`
	DesignWidth     float64 `json:"design_width_m"`
	Pieces          int     `json:"pieces"`
	Length          float64 `json:"length_m"`          // centreline length, all pieces
	RequiredLength  float64 `json:"required_length_m"` // Length + breaks
	CompliantLength float64 `json:"compliant_length_m"`
	NarrowLength    float64 `json:"narrow_length_m"` // Length − CompliantLength
	Share           float64 `json:"compliance_share"`
	MinWidth        float64 `json:"min_width_m"`
	Continuous      bool    `json:"continuous"`
	// Compliant: continuous and at least MinWidth everywhere.
	Compliant bool `json:"compliant"`
	// ErodedPieces is the number of pieces left after eroding the corridor by MinWidth/2
	// (ST_Buffer(geom_m, −50) for 100 m): 1 when the standard's erosion test passes, 0
	// when nothing survives. It is an inscribed-disc measure and is reported beside the
	// cross-section widths as a cross-check.
	ErodedPieces int                   `json:"eroded_pieces"`
	Narrow       []NarrowPlace         `json:"narrow_places"`
	Breaks       []Break               `json:"breaks"`
	Encroachment CorridorEncroachments `json:"encroachment"`

	centrelines []*geos.Geom
	minChord    *geos.Geom
}

// NarrowPlace is a stretch of centreline where the clear width is below MinWidth. From and
// To are chainages (metres along the piece's centreline), Width the narrowest width in it.
type NarrowPlace struct {
	Piece  int     `json:"piece"`
	From   float64 `json:"from_m"`
	To     float64 `json:"to_m"`
	Length float64 `json:"length_m"`
	Width  float64 `json:"width_m"`

	stretch, chord *geos.Geom
}

// Break is a gap between two pieces of one corridor: the shortest line between them.
type Break struct {
	Pieces [2]int  `json:"pieces"`
	Length float64 `json:"length_m"`

	line *geos.Geom
}

// CorridorEncroachments lists what lies inside a corridor.
type CorridorEncroachments struct {
	ResidentialArea float64              `json:"residential_area_m2"`
	Residential     []AreaHit            `json:"residential"`
	Facilities      []FacilityHit        `json:"facilities"`
	Boundaries      []BoundaryOverlapHit `json:"growth_boundaries"`
}

// AreaHit is a feature overlapping a corridor with the area of the overlap.
type AreaHit struct {
	ID   int64   `json:"id"`
	Area float64 `json:"area_m2"`
}

// FacilityHit is a facility inside a corridor.
type FacilityHit struct {
	ID       int64  `json:"id"`
	Category string `json:"category"`
	Name     string `json:"name"`
}

// BoundaryOverlapHit is a growth-boundary edition overlapping a corridor.
type BoundaryOverlapHit struct {
	Edition string  `json:"edition"`
	Area    float64 `json:"area_m2"`
}

// CorridorsNeed is what CheckCorridors reads.
const CorridorsNeed = NeedCorridors | NeedResidential | NeedFacilities | NeedBoundaries

// CheckCorridors measures every corridor of l. It returns ctx.Err() if ctx ends first.
func CheckCorridors(ctx context.Context, l *Layers, cfg CorridorConfig) (*CorridorReport, error) {
	rep := &CorridorReport{City: l.City, MinWidth: cfg.MinWidth, Method: "cross-sections on the chordal-axis centreline", Corridors: []CorridorResult{}}
	for _, c := range l.Corridors {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r := measureCorridor(c, cfg)
		r.Encroachment = corridorEncroachments(c.Geom, l)
		rep.RequiredLength += r.RequiredLength
		rep.CompliantLength += r.CompliantLength
		rep.Corridors = append(rep.Corridors, r)
	}
	rep.Share = ratio(rep.CompliantLength, rep.RequiredLength)
	return rep, nil
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

// measureCorridor measures widths, breaks and erosion of one corridor.
func measureCorridor(c Corridor, cfg CorridorConfig) CorridorResult {
	r := CorridorResult{ID: c.ID, Name: c.Name, Kind: c.Kind, DesignWidth: c.DesignWidth, MinWidth: math.Inf(1), Narrow: []NarrowPlace{}, Breaks: []Break{}}
	merged := c.Geom.UnaryUnion() // touching parts are one piece
	var pieces []*geos.Geom
	forEachPolygon(merged, func(p *geos.Geom) { pieces = append(pieces, p) })
	r.Pieces = len(pieces)
	for i, p := range pieces {
		m := measurePiece(p, cfg)
		r.Length += m.length
		r.CompliantLength += m.compliant
		if m.minWidth < r.MinWidth {
			r.MinWidth = m.minWidth
			r.minChord = m.minChord
		}
		for _, n := range m.narrow {
			n.Piece = i
			r.Narrow = append(r.Narrow, n)
		}
		r.centrelines = append(r.centrelines, geos.NewLineString(coordsOf(m.line.pts)))
	}
	if math.IsInf(r.MinWidth, 1) {
		r.MinWidth = 0
	}
	r.Breaks = breaksBetween(pieces)
	r.RequiredLength = r.Length
	for _, b := range r.Breaks {
		r.RequiredLength += b.Length
	}
	r.NarrowLength = r.Length - r.CompliantLength
	r.Share = ratio(r.CompliantLength, r.RequiredLength)
	r.Continuous = len(r.Breaks) == 0
	r.Compliant = r.Continuous && len(r.Narrow) == 0
	eroded := merged.Buffer(-cfg.MinWidth/2, 8)
	forEachPolygon(eroded, func(*geos.Geom) { r.ErodedPieces++ })
	return r
}

type pieceMeasure struct {
	line      polyline
	length    float64
	compliant float64
	minWidth  float64
	minChord  *geos.Geom
	narrow    []NarrowPlace
}

// measurePiece stations the centreline of one polygon every StationStep metres (the step
// is shortened so that the stations divide the length evenly), takes the clear width of
// the cross-section perpendicular to the centreline at the middle of each interval, and
// locates every change between "≥ MinWidth" and "< MinWidth" by bisection to 1 cm. The
// width at a point is exact for the polygon; a narrowing shorter than one step can be
// missed, so the step bounds the resolution (5 m by default).
func measurePiece(p *geos.Geom, cfg CorridorConfig) pieceMeasure {
	o := outlineOf(p)
	line := centreline(p, o, cfg.SkeletonSpacing)
	L := line.length()
	m := pieceMeasure{line: line, length: L, minWidth: math.Inf(1)}
	if L == 0 {
		m.minWidth = 0
		return m
	}
	width := func(s float64) (float64, xy, xy) {
		c := line.at(s)
		t := line.tangent(s, cfg.TangentWindow)
		n := xy{-t.Y, t.X}
		lo, hi, ok := o.chord(c, n)
		if !ok {
			return 0, c, c
		}
		return hi - lo, c.add(n.scale(lo)), c.add(n.scale(hi))
	}
	// End zones: within half a width of either end the cross-section can run into the
	// end face of the corridor rather than across it, unless the centreline meets that face
	// at exactly a right angle. There the width is the width at the zone's inner edge. The
	// zone grows from the end until it is half the width measured just beyond it, so a
	// genuinely tapering end (a narrow width at its tip) keeps a short zone.
	zone := func(at func(z float64) float64) float64 {
		z := 0.0
		for i := 0; i < 5; i++ {
			z = math.Min(L/2, at(z+1)/2)
		}
		return z
	}
	raw := func(s float64) float64 { x, _, _ := width(s); return x }
	zA := zone(func(z float64) float64 { return raw(z) })
	zB := L - zone(func(z float64) float64 { return raw(L - z) })
	clamp := func(s float64) float64 { return math.Min(math.Max(s, zA), math.Max(zA, zB)) }
	w := func(s float64) float64 { return raw(clamp(s)) }
	good := func(s float64) bool { return w(s) >= cfg.MinWidth }
	// crossing finds the chainage between a and b (good(a) ≠ good(b)) where goodness flips.
	crossing := func(a, b float64) float64 {
		ga := good(a)
		for b-a > 0.01 {
			mid := (a + b) / 2
			if good(mid) == ga {
				a = mid
			} else {
				b = mid
			}
		}
		return (a + b) / 2
	}
	n := int(math.Ceil(L / cfg.StationStep))
	d := L / float64(n)
	mids := make([]float64, n)
	ws := make([]float64, n)
	minI := 0
	for i := range mids {
		mids[i] = (float64(i) + 0.5) * d
		ws[i] = w(mids[i])
		if ws[i] < ws[minI] {
			minI = i
		}
	}
	refine := func(i int, lo, hi float64) (float64, float64) {
		a, b := math.Max(lo, mids[i]-d), math.Min(hi, mids[i]+d)
		// Golden-section search for the narrowest cross-section near station i.
		const phi = 0.6180339887498949
		x1, x2 := b-phi*(b-a), a+phi*(b-a)
		f1, f2 := w(x1), w(x2)
		for b-a > 0.01 {
			if f1 < f2 {
				b, x2, f2 = x2, x1, f1
				x1 = b - phi*(b-a)
				f1 = w(x1)
			} else {
				a, x1, f1 = x1, x2, f2
				x2 = a + phi*(b-a)
				f2 = w(x2)
			}
		}
		if ws[i] <= math.Min(f1, f2) {
			return mids[i], ws[i]
		}
		if f1 < f2 {
			return x1, f1
		}
		return x2, f2
	}
	chordAt := func(s float64) *geos.Geom {
		_, a, b := width(clamp(s))
		return geos.NewLineString([][]float64{a.coords(), b.coords()})
	}
	s, wmin := refine(minI, 0, L)
	m.minWidth, m.minChord = wmin, chordAt(s)

	m.compliant = L
	for i := 0; i < n; {
		if ws[i] >= cfg.MinWidth {
			i++
			continue
		}
		j := i
		for j+1 < n && ws[j+1] < cfg.MinWidth {
			j++
		}
		from, to := 0.0, L
		if i > 0 {
			from = crossing(mids[i-1], mids[i])
		}
		if j < n-1 {
			to = crossing(mids[j], mids[j+1])
		}
		k := i
		for x := i; x <= j; x++ {
			if ws[x] < ws[k] {
				k = x
			}
		}
		at, nw := refine(k, from, to)
		m.compliant -= to - from
		m.narrow = append(m.narrow, NarrowPlace{
			From: from, To: to, Length: to - from, Width: nw,
			stretch: geos.NewLineString(coordsOf(line.sub(from, to))),
			chord:   chordAt(at),
		})
		i = j + 1
	}
	return m
}

// breaksBetween links the pieces of a corridor by a minimum spanning tree of their
// distances (Prim): each tree edge is a gap the corridor should close, located as the
// shortest line between the two pieces.
func breaksBetween(pieces []*geos.Geom) []Break {
	n := len(pieces)
	out := []Break{}
	if n < 2 {
		return out
	}
	in := make([]bool, n)
	in[0] = true
	for added := 1; added < n; added++ {
		bi, bj, bd := -1, -1, math.Inf(1)
		for i := 0; i < n; i++ {
			if !in[i] {
				continue
			}
			for j := 0; j < n; j++ {
				if in[j] {
					continue
				}
				if d := pieces[i].Distance(pieces[j]); d < bd {
					bi, bj, bd = i, j, d
				}
			}
		}
		in[bj] = true
		np := pieces[bi].NearestPoints(pieces[bj])
		a, b := min(bi, bj), max(bi, bj)
		out = append(out, Break{Pieces: [2]int{a, b}, Length: bd, line: geos.NewLineString(np)})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Pieces[0] < out[j].Pieces[0] || (out[i].Pieces[0] == out[j].Pieces[0] && out[i].Pieces[1] < out[j].Pieces[1])
	})
	return out
}

// corridorEncroachments finds residential land, facilities and growth-boundary editions
// inside the corridor, with the overlapping areas in m².
func corridorEncroachments(g *geos.Geom, l *Layers) CorridorEncroachments {
	e := CorridorEncroachments{Residential: []AreaHit{}, Facilities: []FacilityHit{}, Boundaries: []BoundaryOverlapHit{}}
	pg := g.Prepare()
	box := g.Bounds()
	for _, r := range l.Residential {
		if !box.Intersects(r.Geom.Bounds()) || !pg.Intersects(r.Geom) {
			continue
		}
		if a := g.Intersection(r.Geom).Area(); a > 0 {
			e.Residential = append(e.Residential, AreaHit{ID: r.ID, Area: a})
			e.ResidentialArea += a
		}
	}
	for _, f := range l.Facilities {
		if box.Intersects(f.Geom.Bounds()) && pg.Intersects(f.Geom) {
			e.Facilities = append(e.Facilities, FacilityHit{ID: f.ID, Category: f.Category, Name: f.Name})
		}
	}
	for _, b := range l.Boundaries {
		if !box.Intersects(b.Geom.Bounds()) || !pg.Intersects(b.Geom) {
			continue
		}
		if a := g.Intersection(b.Geom).Area(); a > 0 {
			e.Boundaries = append(e.Boundaries, BoundaryOverlapHit{Edition: b.Edition, Area: a})
		}
	}
	return e
}

// Features returns the corridor results as map features: the centreline of each corridor
// with its figures, each narrow stretch and the chord at its narrowest point, and each
// break.
func (r *CorridorReport) Features() []Feature {
	var out []Feature
	for _, c := range r.Corridors {
		for i, l := range c.centrelines {
			out = append(out, Feature{Geom: l, Props: map[string]any{"kind": "centreline", "corridor_id": c.ID, "corridor": c.Name, "piece": i, "min_width_m": round2(c.MinWidth), "compliance_share": round4(c.Share), "compliant": c.Compliant}})
		}
		for _, n := range c.Narrow {
			props := map[string]any{"corridor_id": c.ID, "corridor": c.Name, "piece": n.Piece, "from_m": round2(n.From), "to_m": round2(n.To), "length_m": round2(n.Length), "width_m": round2(n.Width)}
			out = append(out, Feature{Geom: n.stretch, Props: with(props, "kind", "narrow_stretch")})
			out = append(out, Feature{Geom: n.chord, Props: with(props, "kind", "narrowest_section")})
		}
		for _, b := range c.Breaks {
			out = append(out, Feature{Geom: b.line, Props: map[string]any{"kind": "break", "corridor_id": c.ID, "corridor": c.Name, "pieces": b.Pieces, "length_m": round2(b.Length)}})
		}
	}
	return out
}
