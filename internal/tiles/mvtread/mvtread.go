// Package mvtread decodes Mapbox Vector Tiles (spec 2.1) into layers, features and their
// properties: enough for tests to compare a served tile with the database, and for tools
// that list a tile's contents. Geometry is kept as its command stream.
package mvtread

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Layer is one MVT layer.
type Layer struct {
	Name     string
	Extent   uint32
	Features []Feature
}

// Feature is one feature: its id (when HasID), geometry type (1 point, 2 line, 3 polygon),
// properties and the raw geometry commands.
type Feature struct {
	ID       uint64
	HasID    bool
	Type     int
	Props    map[string]any
	Geometry []uint32
}

var errTruncated = errors.New("mvtread: truncated message")

// reader walks one protobuf message.
type reader struct{ b []byte }

func (r *reader) varint() (uint64, error) {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		return 0, errTruncated
	}
	r.b = r.b[n:]
	return v, nil
}

// next returns the next field number, wire type, and for length-delimited fields the bytes.
func (r *reader) next() (field int, wire int, val uint64, data []byte, err error) {
	key, err := r.varint()
	if err != nil {
		return 0, 0, 0, nil, err
	}
	field, wire = int(key>>3), int(key&7)
	switch wire {
	case 0:
		val, err = r.varint()
	case 1:
		if len(r.b) < 8 {
			return 0, 0, 0, nil, errTruncated
		}
		val, r.b = binary.LittleEndian.Uint64(r.b), r.b[8:]
	case 2:
		var l uint64
		if l, err = r.varint(); err == nil {
			if l > uint64(len(r.b)) {
				return 0, 0, 0, nil, errTruncated
			}
			data, r.b = r.b[:l], r.b[l:]
		}
	case 5:
		if len(r.b) < 4 {
			return 0, 0, 0, nil, errTruncated
		}
		val, r.b = uint64(binary.LittleEndian.Uint32(r.b)), r.b[4:]
	default:
		err = fmt.Errorf("mvtread: unsupported wire type %d", wire)
	}
	return field, wire, val, data, err
}

func packed(data []byte) ([]uint32, error) {
	r := reader{data}
	var out []uint32
	for len(r.b) > 0 {
		v, err := r.varint()
		if err != nil {
			return nil, err
		}
		out = append(out, uint32(v))
	}
	return out, nil
}

func value(data []byte) (any, error) {
	r := reader{data}
	var v any
	for len(r.b) > 0 {
		f, _, n, d, err := r.next()
		if err != nil {
			return nil, err
		}
		switch f {
		case 1:
			v = string(d)
		case 2:
			v = float64(math.Float32frombits(uint32(n)))
		case 3:
			v = math.Float64frombits(n)
		case 4:
			v = float64(int64(n))
		case 5:
			v = float64(n)
		case 6:
			v = float64(int64(n>>1) ^ -int64(n&1))
		case 7:
			v = n != 0
		}
	}
	return v, nil
}

// Decode reads an uncompressed tile.
func Decode(tile []byte) ([]Layer, error) {
	r := reader{tile}
	var out []Layer
	for len(r.b) > 0 {
		f, _, _, d, err := r.next()
		if err != nil {
			return nil, err
		}
		if f != 3 {
			continue
		}
		l, err := decodeLayer(d)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

func decodeLayer(data []byte) (Layer, error) {
	r := reader{data}
	l := Layer{Extent: 4096}
	var keys []string
	var vals []any
	var raw [][]byte
	for len(r.b) > 0 {
		f, _, n, d, err := r.next()
		if err != nil {
			return l, err
		}
		switch f {
		case 1:
			l.Name = string(d)
		case 2:
			raw = append(raw, d)
		case 3:
			keys = append(keys, string(d))
		case 4:
			v, err := value(d)
			if err != nil {
				return l, err
			}
			vals = append(vals, v)
		case 5:
			l.Extent = uint32(n)
		}
	}
	for _, d := range raw {
		fr := reader{d}
		ft := Feature{Props: map[string]any{}}
		for len(fr.b) > 0 {
			f, _, n, fd, err := fr.next()
			if err != nil {
				return l, err
			}
			switch f {
			case 1:
				ft.ID, ft.HasID = n, true
			case 2:
				tags, err := packed(fd)
				if err != nil {
					return l, err
				}
				for i := 0; i+1 < len(tags); i += 2 {
					if int(tags[i]) >= len(keys) || int(tags[i+1]) >= len(vals) {
						return l, fmt.Errorf("mvtread: layer %q: tag out of range", l.Name)
					}
					ft.Props[keys[tags[i]]] = vals[tags[i+1]]
				}
			case 3:
				ft.Type = int(n)
			case 4:
				if ft.Geometry, err = packed(fd); err != nil {
					return l, err
				}
			}
		}
		l.Features = append(l.Features, ft)
	}
	return l, nil
}
