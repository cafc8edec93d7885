package geojson

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/crs"
)

// fuzzOptions are tight so that the fuzzer reaches every limit quickly.
func fuzzOptions() Options {
	return Options{MaxBytes: 1 << 16, MaxDepth: 12, MaxCoordinates: 500, GeographicRange: true}
}

// fuzzSeeds are shared by both fuzz targets; more live in testdata/fuzz.
func fuzzSeeds() []string {
	pt := geom("Point", "[116.4,39.9]")
	return []string{
		feat(pt),
		`{"type":"Feature","geometry":` + pt + `,"properties":{"name":"bad` + "\xff" + `"}}`,
		`{"type":"Feature","geometry":` + pt + `,"properties":{"k` + "\xe4\xb8" + `":"v"}}`,
		feat(geom("Polygon", "["+square+"]")),
		feat(geom("MultiPolygon", "[["+square+"]]")),
		feat(`{"type":"GeometryCollection","geometries":[` + pt + `]}`),
		coll(feat(pt), feat(geom("LineString", "[[0,0],[1,1,1]]"))),
		feat(geom("Polygon", "[[[0,0],[1,0],[1,1],[0,1]]]")),
		feat(geom("Point", "[1e999,0]")),
		`{"type":"Feature","crs":{"type":"name","properties":{"name":"EPSG:4547"}},"geometry":` + pt + `}`,
		`{"type":"Feature","a":1,"a":2}`,
		"",
	}
}

func FuzzDecodeFeature(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		feature, err := DecodeFeature(bytes.NewReader(data), fuzzOptions())
		if err != nil {
			e := asError(t, err)
			if e.Index != -1 || (e.Pointer != "" && !strings.HasPrefix(e.Pointer, "/")) || e.Reason == "" {
				t.Fatalf("malformed error %#v", e)
			}
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("accepted a document that is not valid UTF-8: %q", data)
		}
		checkFeature(t, feature)
	})
}

func FuzzDecodeFeatureCollection(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		features, err := DecodeFeatureCollection(bytes.NewReader(data), fuzzOptions())
		if err != nil {
			e := asError(t, err)
			inFeature := strings.HasPrefix(e.Pointer, "/features/")
			if (e.Index >= 0) != inFeature || e.Index < -1 || e.Reason == "" {
				t.Fatalf("malformed error %#v", e)
			}
			return
		}
		for i := range features {
			checkFeature(t, &features[i])
		}
	})
}

// checkFeature asserts the guarantees of a successfully decoded feature,
// decoded with fuzzOptions.
func checkFeature(t *testing.T, f *Feature) {
	t.Helper()
	if f == nil || f.Geometry == nil {
		t.Fatalf("feature without geometry: %+v", f)
	}
	if err := checkGeometry(f.Geometry); err != nil {
		t.Fatalf("%v in %#v", err, f.Geometry)
	}
	geographic := true
	if f.CRS != "" {
		c, err := crs.ParseCRS(f.CRS)
		if err != nil {
			t.Fatalf("feature CRS %q does not parse: %v", f.CRS, err)
		}
		geographic = c.IsGeographic()
	}
	if geographic {
		b := f.Geometry.Bound()
		if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
			t.Fatalf("geographic feature out of range: bound %v", b)
		}
	}
}

func checkGeometry(g orb.Geometry) error {
	switch g := g.(type) {
	case orb.Point:
		return checkPoints([]orb.Point{g}, 1)
	case orb.MultiPoint:
		return checkPoints(g, 1)
	case orb.LineString:
		return checkPoints(g, 2)
	case orb.MultiLineString:
		if len(g) == 0 {
			return errors.New("empty MultiLineString")
		}
		for _, l := range g {
			if err := checkPoints(l, 2); err != nil {
				return err
			}
		}
	case orb.Polygon:
		return checkPolygon(g)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return errors.New("empty MultiPolygon")
		}
		for _, p := range g {
			if err := checkPolygon(p); err != nil {
				return err
			}
		}
	case orb.Collection:
		if len(g) == 0 {
			return errors.New("empty GeometryCollection")
		}
		for _, m := range g {
			if err := checkGeometry(m); err != nil {
				return err
			}
		}
	default:
		return errors.New("unexpected geometry type")
	}
	return nil
}

func checkPolygon(p orb.Polygon) error {
	if len(p) == 0 {
		return errors.New("polygon without rings")
	}
	for _, r := range p {
		if err := checkPoints(r, 4); err != nil {
			return err
		}
		if r[0] != r[len(r)-1] {
			return errors.New("ring not closed")
		}
	}
	return nil
}

func checkPoints(ps []orb.Point, min int) error {
	if len(ps) < min {
		return errors.New("too few positions")
	}
	for _, p := range ps {
		for _, c := range p {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return errors.New("non-finite coordinate")
			}
		}
	}
	return nil
}
