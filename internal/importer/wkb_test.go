package importer

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/testdb"
)

// fuzzSeed reads one committed seed of FuzzDecodeWKB (go test fuzz v1 format).
func fuzzSeed(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata/fuzz/FuzzDecodeWKB", name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "[]byte(") {
		t.Fatalf("%s: not a one-value []byte seed", name)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return []byte(s)
}

// The hostile and unusual seeds of the fuzz corpus decode, or are refused, as worked out by
// hand from their bytes (each seed's layout is in the comment beside its name).
func TestDecodeWKBSeeds(t *testing.T) {
	cases := []struct {
		seed    string
		want    orb.Geometry
		srid    int
		wantErr string
	}{
		// LineString declaring 3 points, 2 present (32 of 48 bytes).
		{seed: "seed-truncated-linestring", wantErr: "count 3 exceeds the 32 bytes left"},
		// Byte order and 2 bytes of the type.
		{seed: "seed-truncated-header", wantErr: "truncated"},
		// LineString of 2^32-1 points; Polygon of 2^31-1 rings; big-endian MultiPolygon of
		// 2^32-16 parts; one ring of 2^28 points with one point present.
		{seed: "seed-huge-linestring-count", wantErr: "count 4294967295 exceeds the limit of 1048576"},
		{seed: "seed-huge-ring-count", wantErr: "count 2147483647 exceeds the limit"},
		{seed: "seed-huge-multipolygon-count", wantErr: "count 4294967280 exceeds the limit"},
		{seed: "seed-huge-ring-points", wantErr: "count 268435456 exceeds the limit"},
		{seed: "seed-bad-byte-order", wantErr: "byte order 2 is neither 0 nor 1"},
		{seed: "seed-bad-inner-byte-order", wantErr: "byte order 255 is neither 0 nor 1"},
		// Big-endian EWKB Polygon Z with SRID 4546: (0 0 1, 1 0 2, 1 1 3, 0 0 1).
		{seed: "seed-ewkb-polygonz-srid-be", want: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, srid: 4546},
		// EWKB LineString M (0 0 7, 1 1 8); EWKB Point ZM (1 2 3 4) with SRID 4326.
		{seed: "seed-ewkb-linestringm", want: orb.LineString{{0, 0}, {1, 1}}},
		{seed: "seed-ewkb-pointzm-srid", want: orb.Point{1, 2}, srid: 4326},
		// ISO Point M (type 2001) (1 2 9); ISO MultiPoint ZM (3004) of (1 2 3 4), (5 6 7 8).
		{seed: "seed-iso-pointm", want: orb.Point{1, 2}},
		{seed: "seed-iso-multipointzm", want: orb.MultiPoint{{1, 2}, {5, 6}}},
		// EWKB MultiPoint Z holding an ISO Point Z (1001); a type with the EWKB Z flag and ISO 1001.
		{seed: "seed-mixed-iso-ewkb", wantErr: "ISO and extended (EWKB) type codes mixed"},
		{seed: "seed-z-twice", wantErr: "ISO and extended (EWKB) type codes mixed"},
		// POINT EMPTY (two NaNs); MULTIPOINT(EMPTY, 1 2).
		{seed: "seed-empty-point", want: nil},
		{seed: "seed-multipoint-empty-member", want: orb.MultiPoint{{1, 2}}},
		// 40 collections nested around a point.
		{seed: "seed-nested-collections", wantErr: "nest more than 32 deep"},
		// Point (1 2) and one more byte.
		{seed: "seed-trailing-byte", wantErr: "1 bytes after the geometry"},
	}
	for _, c := range cases {
		g, srid, err := DecodeWKB(fuzzSeed(t, c.seed))
		switch {
		case c.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: got %v, %v; want an error with %q", c.seed, g, err, c.wantErr)
			}
		case err != nil || srid != c.srid || !orb.Equal(g, c.want) && !(g == nil && c.want == nil):
			t.Errorf("%s: got %v srid %d, %v; want %v srid %d", c.seed, g, srid, err, c.want, c.srid)
		}
	}
}

// Bounds that no seed can show in a few bytes: the total size, the total coordinates, a
// million nested collections (which would overflow go-geom's recursion), and what a refusal
// of a huge declared count allocates.
func TestDecodeWKBBounds(t *testing.T) {
	point := func(b []byte, x, y float64) []byte {
		b = binary.LittleEndian.AppendUint32(append(b, 1), 1)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(y))
	}
	big := make([]byte, MaxWKBBytes+1)
	if _, _, err := DecodeWKB(big); err == nil || !strings.Contains(err.Error(), "more than the limit") {
		t.Errorf("%d bytes: %v", len(big), err)
	}
	// A LineString of MaxWKBCoords+1 points: within the byte limit, over the coordinate one.
	ls := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32([]byte{1}, 2), MaxWKBCoords+1)
	ls = append(ls, make([]byte, 16*(MaxWKBCoords+1))...)
	if _, _, err := DecodeWKB(ls); err == nil || !strings.Contains(err.Error(), "exceeds the limit of 1048576") {
		t.Errorf("long linestring: %v", err)
	}
	// A collection of two multipoints of MaxWKBCoords/2+1 points each: every count is
	// within the limit, the total is not; one of them alone decodes.
	var mp []byte
	half := MaxWKBCoords/2 + 1
	mp = binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32([]byte{1}, 4), uint32(half))
	for i := range half {
		mp = point(mp, float64(i), 0)
	}
	col := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32([]byte{1}, 7), 2)
	col = append(append(col, mp...), mp...)
	if _, _, err := DecodeWKB(col); err == nil || !strings.Contains(err.Error(), "more than 1048576 coordinates") {
		t.Errorf("two multipoints of %d: %v", half, err)
	}
	if g, _, err := DecodeWKB(mp); err != nil || len(g.(orb.MultiPoint)) != half {
		t.Errorf("one multipoint of %d: %v", half, err)
	}
	deep := bytes.Repeat([]byte{1, 7, 0, 0, 0, 1, 0, 0, 0}, 1_000_000)
	deep = point(deep, 1, 2)
	if _, _, err := DecodeWKB(deep); err == nil || !strings.Contains(err.Error(), "nest more than") {
		t.Errorf("a million nested collections: %v", err)
	}
	// Refusing a count of 2^32-1 (which go-geom alone would try to allocate as 64 GB of
	// coordinates) allocates next to nothing: 100 refusals stay under 64 KiB.
	huge := fuzzSeed(t, "seed-huge-linestring-count")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		if _, _, err := DecodeWKB(huge); err == nil {
			t.Fatal("huge count accepted")
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
		t.Errorf("100 refusals allocated %d bytes", d)
	}
}

// DecodeWKB reads what PostGIS writes: for each geometry, ST_AsBinary (ISO WKB) and
// ST_AsEWKB in both byte orders decode to the points PostGIS lists with ST_DumpPoints,
// in its order and with its paths, and EWKB carries ST_SRID. The coordinates are compared
// exactly (float64 equality), the expected values being PostGIS's own.
func TestDecodeWKBMatchesPostGIS(t *testing.T) {
	db := testdb.New(t)
	geoms := []string{
		"POINT(1.5 -2)",
		"SRID=4546;POINT Z (500000.125 4500000.5 1050.25)",
		"SRID=4326;POINT M (111.9 40.6 3)",
		"POINT ZM (1 2 3 4)",
		"LINESTRING(0 0, 1e-9 1, 123456789.123 -0.5)",
		"SRID=4546;POLYGON((0 0, 4 0, 4 4, 0 0),(1 1, 2 1, 2 2, 1 1))",
		"POLYGON Z ((0 0 1, 4 0 2, 4 4 3, 0 0 1))",
		"MULTIPOINT(1 2, 3 4)",
		"MULTIPOINT ZM (1 2 3 4, 5 6 7 8)",
		"MULTILINESTRING M ((0 0 1, 1 1 2),(2 2 3, 3 3 4))",
		"SRID=4490;MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)),((10 10, 11 10, 11 11, 10 10),(10.2 10.1, 10.8 10.1, 10.8 10.5, 10.2 10.1)))",
		"MULTIPOLYGON Z (((0 0 5, 1 0 5, 1 1 5, 0 0 5)))",
		"GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 1), GEOMETRYCOLLECTION(POLYGON((0 0, 1 0, 1 1, 0 0))), MULTIPOINT(5 5, 6 6))",
	}
	// Full-precision coordinates: a Baotou polygon and line projected by PostGIS to the
	// CGCS2000 Gauss-Krüger zone the city uses, with Z added.
	exprs := []string{
		"ST_Transform('SRID=4326;POLYGON((109.8 40.6, 109.9 40.6, 109.9 40.7, 109.83 40.66, 109.8 40.6))'::geometry, 4546)",
		"ST_Force3DZ(ST_Transform('SRID=4326;MULTILINESTRING((109.81 40.61, 109.92 40.63),(110.01 40.5, 110.02 40.51))'::geometry, 4546), 1001.5)",
	}
	for _, w := range geoms {
		exprs = append(exprs, "'"+w+"'::geometry")
	}
	ctx := context.Background()
	for _, e := range exprs {
		var (
			blobs [4][]byte
			srid  int
			paths []string
			xs    []float64
			ys    []float64
		)
		err := db.Pool.QueryRow(ctx, `SELECT ST_AsBinary(g, 'NDR'), ST_AsBinary(g, 'XDR'), ST_AsEWKB(g, 'NDR'), ST_AsEWKB(g, 'XDR'), ST_SRID(g),
			array(SELECT array_to_string(path, '.') FROM ST_DumpPoints(g) WITH ORDINALITY AS t(path, pt, n) ORDER BY n),
			array(SELECT ST_X(pt) FROM ST_DumpPoints(g) WITH ORDINALITY AS t(path, pt, n) ORDER BY n),
			array(SELECT ST_Y(pt) FROM ST_DumpPoints(g) WITH ORDINALITY AS t(path, pt, n) ORDER BY n)
			FROM (SELECT `+e+` AS g) s`).Scan(&blobs[0], &blobs[1], &blobs[2], &blobs[3], &srid, &paths, &xs, &ys)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		for i, b := range blobs {
			g, gotSRID, err := DecodeWKB(b)
			if err != nil {
				t.Errorf("%s, form %d: %v", e, i, err)
				continue
			}
			if want := map[bool]int{true: srid, false: 0}[i >= 2]; gotSRID != want {
				t.Errorf("%s, form %d: SRID %d, want %d", e, i, gotSRID, want)
			}
			var got []string
			dumpPoints(g, nil, func(path string, p orb.Point) { got = append(got, fmt.Sprintf("%s %v %v", path, p[0], p[1])) })
			var want []string
			for k := range paths {
				want = append(want, fmt.Sprintf("%s %v %v", paths[k], xs[k], ys[k]))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s, form %d:\n got %v\nwant %v", e, i, got, want)
			}
		}
	}
}

// dumpPoints lists g's points with ST_DumpPoints's paths: a point is [1], a line's i-th
// point [i], a polygon's [ring, i], a multi-geometry's or collection's [part, ...], all
// 1-based.
func dumpPoints(g orb.Geometry, path []int, fn func(string, orb.Point)) {
	at := func(p orb.Point, idx ...int) {
		s := make([]string, 0, len(path)+len(idx))
		for _, i := range append(append([]int{}, path...), idx...) {
			s = append(s, strconv.Itoa(i))
		}
		fn(strings.Join(s, "."), p)
	}
	sub := func(i int) []int { return append(append([]int{}, path...), i+1) }
	switch x := g.(type) {
	case orb.Point:
		at(x, 1)
	case orb.LineString:
		for i, p := range x {
			at(p, i+1)
		}
	case orb.Polygon:
		for r, ring := range x {
			for i, p := range ring {
				at(p, r+1, i+1)
			}
		}
	case orb.MultiPoint:
		for i, p := range x {
			dumpPoints(p, sub(i), fn)
		}
	case orb.MultiLineString:
		for i, l := range x {
			dumpPoints(l, sub(i), fn)
		}
	case orb.MultiPolygon:
		for i, p := range x {
			dumpPoints(p, sub(i), fn)
		}
	case orb.Collection:
		for i, m := range x {
			dumpPoints(m, sub(i), fn)
		}
	}
}
