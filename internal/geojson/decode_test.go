package geojson

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestDecodeFeatureGeometries(t *testing.T) {
	tests := []struct {
		name string
		geom string
		want orb.Geometry
	}{
		{"Point", geom("Point", "[116.397428, 39.90923]"), orb.Point{116.397428, 39.90923}},
		{"Point with elevation dropped", geom("Point", "[109.84,40.65,1050.5]"), orb.Point{109.84, 40.65}},
		{"underflow rounds to zero", geom("Point", "[1e-400,-0.0]"), orb.Point{0, 0}},
		{"exponent", geom("Point", "[1.1640E2,3.99e1]"), orb.Point{116.4, 39.9}},
		{"MultiPoint", geom("MultiPoint", "[[1,2],[3,4]]"), orb.MultiPoint{{1, 2}, {3, 4}}},
		{"LineString", geom("LineString", "[[0,0],[1.5,2.5],[3,3]]"), orb.LineString{{0, 0}, {1.5, 2.5}, {3, 3}}},
		{"MultiLineString", geom("MultiLineString", "[[[0,0],[1,1]],[[2,2],[3,3],[4,4]]]"),
			orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}, {4, 4}}}},
		{"Polygon with hole", geom("Polygon", "[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[2,2],[2,4],[4,4],[2,2]]]"),
			orb.Polygon{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, {{2, 2}, {2, 4}, {4, 4}, {2, 2}}}},
		{"clockwise ring accepted", geom("Polygon", "[[[0,0],[0,1],[1,1],[0,0]]]"), orb.Polygon{{{0, 0}, {0, 1}, {1, 1}, {0, 0}}}},
		{"3D ring closed in 3D", geom("Polygon", "[[[0,0,5],[1,0,6],[1,1,7],[0,0,5]]]"), orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}},
		{"MultiPolygon", geom("MultiPolygon", "[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]"),
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}},
		{"GeometryCollection", `{"type":"GeometryCollection","geometries":[` + geom("Point", "[1,2]") + `,` + geom("LineString", "[[0,0],[1,1]]") + `]}`,
			orb.Collection{orb.Point{1, 2}, orb.LineString{{0, 0}, {1, 1}}}},
		{"foreign members and bbox ignored", `{"type":"Point","bbox":[1,2,1,2],"title":"x","coordinates":[1,2]}`, orb.Point{1, 2}},
		{"members in any order", `{"coordinates":[1,2],"type":"Point"}`, orb.Point{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := DecodeFeature(strings.NewReader(feat(tt.geom)), Options{GeographicRange: true})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Geometry, tt.want) {
				t.Errorf("geometry = %#v; want %#v", f.Geometry, tt.want)
			}
		})
	}
}

func TestDecodeFeatureMembers(t *testing.T) {
	doc := `{"type":"Feature","id":007.50,"bbox":[0,0,1,1],"geometry":` + geom("Point", "[1,2]") + `,
		"properties":{"名称":"朝阳公园","area_ha":288.70,"big":12345678901234567890,"tags":["park",1],"nested":{"a/b":null},"ok":true}}`
	// 007.50 is not JSON (leading zero); use a valid but non-canonical number.
	doc = strings.Replace(doc, "007.50", "7.50", 1)
	f, err := DecodeFeature(strings.NewReader(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != json.Number("7.50") {
		t.Errorf("ID = %#v; want json.Number(\"7.50\") as written", f.ID)
	}
	want := map[string]any{
		"名称":      "朝阳公园",
		"area_ha": json.Number("288.70"),
		"big":     json.Number("12345678901234567890"),
		"tags":    []any{"park", json.Number("1")},
		"nested":  map[string]any{"a/b": nil},
		"ok":      true,
	}
	if !reflect.DeepEqual(f.Properties, want) {
		t.Errorf("Properties = %#v; want %#v", f.Properties, want)
	}
	if f.CRS != "" {
		t.Errorf("CRS = %q; want empty", f.CRS)
	}

	f, err = DecodeFeature(strings.NewReader(`{"type":"Feature","id":"parcel-7","geometry":`+geom("Point", "[1,2]")+`,"properties":null}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != "parcel-7" || f.Properties != nil {
		t.Errorf("ID, Properties = %#v, %#v; want \"parcel-7\", nil", f.ID, f.Properties)
	}

	f, err = DecodeFeature(strings.NewReader(`{"type":"Feature","geometry":`+geom("Point", "[1,2]")+`}`), Options{})
	if err != nil || f.ID != nil || f.Properties != nil {
		t.Errorf("feature without id and properties = %+v, %v; want nil ID and Properties", f, err)
	}
}

// A projected legacy CRS switches the range check off; its name is kept.
func TestDecodeFeatureProjectedCRS(t *testing.T) {
	doc := `{"type":"Feature","crs":{"type":"name","properties":{"name":"EPSG:4547"}},"geometry":` +
		geom("Point", "[500123.25,4417000.5]") + `}`
	f, err := DecodeFeature(strings.NewReader(doc), Options{GeographicRange: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.CRS != "EPSG:4547" || f.Geometry != (orb.Point{500123.25, 4417000.5}) {
		t.Errorf("got CRS %q geometry %v", f.CRS, f.Geometry)
	}
}

func TestDecodeFeatureWithoutRangeCheck(t *testing.T) {
	f, err := DecodeFeature(strings.NewReader(feat(geom("Point", "[200,100]"))), Options{})
	if err != nil || f.Geometry != (orb.Point{200, 100}) {
		t.Errorf("got %v, %v; want the point unchecked", f, err)
	}
}

func TestMaxBytesBoundary(t *testing.T) {
	doc := feat(geom("Point", "[1,2]"))
	n := int64(len(doc))
	if _, err := DecodeFeature(strings.NewReader(doc), Options{MaxBytes: n}); err != nil {
		t.Errorf("input of exactly MaxBytes: %v", err)
	}
	if _, err := DecodeFeature(strings.NewReader(doc+" "), Options{MaxBytes: n}); err == nil {
		t.Errorf("input of MaxBytes+1: no error")
	}
	if _, err := DecodeFeature(strings.NewReader(doc+strings.Repeat(" ", DefaultMaxBytes)), Options{MaxBytes: -1}); err != nil {
		t.Errorf("unlimited: %v", err)
	}
}

func TestDecodeFeatureCollection(t *testing.T) {
	doc := `{"type":"FeatureCollection","name":"parks","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},"features":[` +
		`{"type":"Feature","id":1,"geometry":` + geom("Point", "[116.4,39.9]") + `,"properties":{"n":1}},` +
		`{"type":"Feature","id":2,"crs":{"type":"name","properties":{"name":"GCJ-02"}},"geometry":` + geom("LineString", "[[116.4,39.9],[116.5,39.95]]") + `,"properties":{}}` +
		`]}`
	fs, err := DecodeFeatureCollection(strings.NewReader(doc), Options{GeographicRange: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 {
		t.Fatalf("got %d features; want 2", len(fs))
	}
	if fs[0].ID != json.Number("1") || fs[0].CRS != "urn:ogc:def:crs:EPSG::4490" || fs[0].Geometry != (orb.Point{116.4, 39.9}) {
		t.Errorf("feature 0 = %+v", fs[0])
	}
	if fs[1].CRS != "GCJ-02" || !reflect.DeepEqual(fs[1].Geometry, orb.LineString{{116.4, 39.9}, {116.5, 39.95}}) {
		t.Errorf("feature 1 = %+v; want its own crs to override the collection's", fs[1])
	}

	fs, err = DecodeFeatureCollection(strings.NewReader(`{"features":[],"type":"FeatureCollection"}`), Options{})
	if err != nil || fs == nil || len(fs) != 0 {
		t.Errorf("empty collection = %#v, %v; want an empty non-nil slice", fs, err)
	}
}

func TestStreamFeatureCollection(t *testing.T) {
	doc := coll(feat(geom("Point", "[1,1]")), feat(geom("Point", "[2,2]")), feat(geom("Point", "[3,3]")))
	var got []int
	stop := errors.New("stop")
	err := StreamFeatureCollection(strings.NewReader(doc), Options{}, func(i int, f *Feature) error {
		got = append(got, i)
		if f.Geometry.(orb.Point)[0] == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("error = %v; want the callback's error unchanged", err)
	}
	if !reflect.DeepEqual(got, []int{0, 1}) {
		t.Errorf("callback indexes = %v; want [0 1]", got)
	}

	// A type after the features is still checked, after the callbacks ran.
	calls := 0
	err = StreamFeatureCollection(strings.NewReader(`{"features":[`+feat(geom("Point", "[1,1]"))+`],"type":"Topology"}`), Options{},
		func(int, *Feature) error { calls++; return nil })
	if e := asError(t, err); e.Reason != `expected a FeatureCollection, got "Topology"` || calls != 1 {
		t.Errorf("got %v after %d calls", err, calls)
	}
}

// A failing source is not a GeoJSON problem and is returned wrapped.
func TestReadFailure(t *testing.T) {
	broken := errors.New("connection reset")
	_, err := DecodeFeature(&failingReader{prefix: `{"type":"Feature",`, err: broken}, Options{})
	var e *Error
	if !errors.Is(err, broken) || errors.As(err, &e) {
		t.Errorf("error = %v; want the read error wrapped, not *Error", err)
	}
}

type failingReader struct {
	prefix string
	err    error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.prefix == "" {
		return 0, r.err
	}
	n := copy(p, r.prefix)
	r.prefix = r.prefix[n:]
	return n, nil
}
