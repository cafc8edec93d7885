package importer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
	"github.com/twpayne/go-geom/encoding/wkb"
	"github.com/twpayne/go-geom/encoding/wkbcommon"
)

// Bounds on one WKB geometry of an upload. They are checked on the structure of the bytes
// before anything is decoded, so a hostile blob is refused at the cost of reading its
// headers: it cannot make the decoder allocate more than a small multiple of its own size,
// nor recurse deeper than MaxWKBDepth.
const (
	// MaxWKBBytes bounds the encoded size of one geometry (64 MiB).
	MaxWKBBytes = 64 << 20
	// MaxWKBCoords bounds the coordinates of one geometry, all parts together, and any one
	// count (of points, rings, parts or members): 1 048 576, far beyond any park, parcel or
	// boundary a planner draws.
	MaxWKBCoords = 1 << 20
	// MaxWKBDepth bounds how deep multi-geometries and collections nest. go-geom's readers
	// recurse once per level and have no bound of their own: a 9 MB blob of collections
	// nested a million deep took 512 MiB of stack and 7 s, and a few tens of MB would
	// overflow the 1 GB goroutine stack, which ends the process rather than failing the
	// import.
	MaxWKBDepth = 32
)

// Flags of the geometry type in PostGIS's Extended WKB.
const (
	ewkbZ     = 0x80000000
	ewkbM     = 0x40000000
	ewkbSRID  = 0x20000000
	ewkbFlags = ewkbZ | ewkbM | ewkbSRID
)

// limitGeom sets go-geom's own cap on the elements of one level (a process-wide variable,
// unlimited by default) to MaxWKBCoords: a second line behind checkWKB, the same for every
// caller, set once.
var limitGeom = sync.OnceFunc(func() {
	for i := 1; i < len(wkbcommon.MaxGeometryElements); i++ {
		wkbcommon.MaxGeometryElements[i] = MaxWKBCoords
	}
})

// DecodeWKB decodes OGC (ISO) Well-Known Binary, or PostGIS's Extended WKB (Z, M and an
// embedded SRID, which is returned; 0 when absent), into a 2D orb geometry: Z and M values
// are read and dropped. The bytes must hold exactly one geometry within the bounds
// MaxWKBBytes, MaxWKBCoords and MaxWKBDepth. An empty point decodes to nil, and is left
// out of a multipoint or collection. go-geom decodes; this package only checks the
// structure first (checkWKB) and converts the result.
func DecodeWKB(b []byte) (orb.Geometry, int, error) {
	extended, err := checkWKB(b)
	if err != nil {
		return nil, 0, err
	}
	limitGeom()
	var g geom.T
	if extended {
		g, err = ewkb.Unmarshal(b)
	} else {
		g, err = wkb.Unmarshal(b, wkbcommon.WKBOptionEmptyPointHandling(wkbcommon.EmptyPointHandlingNaN))
	}
	if err != nil {
		return nil, 0, err
	}
	o, err := toOrb(g)
	if err != nil {
		return nil, 0, err
	}
	return o, g.SRID(), nil
}

var errWKBShort = errors.New("wkb: truncated input")

// checkWKB walks the headers and counts of b without decoding a coordinate and reports
// whether its type codes are PostGIS's extended ones. It refuses what DecodeWKB's bounds
// exclude, a count larger than the bytes that remain could hold, a byte-order mark other
// than 0 or 1, an unknown type, a geometry that mixes ISO and extended type codes, and
// bytes after the geometry.
func checkWKB(b []byte) (extended bool, err error) {
	if len(b) > MaxWKBBytes {
		return false, fmt.Errorf("wkb: the geometry takes %d bytes, more than the limit of %d", len(b), MaxWKBBytes)
	}
	s := wkbShape{b: b}
	if err := s.geometry(0); err != nil {
		return false, err
	}
	if s.off != len(b) {
		return false, fmt.Errorf("wkb: %d bytes after the geometry", len(b)-s.off)
	}
	if s.iso && s.ext {
		return false, errors.New("wkb: ISO and extended (EWKB) type codes mixed in one geometry")
	}
	return s.ext, nil
}

// wkbShape is the state of checkWKB's walk.
type wkbShape struct {
	b        []byte
	off      int
	coords   int
	ext, iso bool
}

// count reads an element count and checks it against MaxWKBCoords and that min bytes for
// each element remain.
func (s *wkbShape) count(bo binary.ByteOrder, min int) (int, error) {
	if s.off+4 > len(s.b) {
		return 0, errWKBShort
	}
	n := int64(bo.Uint32(s.b[s.off:]))
	s.off += 4
	if n > MaxWKBCoords {
		return 0, fmt.Errorf("wkb: count %d exceeds the limit of %d", n, MaxWKBCoords)
	}
	if n*int64(min) > int64(len(s.b)-s.off) {
		return 0, fmt.Errorf("wkb: count %d exceeds the %d bytes left", n, len(s.b)-s.off)
	}
	return int(n), nil
}

// skipCoords passes over n coordinates of dims values each.
func (s *wkbShape) skipCoords(n, dims int) error {
	if s.off+8*dims*n > len(s.b) {
		return errWKBShort
	}
	s.off += 8 * dims * n
	if s.coords += n; s.coords > MaxWKBCoords {
		return fmt.Errorf("wkb: the geometry has more than %d coordinates", MaxWKBCoords)
	}
	return nil
}

// header reads a byte-order mark and a type code (and an EWKB SRID) and returns the byte
// order, the base type (1 Point … 7 GeometryCollection) and the coordinate dimension.
func (s *wkbShape) header() (binary.ByteOrder, uint32, int, error) {
	if s.off+5 > len(s.b) {
		return nil, 0, 0, errWKBShort
	}
	var bo binary.ByteOrder
	switch s.b[s.off] {
	case 0:
		bo = binary.BigEndian
	case 1:
		bo = binary.LittleEndian
	default:
		return nil, 0, 0, fmt.Errorf("wkb: byte order %d is neither 0 nor 1", s.b[s.off])
	}
	t := bo.Uint32(s.b[s.off+1:])
	s.off += 5
	dims := 2
	if t&ewkbFlags != 0 {
		s.ext = true
		if t&ewkbZ != 0 {
			dims++
		}
		if t&ewkbM != 0 {
			dims++
		}
		if t&ewkbSRID != 0 {
			if s.off+4 > len(s.b) {
				return nil, 0, 0, errWKBShort
			}
			s.off += 4
		}
	}
	base := t &^ ewkbFlags
	switch base / 1000 {
	case 0:
	case 1, 2:
		s.iso = true
		dims++
	case 3:
		s.iso = true
		dims += 2
	}
	if base/1000 > 3 || dims > 4 || base%1000 < 1 || base%1000 > 7 {
		return nil, 0, 0, fmt.Errorf("wkb: unknown geometry type %d", t)
	}
	return bo, base % 1000, dims, nil
}

func (s *wkbShape) geometry(depth int) error {
	if depth > MaxWKBDepth {
		return fmt.Errorf("wkb: geometries nest more than %d deep", MaxWKBDepth)
	}
	bo, t, dims, err := s.header()
	if err != nil {
		return err
	}
	switch t {
	case 1:
		return s.skipCoords(1, dims)
	case 2:
		n, err := s.count(bo, 8*dims)
		if err != nil {
			return err
		}
		return s.skipCoords(n, dims)
	case 3:
		rings, err := s.count(bo, 4)
		if err != nil {
			return err
		}
		for range rings {
			n, err := s.count(bo, 8*dims)
			if err != nil {
				return err
			}
			if err := s.skipCoords(n, dims); err != nil {
				return err
			}
		}
		return nil
	default: // 4–7: multi-geometries and collections hold whole geometries, 9 bytes at least
		n, err := s.count(bo, 9)
		if err != nil {
			return err
		}
		for range n {
			if err := s.geometry(depth + 1); err != nil {
				return err
			}
		}
		return nil
	}
}

// toOrb converts a geometry decoded by go-geom to orb, keeping x and y. An empty point is
// nil, and is left out of multipoints and collections.
func toOrb(g geom.T) (orb.Geometry, error) {
	switch x := g.(type) {
	case *geom.Point:
		if x.Empty() {
			return nil, nil
		}
		return orb.Point{x.X(), x.Y()}, nil
	case *geom.LineString:
		return line(x.FlatCoords(), x.Stride()), nil
	case *geom.Polygon:
		return polygon(x.FlatCoords(), 0, x.Ends(), x.Stride()), nil
	case *geom.MultiPoint:
		mp := make(orb.MultiPoint, 0, x.NumPoints())
		flat, start := x.FlatCoords(), 0
		for _, end := range x.Ends() {
			if end > start { // equal ends mark an empty point
				mp = append(mp, orb.Point{flat[start], flat[start+1]})
			}
			start = end
		}
		return mp, nil
	case *geom.MultiLineString:
		ml := make(orb.MultiLineString, 0, x.NumLineStrings())
		flat, stride, start := x.FlatCoords(), x.Stride(), 0
		for _, end := range x.Ends() {
			ml = append(ml, line(flat[start:end], stride))
			start = end
		}
		return ml, nil
	case *geom.MultiPolygon:
		mp := make(orb.MultiPolygon, 0, x.NumPolygons())
		flat, stride, start := x.FlatCoords(), x.Stride(), 0
		for _, ends := range x.Endss() {
			mp = append(mp, polygon(flat, start, ends, stride))
			if len(ends) > 0 {
				start = ends[len(ends)-1]
			}
		}
		return mp, nil
	case *geom.GeometryCollection:
		col := make(orb.Collection, 0, x.NumGeoms())
		for _, sub := range x.Geoms() {
			o, err := toOrb(sub)
			if err != nil {
				return nil, err
			}
			if o != nil {
				col = append(col, o)
			}
		}
		return col, nil
	}
	return nil, fmt.Errorf("wkb: unsupported geometry %T", g)
}

// line takes x and y of each coordinate of flat.
func line(flat []float64, stride int) orb.LineString {
	ls := make(orb.LineString, len(flat)/stride)
	for i := range ls {
		ls[i] = orb.Point{flat[i*stride], flat[i*stride+1]}
	}
	return ls
}

// polygon takes the rings of flat that end at ends, the first beginning at start.
func polygon(flat []float64, start int, ends []int, stride int) orb.Polygon {
	p := make(orb.Polygon, len(ends))
	for i, end := range ends {
		p[i] = orb.Ring(line(flat[start:end], stride))
		start = end
	}
	return p
}
