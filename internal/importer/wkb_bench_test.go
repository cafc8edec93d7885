package importer

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
)

// ring is a closed circle of n vertices around (x, y): the shape of a park outline.
func ring(x, y, r float64, n int) orb.Ring {
	rg := make(orb.Ring, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		rg[i] = orb.Point{x + r*math.Cos(a), y + r*math.Sin(a)}
	}
	rg[n] = rg[0]
	return rg
}

// BenchmarkDecodeWKB decodes the geometries an import meets: a point, a 2 000-vertex
// polygon with two holes, a 20-part multipolygon of 100 vertices each (ISO WKB, little
// endian as GeoPackage writes it) and the same polygon as big-endian EWKB with Z and SRID
// (as PostGIS's ST_AsEWKB writes it). It reports decoded coordinates per second.
func BenchmarkDecodeWKB(b *testing.B) {
	poly := orb.Polygon{ring(500000, 4500000, 300, 2000), ring(500000, 4500000, 50, 64), ring(500100, 4500000, 20, 32)}
	var mp orb.MultiPolygon
	for i := range 20 {
		mp = append(mp, orb.Polygon{ring(500000+float64(1000*i), 4500000, 300, 100)})
	}
	flat := make([]float64, 0, 3*len(poly[0]))
	for i, p := range poly[0] {
		flat = append(flat, p[0], p[1], float64(i))
	}
	z, err := ewkb.Marshal(geom.NewPolygonFlat(geom.XYZ, flat, []int{len(flat)}).SetSRID(4546), binary.BigEndian)
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name   string
		g      orb.Geometry
		b      []byte
		coords int
	}{
		{name: "point", g: orb.Point{500000.5, 4500000.25}, coords: 1},
		{name: "polygon-2000", g: poly, coords: len(poly[0]) + len(poly[1]) + len(poly[2])},
		{name: "multipolygon-20x100", g: mp, coords: 20 * 101},
		{name: "ewkb-xyz-2000", b: z, coords: len(poly[0])},
	}
	for _, c := range cases {
		if c.b == nil {
			if c.b, err = wkb.Marshal(c.g, binary.LittleEndian); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.b)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := DecodeWKB(c.b); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.coords*b.N)/b.Elapsed().Seconds(), "coords/s")
		})
	}
}
