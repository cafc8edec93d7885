package mvtread

import (
	"encoding/binary"
	"math"
	"testing"
)

// pb is a minimal protobuf writer for hand-built tiles.
type pb []byte

func (b pb) varint(field int, v uint64) pb {
	b = binary.AppendUvarint(b, uint64(field)<<3)
	return binary.AppendUvarint(b, v)
}

func (b pb) bytes(field int, v []byte) pb {
	b = binary.AppendUvarint(b, uint64(field)<<3|2)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func (b pb) double(field int, v float64) pb {
	b = binary.AppendUvarint(b, uint64(field)<<3|1)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

func pack(vs ...uint64) []byte {
	var out []byte
	for _, v := range vs {
		out = binary.AppendUvarint(out, v)
	}
	return out
}

// handTile is the MVT spec's layout written by hand: one layer "parks" (extent 4096) with
// two point features, keys name and area, values "A", 12.5 and true.
func handTile() []byte {
	f1 := pb{}.varint(1, 7).bytes(2, pack(0, 0, 1, 1)).varint(3, 1).bytes(4, pack(9, 50, 34))
	f2 := pb{}.bytes(2, pack(1, 2)).varint(3, 1).bytes(4, pack(9, 2, 2))
	layer := pb{}.varint(15, 2).bytes(1, []byte("parks")).bytes(2, f1).bytes(2, f2).
		bytes(3, []byte("name")).bytes(3, []byte("area")).
		bytes(4, pb{}.bytes(1, []byte("A"))).bytes(4, pb{}.double(3, 12.5)).bytes(4, pb{}.varint(7, 1)).
		varint(5, 4096)
	return pb{}.bytes(3, layer)
}

func TestDecodeHandBuiltTile(t *testing.T) {
	ls, err := Decode(handTile())
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 || ls[0].Name != "parks" || ls[0].Extent != 4096 || len(ls[0].Features) != 2 {
		t.Fatalf("layers %+v", ls)
	}
	f1, f2 := ls[0].Features[0], ls[0].Features[1]
	if !f1.HasID || f1.ID != 7 || f1.Type != 1 || f1.Props["name"] != "A" || f1.Props["area"] != 12.5 || len(f1.Geometry) != 3 {
		t.Errorf("feature 1: %+v", f1)
	}
	if f2.HasID || f2.Props["area"] != true || len(f2.Props) != 1 {
		t.Errorf("feature 2: %+v", f2)
	}
	for _, bad := range [][]byte{{0x1a, 0x05, 0x0a}, {0x1a}, {0x0f}} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("% x: no error", bad)
		}
	}
}

// FuzzDecode: any input gives layers or an error, never a panic.
func FuzzDecode(f *testing.F) {
	f.Add(handTile())
	f.Add([]byte{})
	f.Add([]byte{0x1a, 0x02, 0x12, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Decode(b)
	})
}
