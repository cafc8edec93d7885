package report

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// mapper draws every map of a report on one projection, whose extent holds everything any
// map draws (residential land, the area outlines and every section's features), so no
// feature is cut at the edge of the city map. An area's map is a window on the same
// drawing, fitted to the area and to the features that touch it.
type mapper struct {
	p      projection
	defs   string // the base map, drawn once and referred to with <use> by the city maps
	areas  []mapArea
	layers map[*Layer]*geojson.FeatureCollection
	parks  *geojson.FeatureCollection // the base map's parks, drawn anew in each area's window
}

type mapArea struct {
	id    int64
	name  string
	f     frame // the area's extent in map units
	label [2]float64
	ok    bool // has a label point
}

func newMapper(r *Report) (*mapper, error) {
	m := &mapper{layers: map[*Layer]*geojson.FeatureCollection{}}
	bb := r.Base.BBox
	b := orb.Bound{Min: orb.Point{bb[0], bb[1]}, Max: orb.Point{bb[2], bb[3]}}
	empty := bb == [4]float64{}
	grow := func(g orb.Bound) {
		if empty {
			b, empty = g, false
			return
		}
		b = b.Union(g)
	}
	var areas *geojson.FeatureCollection
	if len(r.Base.Areas) > 0 {
		fc, err := geojson.UnmarshalFeatureCollection(r.Base.Areas)
		if err != nil {
			return nil, fmt.Errorf("base map areas: %w", err)
		}
		areas = fc
		for _, f := range fc.Features {
			if f.Geometry != nil {
				grow(f.Geometry.Bound())
			}
		}
	}
	for _, s := range r.Sections {
		for _, l := range s.Layers {
			fc, err := geojson.UnmarshalFeatureCollection(l.GeoJSON)
			if err != nil {
				return nil, fmt.Errorf("layer %s: %w", l.Name, err)
			}
			m.layers[l] = fc
			for _, f := range fc.Features {
				if f.Geometry != nil {
					grow(f.Geometry.Bound())
				}
			}
		}
	}
	m.p = newProjection([4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]})
	if len(r.Base.Parks) > 0 {
		fc, err := geojson.UnmarshalFeatureCollection(r.Base.Parks)
		if err != nil {
			return nil, fmt.Errorf("base map parks: %w", err)
		}
		m.parks = fc
	}
	defs, err := basePaths(m.p, r.Base)
	if err != nil {
		return nil, err
	}
	var d strings.Builder
	d.WriteString(defs)
	if areas != nil {
		for _, f := range areas.Features {
			if f.Geometry == nil {
				continue
			}
			a := mapArea{f: m.p.boundFrame(f.Geometry.Bound())}
			if id, ok := f.Properties["id"].(float64); ok {
				a.id = int64(id)
			}
			a.name, _ = f.Properties["name"].(string)
			if lp, ok := f.Properties["label"].(map[string]any); ok {
				if c, ok := lp["coordinates"].([]any); ok && len(c) == 2 {
					lon, _ := c[0].(float64)
					lat, _ := c[1].(float64)
					x, y := m.p.xy(orb.Point{lon, lat})
					a.label, a.ok = [2]float64{float64(x), float64(y)}, true
				}
			}
			bs := [3]*pathBuilder{{p: m.p}, {p: m.p}, {p: m.p}}
			add(&bs, f.Geometry, 2)
			fmt.Fprintf(&d, `<path id="area-%d" d="%s"/>`, a.id, bs[kindArea].b.String())
			m.areas = append(m.areas, a)
		}
	}
	m.defs = d.String()
	return m, nil
}

// legend lists what a section's map shows.
func (m *mapper) legend(s *Section, lang string) []LegendEntry {
	es := []LegendEntry{{T(lang, "legend_res"), resColor}, {T(lang, "legend_parks"), "#a6d96a"}}
	for _, l := range s.Layers {
		if len(l.Legend) == 0 {
			es = append(es, LegendEntry{l.Title, l.Style.Fill})
			continue
		}
		es = append(es, l.Legend...)
	}
	return es
}

// city draws the section's map of the whole city.
func (m *mapper) city(s *Section, lang string) (string, []LegendEntry, error) {
	return m.draw(s, frame{0, 0, m.p.w, m.p.h}, -1, lang), m.legend(s, lang), nil
}

// area draws the section's map of one area: the window is the area's extent grown to hold
// every feature of the section that touches it, with a margin, so none is cut.
func (m *mapper) area(s *Section, a mapArea, lang string) (string, []LegendEntry, error) {
	f := a.f
	for _, l := range s.Layers {
		for _, feat := range m.layers[l].Features {
			if feat.Geometry == nil {
				continue
			}
			if g := m.p.boundFrame(feat.Geometry.Bound()); g.intersects(a.f) {
				f = f.union(g)
			}
		}
	}
	// A margin of 6 %, and no narrower than 3:4 either way.
	mg := 0.06 * math.Max(f.w, f.h)
	f = frame{f.x - mg, f.y - mg, f.w + 2*mg, f.h + 2*mg}
	if f.h > f.w*4/3 {
		d := f.h*3/4 - f.w
		f = frame{f.x - d/2, f.y, f.w + d, f.h}
	} else if f.w > f.h*4/3 {
		d := f.w*3/4 - f.h
		f = frame{f.x, f.y - d/2, f.w, f.h + d}
	}
	return m.draw(s, f, a.id, lang), m.legend(s, lang), nil
}

// draw draws the window view of the section's map: base map, layers, area outlines and
// names, then below the window a strip with the scale bar and the north arrow, so neither
// covers a feature. focus is the area drawn in a heavier line (-1: none).
func (m *mapper) draw(s *Section, view frame, focus int64, lang string) string {
	k := view.w / mapW // map units per page pixel of the city map
	strip := 0.09 * view.w
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="map" viewBox="%s %s %s %s" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="%s" font-family="%s">`,
		ff(view.x), ff(view.y), ff(view.w), ff(view.h+strip), html.EscapeString(s.Title), svgFonts)
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#f4f6f8"/>`, ff(view.x), ff(view.y), ff(view.w), ff(view.h))
	b.WriteString(`<use href="#base-res"/>`)
	// The city map refers to the parks and outlines drawn once in defs; an area's map draws
	// only those in its window: the PDF repeats a <use> in full on every map, clipped or not.
	city := focus < 0
	parkStyle := fmt.Sprintf(`fill="#a6d96a" stroke="#77b043" stroke-width="%s"`, ff(0.8*k))
	if city || m.parks == nil {
		fmt.Fprintf(&b, `<use href="#base-parks" %s/>`, parkStyle)
	} else if d := windowPaths(m.p, m.parks, view); d != "" {
		fmt.Fprintf(&b, `<path d="%s" %s/>`, d, parkStyle)
	}
	for _, l := range s.Layers {
		b.WriteString(layerSVG(m.p, l, m.layers[l], view, k))
	}
	// Area outlines solid: Skia prints a dashed stroke as one filled path per dash, which
	// made the outlines most of the PDF's bytes.
	areaStyle := fmt.Sprintf(`fill="none" stroke="#55606e" stroke-width="%s"`, ff(1.6*k))
	if city {
		fmt.Fprintf(&b, `<use href="#base-areas" %s/>`, areaStyle)
	} else {
		for _, a := range m.areas {
			if a.f.intersects(view) {
				fmt.Fprintf(&b, `<use href="#area-%d" %s/>`, a.id, areaStyle)
			}
		}
		fmt.Fprintf(&b, `<use href="#area-%d" fill="none" stroke="#102a43" stroke-width="%s"/>`, focus, ff(4*k))
	}
	// Area names on a white plate, at a point inside each area. A plate rather than a
	// stroked halo: Skia prints stroked text as Type 3 glyph outlines.
	fs := 0.024 * view.w
	if city {
		fs = 0.02 * view.w
	}
	fmt.Fprintf(&b, `<g font-size="%s" text-anchor="middle">`, ff(fs))
	for _, a := range m.areas {
		if !a.ok || a.label[0] < view.x || a.label[0] > view.x+view.w || a.label[1] < view.y || a.label[1] > view.y+view.h {
			continue
		}
		fill := "#243b53"
		if !city && a.id != focus {
			fill = "#829ab1"
		}
		w, h := (float64(displayWidth(a.name))/2+0.5)*fs, 1.3*fs
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="%s" fill="#ffffff" fill-opacity="0.8"/>`,
			ff(math.Round(a.label[0]-w/2)), ff(math.Round(a.label[1]-h/2)), ff(math.Round(w)), ff(math.Round(h)), ff(math.Round(fs/4)))
		fmt.Fprintf(&b, `<text x="%s" y="%s" fill="%s">%s</text>`, ff(a.label[0]), ff(a.label[1]+fs/3), fill, html.EscapeString(a.name))
	}
	b.WriteString(`</g>`)
	// The strip: frame line, scale bar (left) and north arrow (right).
	y0 := view.y + view.h
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#ffffff"/>`, ff(view.x), ff(y0), ff(view.w), ff(strip))
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#9aa5b1" stroke-width="%s"/>`, ff(view.x), ff(view.y), ff(view.w), ff(view.h), ff(1.2*k))
	target := view.w / 4 * m.p.mPerUnit
	nice := math.Pow(10, math.Floor(math.Log10(target)))
	for _, f := range []float64{5, 2, 1} {
		if f*nice <= target {
			nice *= f
			break
		}
	}
	units := nice / m.p.mPerUnit
	label := fmt.Sprintf("%s m", ff(nice))
	if nice >= 1000 {
		label = fmt.Sprintf("%s km", ff(nice/1000))
	}
	sx, sy, tick := view.x+0.03*view.w, y0+strip*0.7, strip*0.18
	sfs := strip * 0.32
	fmt.Fprintf(&b, `<path d="M%s %sv%sh%sv%s" fill="none" stroke="#222" stroke-width="%s"/>`, ff(sx), ff(sy-tick), ff(tick), ff(units), ff(-tick), ff(2.5*k))
	fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="%s">0</text>`, ff(sx), ff(sy-tick-sfs*0.3), ff(sfs))
	fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="%s" text-anchor="middle">%s</text>`, ff(sx+units), ff(sy-tick-sfs*0.3), ff(sfs), label)
	ax, ah := view.x+view.w-0.05*view.w, strip*0.55
	fmt.Fprintf(&b, `<g transform="translate(%s %s)"><path d="M0 %sl%s %sl%s %sz" fill="#222"/><text x="%s" y="%s" font-size="%s">%s</text></g>`,
		ff(ax), ff(y0+strip*0.2), ff(ah), ff(ah*0.32), ff(-ah), ff(ah*0.32), ff(ah), ff(-ah*1.3), ff(ah*0.85), ff(sfs), T(lang, "north"))
	b.WriteString(`</svg>`)
	return b.String()
}
