package importer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// DecodeWKB decodes OGC (ISO) Well-Known Binary, including the EWKB flags PostGIS writes
// (Z, M and an embedded SRID, which is returned; 0 when absent), into a 2D orb geometry:
// Z and M values are read and dropped. Counts are checked against the bytes that remain,
// so a hostile input cannot make it allocate more than a small multiple of its own size,
// and collections nest at most 32 deep. An empty point (NaN coordinates) decodes to nil.
func DecodeWKB(b []byte) (orb.Geometry, int, error) {
	d := wkbDecoder{b: b}
	g, srid, err := d.geometry(0)
	if err != nil {
		return nil, 0, err
	}
	if d.off != len(b) {
		return nil, 0, fmt.Errorf("wkb: %d bytes after the geometry", len(b)-d.off)
	}
	return g, srid, nil
}

const maxWKBDepth = 32

var errWKBShort = errors.New("wkb: truncated input")

type wkbDecoder struct {
	b   []byte
	off int
	bo  binary.ByteOrder
}

func (d *wkbDecoder) u32() (uint32, error) {
	if d.off+4 > len(d.b) {
		return 0, errWKBShort
	}
	v := d.bo.Uint32(d.b[d.off:])
	d.off += 4
	return v, nil
}

func (d *wkbDecoder) f64() (float64, error) {
	if d.off+8 > len(d.b) {
		return 0, errWKBShort
	}
	v := math.Float64frombits(d.bo.Uint64(d.b[d.off:]))
	d.off += 8
	return v, nil
}

// count reads an element count and checks that at least min bytes per element remain.
func (d *wkbDecoder) count(min int) (int, error) {
	n, err := d.u32()
	if err != nil {
		return 0, err
	}
	if int64(n)*int64(min) > int64(len(d.b)-d.off) {
		return 0, fmt.Errorf("wkb: count %d exceeds the %d bytes left", n, len(d.b)-d.off)
	}
	return int(n), nil
}

func (d *wkbDecoder) point(dims int) (orb.Point, error) {
	var p orb.Point
	for i := 0; i < dims; i++ {
		v, err := d.f64()
		if err != nil {
			return p, err
		}
		if i < 2 {
			p[i] = v
		}
	}
	return p, nil
}

func (d *wkbDecoder) points(dims int) ([]orb.Point, error) {
	n, err := d.count(8 * dims)
	if err != nil {
		return nil, err
	}
	ps := make([]orb.Point, n)
	for i := range ps {
		if ps[i], err = d.point(dims); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

func (d *wkbDecoder) rings(dims int) (orb.Polygon, error) {
	n, err := d.count(4)
	if err != nil {
		return nil, err
	}
	poly := make(orb.Polygon, n)
	for i := range poly {
		ps, err := d.points(dims)
		if err != nil {
			return nil, err
		}
		poly[i] = orb.Ring(ps)
	}
	return poly, nil
}

func (d *wkbDecoder) geometry(depth int) (orb.Geometry, int, error) {
	if depth > maxWKBDepth {
		return nil, 0, errors.New("wkb: collections nest too deep")
	}
	if d.off >= len(d.b) {
		return nil, 0, errWKBShort
	}
	switch d.b[d.off] {
	case 0:
		d.bo = binary.BigEndian
	case 1:
		d.bo = binary.LittleEndian
	default:
		return nil, 0, fmt.Errorf("wkb: byte order %d is neither 0 nor 1", d.b[d.off])
	}
	d.off++
	t, err := d.u32()
	if err != nil {
		return nil, 0, err
	}
	dims := 2
	srid := 0
	if t&0x80000000 != 0 {
		dims++
	}
	if t&0x40000000 != 0 {
		dims++
	}
	if t&0x20000000 != 0 {
		s, err := d.u32()
		if err != nil {
			return nil, 0, err
		}
		srid = int(int32(s))
	}
	t &= 0x0FFFFFFF
	switch t / 1000 {
	case 1, 2:
		dims++
	case 3:
		dims += 2
	}
	if t/1000 > 3 || dims > 4 {
		return nil, 0, fmt.Errorf("wkb: unknown geometry type %d", t)
	}
	var g orb.Geometry
	switch t % 1000 {
	case 1:
		p, err := d.point(dims)
		if err != nil {
			return nil, 0, err
		}
		if math.IsNaN(p[0]) && math.IsNaN(p[1]) {
			return nil, srid, nil
		}
		g = p
	case 2:
		ps, err := d.points(dims)
		if err != nil {
			return nil, 0, err
		}
		g = orb.LineString(ps)
	case 3:
		p, err := d.rings(dims)
		if err != nil {
			return nil, 0, err
		}
		g = p
	case 4, 5, 6, 7:
		n, err := d.count(5)
		if err != nil {
			return nil, 0, err
		}
		want := t % 1000
		var mp orb.MultiPoint
		var ml orb.MultiLineString
		var mpoly orb.MultiPolygon
		var col orb.Collection
		for i := 0; i < n; i++ {
			sub, _, err := d.geometry(depth + 1)
			if err != nil {
				return nil, 0, err
			}
			switch x := sub.(type) {
			case orb.Point:
				if want != 4 && want != 7 {
					return nil, 0, fmt.Errorf("wkb: a Point inside geometry type %d", t)
				}
				mp = append(mp, x)
			case orb.LineString:
				if want != 5 && want != 7 {
					return nil, 0, fmt.Errorf("wkb: a LineString inside geometry type %d", t)
				}
				ml = append(ml, x)
			case orb.Polygon:
				if want != 6 && want != 7 {
					return nil, 0, fmt.Errorf("wkb: a Polygon inside geometry type %d", t)
				}
				mpoly = append(mpoly, x)
			case nil:
				if want != 4 && want != 7 {
					return nil, 0, fmt.Errorf("wkb: an empty point inside geometry type %d", t)
				}
			default:
				if want != 7 {
					return nil, 0, fmt.Errorf("wkb: a %s inside geometry type %d", sub.GeoJSONType(), t)
				}
			}
			if want == 7 && sub != nil {
				col = append(col, sub)
			}
		}
		switch want {
		case 4:
			g = mp
		case 5:
			g = ml
		case 6:
			g = mpoly
		default:
			g = col
		}
	default:
		return nil, 0, fmt.Errorf("wkb: unknown geometry type %d", t)
	}
	return g, srid, nil
}
