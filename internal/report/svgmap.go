package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// mapW is the width of every map in SVG user units. Coordinates are written as integers,
// so one unit is the drawing resolution: at 2000 units over a 40 km city, 20 m.
const mapW = 2000.0

// svgFonts is the font-family of every SVG of the report: the page's (report.html.tmpl),
// whose first font has TrueType outlines so the PDF embeds a subset of it.
const svgFonts = "'WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif"

// resColor is the colour of residential land (居住用地) on every map.
const resColor = "#f1d98c"

// projection maps lon/lat to map units: equirectangular scaled by cos(latitude) at the centre
// of the extent, which over a city (tens of km) differs from a conformal projection by far less
// than a unit.
type projection struct {
	lon0, lat0, k, kx float64
	w, h              float64
	mPerUnit          float64
}

func newProjection(bb [4]float64) projection {
	minLon, minLat, maxLon, maxLat := bb[0], bb[1], bb[2], bb[3]
	if maxLon <= minLon || maxLat <= minLat { // no residential land: a nominal square
		maxLon, maxLat = minLon+0.01, minLat+0.01
	}
	// A margin of 3 % on each side.
	dx, dy := (maxLon-minLon)*0.03, (maxLat-minLat)*0.03
	minLon, maxLon, minLat, maxLat = minLon-dx, maxLon+dx, minLat-dy, maxLat+dy
	kx := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	k := mapW / ((maxLon - minLon) * kx)
	p := projection{lon0: minLon, lat0: maxLat, k: k, kx: kx, w: mapW}
	p.h = math.Ceil((maxLat - minLat) * k)
	p.mPerUnit = 111320.0 / k
	return p
}

func (p projection) xy(pt orb.Point) (int, int) {
	return int(math.Round((pt[0] - p.lon0) * p.kx * p.k)), int(math.Round((p.lat0 - pt[1]) * p.k))
}

// pathBuilder writes SVG path data with relative integer moves, skipping repeated points.
type pathBuilder struct {
	p projection
	b strings.Builder
}

func (pb *pathBuilder) ring(r []orb.Point, closed bool) {
	if len(r) < 2 {
		return
	}
	x0, y0 := pb.p.xy(r[0])
	fmt.Fprintf(&pb.b, "M%d %d", x0, y0)
	px, py := x0, y0
	n := 0
	for _, pt := range r[1:] {
		x, y := pb.p.xy(pt)
		if x == px && y == py {
			continue
		}
		if n == 0 {
			pb.b.WriteByte('l')
		} else if x-px >= 0 {
			pb.b.WriteByte(' ')
		}
		pb.b.WriteString(strconv.Itoa(x - px))
		if y-py >= 0 {
			pb.b.WriteByte(' ')
		}
		pb.b.WriteString(strconv.Itoa(y - py))
		px, py = x, y
		n++
	}
	if n == 0 { // collapsed to one unit: keep a dot so small gaps stay visible
		pb.b.WriteString("h1v1h-1")
	}
	if closed {
		pb.b.WriteByte('z')
	}
}

func (pb *pathBuilder) point(pt orb.Point, r float64) {
	x, y := pb.p.xy(pt)
	fmt.Fprintf(&pb.b, "M%s %da%s %s 0 1 0 %s 0a%s %s 0 1 0 %s 0", ff(float64(x)-r), y, ff(r), ff(r), ff(2*r), ff(r), ff(r), ff(-2*r))
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// geomKind sorts a geometry into the three ways a map draws it.
type geomKind int

const (
	kindArea geomKind = iota
	kindLine
	kindPoint
)

// add appends g's path data to the builder of its kind.
func add(bs *[3]*pathBuilder, g orb.Geometry, pr float64) {
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			bs[kindArea].ring(r, true)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			add(bs, p, pr)
		}
	case orb.LineString:
		bs[kindLine].ring(g, false)
	case orb.MultiLineString:
		for _, l := range g {
			bs[kindLine].ring(l, false)
		}
	case orb.Point:
		bs[kindPoint].point(g, pr)
	case orb.MultiPoint:
		for _, p := range g {
			bs[kindPoint].point(p, pr)
		}
	case orb.Collection:
		for _, x := range g {
			add(bs, x, pr)
		}
	case orb.Ring:
		bs[kindArea].ring(g, true)
	}
}

// frame is a rectangle in map units.
type frame struct{ x, y, w, h float64 }

func (f frame) intersects(g frame) bool {
	return f.x <= g.x+g.w && g.x <= f.x+f.w && f.y <= g.y+g.h && g.y <= f.y+f.h
}

func (f frame) union(g frame) frame {
	x0, y0 := math.Min(f.x, g.x), math.Min(f.y, g.y)
	x1, y1 := math.Max(f.x+f.w, g.x+g.w), math.Max(f.y+f.h, g.y+g.h)
	return frame{x0, y0, x1 - x0, y1 - y0}
}

// boundFrame is the frame of a lon/lat bound.
func (p projection) boundFrame(b orb.Bound) frame {
	x0, y0 := p.xy(orb.Point{b.Min[0], b.Max[1]})
	x1, y1 := p.xy(orb.Point{b.Max[0], b.Min[1]})
	return frame{float64(x0), float64(y0), float64(x1 - x0), float64(y1 - y0)}
}

// layerSVG draws the features of fc that meet view, grouping them by colour so each
// colour is one path per kind. k scales strokes and markers (1 on the city map; less on a
// map zoomed in, so lines keep their printed width).
func layerSVG(p projection, l *Layer, fc *geojson.FeatureCollection, view frame, k float64) string {
	pr := l.Style.Point
	if pr == 0 {
		pr = 3
	}
	pr *= k * mapW / 1000 // styles are in page pixels of a 1000 px map
	byColor := map[string]*[3]*pathBuilder{}
	var colors []string
	for _, f := range fc.Features {
		if f.Geometry == nil || !p.boundFrame(f.Geometry.Bound()).intersects(view) {
			continue
		}
		c := l.Style.Fill
		if l.Color != nil {
			c = l.Color(f.Properties)
		}
		bs, ok := byColor[c]
		if !ok {
			bs = &[3]*pathBuilder{{p: p}, {p: p}, {p: p}}
			byColor[c] = bs
			colors = append(colors, c)
		}
		add(bs, f.Geometry, pr)
	}
	sort.Strings(colors)
	sw := l.Style.StrokeWidth * k * mapW / 1000
	var out strings.Builder
	op := l.Style.Opacity
	if op == 0 {
		op = 1
	}
	for _, c := range colors {
		bs := byColor[c]
		if d := bs[kindArea].b.String(); d != "" {
			stroke, w := l.Style.Stroke, sw
			if stroke == "" {
				stroke = c // outline in the fill colour keeps slivers visible
				if w == 0 {
					w = 1.2 * k
				}
			}
			fmt.Fprintf(&out, `<path d="%s" fill="%s" fill-opacity="%s" stroke="%s" stroke-width="%s" stroke-linejoin="round"/>`, d, c, ff(op), stroke, ff(w))
		}
		if d := bs[kindLine].b.String(); d != "" {
			w := sw
			if w == 0 {
				w = 2 * k
			}
			fmt.Fprintf(&out, `<path d="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linecap="round" stroke-linejoin="round"/>`, d, c, ff(w))
		}
		if d := bs[kindPoint].b.String(); d != "" {
			fmt.Fprintf(&out, `<path d="%s" fill="%s" stroke="#ffffff" stroke-width="%s"/>`, d, c, ff(0.8*k*mapW/1000))
		}
	}
	return out.String()
}

// basePaths draws the base map once; every map then refers to it with <use>.
func basePaths(p projection, b BaseMap) (string, error) {
	var out strings.Builder
	for _, x := range []struct {
		id   string
		data json.RawMessage
	}{{"base-res", b.Residential}, {"base-parks", b.Parks}, {"base-areas", b.Areas}} {
		if len(x.data) == 0 {
			continue
		}
		fc, err := geojson.UnmarshalFeatureCollection(x.data)
		if err != nil {
			return "", fmt.Errorf("base map %s: %w", x.id, err)
		}
		if x.id == "base-res" {
			uri, err := rasterPNG(p, fc, resColor)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&out, `<image id="%s" x="0" y="0" width="%d" height="%d" preserveAspectRatio="none" href="%s"/>`,
				x.id, int(math.Ceil(p.w/rasterCell))*rasterCell, int(math.Ceil(p.h/rasterCell))*rasterCell, uri)
			continue
		}
		fmt.Fprintf(&out, `<path id="%s" d="%s"/>`, x.id, windowPaths(p, fc, frame{0, 0, p.w, p.h}))
	}
	return out.String(), nil
}

// windowPaths is the path data of the polygons of fc whose extent meets view.
func windowPaths(p projection, fc *geojson.FeatureCollection, view frame) string {
	bs := [3]*pathBuilder{{p: p}, {p: p}, {p: p}}
	for _, f := range fc.Features {
		if f.Geometry != nil && p.boundFrame(f.Geometry.Bound()).intersects(view) {
			add(&bs, f.Geometry, 2)
		}
	}
	return bs[kindArea].b.String()
}

// barsSVG draws a horizontal bar chart against its target line.
func barsSVG(c BarChart) string {
	const labelW, barW, rowH, top = 210.0, 420.0, 20.0, 8.0
	h := top + rowH*float64(len(c.Bars)) + 26
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="bars" viewBox="0 0 %s %s" xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="%s">`, ff(labelW+barW+70), ff(h), svgFonts)
	max := c.Max
	if max <= 0 {
		max = 1
	}
	for _, v := range c.Bars {
		max = math.Max(max, v.Value)
	}
	for i, v := range c.Bars {
		y := top + rowH*float64(i)
		w := math.Max(0, v.Value) / max * barW
		color := "#2b83ba"
		if c.Target > 0 && v.Value < c.Target-1e-9 {
			color = "#e66101"
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, ff(labelW-6), ff(y+13), html.EscapeString(truncate(v.Label, 16)))
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#eef1f4"/>`, ff(labelW), ff(y+2), ff(barW), ff(rowH-5))
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, ff(labelW), ff(y+2), ff(math.Round(w*10)/10), ff(rowH-5), color)
		fmt.Fprintf(&b, `<text x="%s" y="%s">%s%s</text>`, ff(labelW+barW+6), ff(y+13), ff(v.Value), html.EscapeString(c.Unit))
	}
	if c.Target > 0 {
		x := labelW + c.Target/max*barW
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#d7191c" stroke-width="1.5" stroke-dasharray="4 3"/>`, ff(x), ff(top-4), ff(x), ff(h-22))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#d7191c">%s%s</text>`, ff(x), ff(h-8), ff(c.Target), html.EscapeString(c.Unit))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// targetsSVG draws each figure with a target as progress towards it.
func targetsSVG(figs []Figure, lang string) string {
	const labelW, barW, rowH = 250.0, 360.0, 34.0
	h := rowH*float64(len(figs)) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="targets" viewBox="0 0 %s %s" xmlns="http://www.w3.org/2000/svg" font-size="12" font-family="%s">`, ff(labelW+barW+150), ff(h), svgFonts)
	for i, f := range figs {
		y := 4 + rowH*float64(i)
		v := f.Value.Rounded()
		if f.Value.K == Int {
			v = float64(f.Value.I)
		}
		share := 0.0
		if f.Target > 0 {
			share = math.Min(1, math.Max(0, v/f.Target))
		}
		color := "#e66101"
		if f.Met {
			color = "#1a9641"
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, ff(labelW-8), ff(y+17), html.EscapeString(f.Label))
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="20" rx="3" fill="#eef1f4"/>`, ff(labelW), ff(y+4), ff(barW))
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="20" rx="3" fill="%s"/>`, ff(labelW), ff(y+4), ff(math.Round(share*barW*10)/10), color)
		st := T(lang, "not_met")
		if f.Met {
			st = T(lang, "met")
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s">%s / %s %s · %s</text>`, ff(labelW+barW+8), ff(y+19), f.Value.Text(lang), ff(f.Target), html.EscapeString(f.Unit), st)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// rasterCell is the cell size, in map units, of the raster the residential base is drawn
// as: 2 units is about 0.2 mm on an A4 page, below what the eye resolves. Tens of thousands
// of parcels become one small two-colour PNG that Chromium embeds once in the PDF however
// many maps show it, which keeps the PDF small and quick to print. The layers a map is
// about (gaps, checks) stay vectors.
const rasterCell = 2

// rasterPNG fills every polygon of fc on a grid of rasterCell units (a cell is filled when
// its centre is inside, even-odd over the polygon's rings) and returns it as a PNG data URI
// in colour c (#rrggbb) on transparency.
func rasterPNG(p projection, fc *geojson.FeatureCollection, c string) (string, error) {
	nx, ny := int(math.Ceil(p.w/rasterCell)), int(math.Ceil(p.h/rasterCell))
	grid := make([]bool, nx*ny)
	var xs []float64
	fill := func(poly orb.Polygon) {
		// Project once, keep the row range.
		rings := make([][][2]float64, len(poly))
		ymin, ymax := math.Inf(1), math.Inf(-1)
		for i, r := range poly {
			rings[i] = make([][2]float64, len(r))
			for j, pt := range r {
				x, y := (pt[0]-p.lon0)*p.kx*p.k, (p.lat0-pt[1])*p.k
				rings[i][j] = [2]float64{x, y}
				ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
			}
		}
		r0, r1 := max(0, int(math.Floor(ymin/rasterCell))), min(ny-1, int(math.Ceil(ymax/rasterCell)))
		for row := r0; row <= r1; row++ {
			yc := (float64(row) + 0.5) * rasterCell
			xs = xs[:0]
			for _, r := range rings {
				for j := 0; j+1 < len(r); j++ {
					a, b := r[j], r[j+1]
					if (a[1] <= yc) != (b[1] <= yc) {
						xs = append(xs, a[0]+(yc-a[1])*(b[0]-a[0])/(b[1]-a[1]))
					}
				}
			}
			sort.Float64s(xs)
			for k := 0; k+1 < len(xs); k += 2 {
				c0 := max(0, int(math.Ceil(xs[k]/rasterCell-0.5)))
				c1 := min(nx-1, int(math.Floor(xs[k+1]/rasterCell-0.5)))
				for c := c0; c <= c1; c++ {
					grid[row*nx+c] = true
				}
			}
		}
	}
	for _, f := range fc.Features {
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			fill(g)
		case orb.MultiPolygon:
			for _, pg := range g {
				fill(pg)
			}
		}
	}
	var rgb [3]uint8
	if _, err := fmt.Sscanf(c, "#%02x%02x%02x", &rgb[0], &rgb[1], &rgb[2]); err != nil {
		return "", err
	}
	img := image.NewPaletted(image.Rect(0, 0, nx, ny), color.Palette{color.NRGBA{}, color.NRGBA{rgb[0], rgb[1], rgb[2], 255}})
	for row := 0; row < ny; row++ {
		for col := 0; col < nx; col++ {
			if grid[row*nx+col] {
				img.Pix[row*img.Stride+col] = 1
			}
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
