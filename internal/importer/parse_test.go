package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/importer/importtest"
)

func TestCRSFromPRJ(t *testing.T) {
	gk := func(cm, fe string) string {
		return `PROJCS["X",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",` + fe + `],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",` + cm + `],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	}
	cases := []struct{ wkt, want string }{
		{gk("111.0", "500000.0"), "EPSG:4546"},
		{gk("75.0", "500000.0"), "EPSG:4534"},
		{gk("135.0", "500000.0"), "EPSG:4554"},
		{gk("111.0", "37500000.0"), "EPSG:4525"}, // 3° zone 37 with prefix
		{gk("111.0", "19500000.0"), "EPSG:4497"}, // 6° zone 19 (CM 111) with prefix
		{`GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`, "EPSG:4490"},
		{`GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`, "EPSG:4326"},
		{`PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]`, "EPSG:3857"},
		{`PROJCS["WGS_1984_UTM_Zone_32N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",9.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`, "EPSG:32632"},
	}
	for _, c := range cases {
		got, err := CRSFromPRJ(c.wkt)
		if err != nil || got.String() != c.want {
			t.Errorf("%s…: got %v, %v; want %s", c.wkt[:40], got, err, c.want)
		}
	}
	for _, bad := range []string{gk("112.0", "500000.0"), gk("111.0", "400000.0"), `PROJCS["Beijing_1954_GK",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954"]],PROJECTION["Gauss_Kruger"],PARAMETER["Central_Meridian",111.0],PARAMETER["False_Easting",500000.0]]`, "garbage"} {
		if c, err := CRSFromPRJ(bad); err == nil {
			t.Errorf("accepted %q as %v", bad[:20], c)
		}
	}
}

// DecodeWKB agrees with orb's own encoder on every geometry type, in both byte orders.
func TestDecodeWKBRoundTrip(t *testing.T) {
	geoms := []orb.Geometry{
		orb.Point{1.5, -2},
		orb.LineString{{0, 0}, {1, 1}, {2, 0}},
		orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 1}}},
		orb.MultiPoint{{1, 2}, {3, 4}},
		orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}},
		orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		orb.Collection{orb.Point{1, 1}, orb.LineString{{0, 0}, {1, 1}}},
	}
	for _, g := range geoms {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			b, err := wkb.Marshal(g, bo)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := DecodeWKB(b)
			if err != nil || !orb.Equal(got, g) {
				t.Errorf("%s: got %v, %v", g.GeoJSONType(), got, err)
			}
		}
	}
	// ISO Z point (type 1001) and an EWKB point with Z and SRID 4326.
	z := []byte{1, 0xe9, 3, 0, 0}
	for _, v := range []float64{1, 2, 3} {
		z = append(z, f64le(v)...)
	}
	if g, _, err := DecodeWKB(z); err != nil || !orb.Equal(g, orb.Point{1, 2}) {
		t.Errorf("ISO Z: %v %v", g, err)
	}
	ewkb := []byte{1, 1, 0, 0, 0xa0, 0xe6, 0x10, 0, 0}
	for _, v := range []float64{1, 2, 3} {
		ewkb = append(ewkb, f64le(v)...)
	}
	if g, srid, err := DecodeWKB(ewkb); err != nil || srid != 4326 || !orb.Equal(g, orb.Point{1, 2}) {
		t.Errorf("EWKB: %v %d %v", g, srid, err)
	}
	// Hostile: a huge count must fail, not allocate.
	if _, _, err := DecodeWKB([]byte{1, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f}); err == nil {
		t.Error("huge count accepted")
	}
}

func f64le(v float64) []byte {
	b := make([]byte, 8)
	u := math.Float64bits(v)
	for i := range b {
		b[i] = byte(u >> (8 * i))
	}
	return b
}

func TestDBFValues(t *testing.T) {
	cases := []struct {
		f    dbfField
		raw  string
		want any
	}{
		{dbfField{Type: 'N', Len: 5}, "  42 ", int64(42)},
		{dbfField{Type: 'N', Len: 8, Decimals: 2}, "   3.25 ", 3.25},
		{dbfField{Type: 'N', Len: 5}, "     ", nil},
		{dbfField{Type: 'F', Len: 10}, " -1.5e3   ", -1500.0},
		{dbfField{Type: 'L', Len: 1}, "T", true},
		{dbfField{Type: 'L', Len: 1}, "n", false},
		{dbfField{Type: 'L', Len: 1}, "?", nil},
		{dbfField{Type: 'C', Len: 6}, "ab    ", "ab"},
	}
	for _, c := range cases {
		got, err := dbfValue(c.f, []byte(c.raw), textCodec{name: "UTF-8"})
		if err != nil || got != c.want {
			t.Errorf("%c %q: got %#v %v want %#v", c.f.Type, c.raw, got, err, c.want)
		}
	}
	d, err := dbfValue(dbfField{Type: 'D', Len: 8}, []byte("20240229"), textCodec{})
	if err != nil || d.(interface{ Day() int }).Day() != 29 {
		t.Errorf("date: %v %v", d, err)
	}
	if _, err := dbfValue(dbfField{Type: 'N', Len: 3}, []byte("abc"), textCodec{}); err == nil {
		t.Error("bad number accepted")
	}
}

// shapefileParts extracts the .shp and .dbf of a test zip, the fuzz seeds.
func shapefileParts(t testing.TB, path string) (shp, dbf []byte) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close() //nolint:errcheck // test clean-up
	for _, f := range zr.File {
		rc, _ := f.Open()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(rc)
		rc.Close() //nolint:errcheck // test clean-up
		switch {
		case bytes.HasSuffix([]byte(f.Name), []byte(".shp")):
			shp = buf.Bytes()
		case bytes.HasSuffix([]byte(f.Name), []byte(".dbf")):
			dbf = buf.Bytes()
		}
	}
	return shp, dbf
}

func FuzzDecodeWKB(f *testing.F) {
	for _, g := range []orb.Geometry{orb.Point{1, 2}, orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, orb.Collection{orb.MultiPoint{{1, 1}}}} {
		b, _ := wkb.Marshal(g)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, _, err := DecodeWKB(b)
		if err == nil && (len(b) > MaxWKBBytes || g != nil && points(g) > MaxWKBCoords) {
			t.Fatalf("accepted %d bytes, %d coordinates", len(b), points(g))
		}
		if err != nil || g == nil || points(g) == 0 {
			return // orb does not encode empty geometries in a form it decodes
		}
		// Whatever decodes must re-encode and decode to the same geometry.
		b2, err := wkb.Marshal(g)
		if err != nil {
			return // orb cannot encode some decodable shapes (empty collections)
		}
		g2, _, err := DecodeWKB(b2)
		if err != nil || !orb.Equal(g, g2) && !hasNaN(g) {
			t.Fatalf("round trip: %v → %v (%v)", g, g2, err)
		}
	})
}

func points(g orb.Geometry) int {
	n := 0
	visit(g, func(*orb.Point) { n++ })
	return n
}

func hasNaN(g orb.Geometry) bool {
	nan := false
	visit(g, func(p *orb.Point) { nan = nan || math.IsNaN(p[0]) || math.IsNaN(p[1]) })
	return nan
}

func FuzzParseShpRecord(f *testing.F) {
	for _, zp := range []string{"testdata/facilities_gk_gbk.zip", "testdata/parks_gk_gbk_cpg.zip"} {
		shp, _ := shapefileParts(f, zp)
		rd := bytes.NewReader(shp[shpHeaderLen:])
		for rd.Len() > 0 {
			_, n, err := readShpRecordHeader(rd, int64(rd.Len()))
			if err != nil {
				break
			}
			c := make([]byte, n)
			_, _ = rd.Read(c)
			f.Add(c)
		}
	}
	f.Fuzz(func(t *testing.T, c []byte) {
		_, _ = parseShpRecord(c)
	})
}

func FuzzParseDBF(f *testing.F) {
	for _, zp := range []string{"testdata/facilities_gk_gbk.zip", "testdata/parks_gk_gbk_cpg.zip"} {
		_, dbf := shapefileParts(f, zp)
		f.Add(dbf)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tbl, recs, err := parseDBF(b)
		if err != nil {
			return
		}
		dec, name, _ := encodingByName("GBK")
		names := make([]string, len(tbl.Fields))
		for i, fl := range tbl.Fields {
			names[i] = fl.Name
		}
		for i := 0; i < tbl.NumRecs; i++ {
			_, _, _ = tbl.record(recs[i*tbl.RecLen:(i+1)*tbl.RecLen], textCodec{dec: dec, name: name}, names)
		}
	})
}

// The committed fuzz corpora exist (the seeds above are also written there by go test -fuzz).
func TestFuzzCorpusPresent(t *testing.T) {
	for _, d := range []string{"testdata/fuzz/FuzzDecodeWKB", "testdata/fuzz/FuzzParseShpRecord", "testdata/fuzz/FuzzParseDBF"} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}

// FuzzOpenShapefileZip runs whole archives through the bounded zip reader and the
// streaming Shapefile reader: whatever the bytes, no panic and no read past the limits.
func FuzzOpenShapefileZip(f *testing.F) {
	for _, zp := range []string{"testdata/facilities_gk_gbk.zip", "testdata/parks_gk_gbk_cpg.zip"} {
		b, err := os.ReadFile(zp)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(importtest.ZipOf(f, map[string][]byte{"a.shp": importtest.PointShp([]orb.Point{{1, 2}}), "a.dbf": importtest.TextDBF([]string{"NAME"}, 4, [][]string{{"x"}}), "a.cpg": []byte("UTF-8")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "f.zip")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		r, closeZip, err := OpenShapefileZip(p, "", Limits{ZipMembers: 16, ExpandedBytes: 4 << 20})
		if err != nil {
			return
		}
		defer closeZip() //nolint:errcheck // test clean-up
		n := 0
		_ = r.Each(context.Background(), func(*Feature) error {
			if n++; n > 10000 {
				return errors.New("enough")
			}
			return nil
		})
	})
}

// FuzzDecodeGPKGGeometry: GeoPackage geometry blobs (header, envelope, WKB).
func FuzzDecodeGPKGGeometry(f *testing.F) {
	f.Add(importtest.GPKGPoint(orb.Point{1, 2}, 4326))
	env := importtest.GPKGPoint(orb.Point{1, 2}, 4326)
	env[3] = 1 << 1 // an xy envelope of 32 bytes before the WKB
	env = append(env[:8:8], append(make([]byte, 32), env[8:]...)...)
	f.Add(env)
	f.Add([]byte{'G', 'P', 0, 0x11, 0, 0, 0, 0}) // empty
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeGPKGGeometry(b)
	})
}

// FuzzCheckShpHeader: the .shp main header against a claimed size.
func FuzzCheckShpHeader(f *testing.F) {
	f.Add(importtest.PointShp([]orb.Point{{1, 2}}), int64(128))
	f.Add(importtest.PointShp(nil), int64(1<<40))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		n, err := checkShpHeader(b, size)
		if err == nil && (n < shpHeaderLen || n > size) {
			t.Fatalf("accepted length %d for size %d", n, size)
		}
	})
}
