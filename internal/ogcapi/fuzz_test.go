package ogcapi_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/cql2"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/ogcapi"
)

// FuzzItemsQuery feeds arbitrary query strings to the items parser. It must never panic,
// and whatever it accepts must be within bounds, name only allow-listed properties and
// translate to SQL.
func FuzzItemsQuery(f *testing.F) {
	for _, s := range []string{
		"", "limit=10&offset=20", "limit=10001", "bbox=109.8,40.6,109.9,40.7", "bbox=1,2,3,4,5,6",
		"bbox=40.6,109.8,40.7,109.9&bbox-crs=EPSG:4326", "crs=EPSG:4546&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857&bbox=1,2,3,4",
		"filter=name%20LIKE%20'a%25'%20AND%20pocket%20%3D%20TRUE", "filter=S_DWITHIN(geometry,POINT(109.8%2040.6),500)&filter-crs=EPSG:4326",
		"filter-lang=cql2-json&filter=x", "sortby=-name,%2Barea_m2", "properties=name,park_class", "properties=",
		"park_class=garden&pocket=true", "datetime=2024-01-01/..", "area_m2=1e400", "f=html", "name=%00",
		"filter=" + url.QueryEscape("name = 'x'; DROP TABLE parks"), "sortby=name;DROP", "crs=GCJ-02",
	} {
		f.Add(s)
	}
	l := layers.Default().Lookup("parks")
	d := ogcapi.LayerCollection{Layer: l}.Description()
	list := ogcapi.DefaultCRS(4546)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		qu, err := ogcapi.ParseItemsQuery(&d, q, list)
		if err != nil {
			if ie := (*ogcapi.InvalidError)(nil); !errors.As(err, &ie) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if qu.Limit < 1 || qu.Limit > ogcapi.MaxLimit || qu.Offset < 0 {
			t.Fatalf("out of bounds: %+v", qu)
		}
		for _, k := range qu.Sort {
			if a := d.Property(k.Prop); a == nil || !a.Sortable {
				t.Fatalf("sort key %q accepted", k.Prop)
			}
		}
		for _, p := range qu.Out.Properties {
			if d.Property(p) == nil {
				t.Fatalf("property %q accepted", p)
			}
		}
		if qu.BBox != nil && (qu.BBox[0] > qu.BBox[2] || qu.BBox[1] > qu.BBox[3]) {
			t.Fatalf("inverted bbox accepted: %v", qu.BBox)
		}
		if qu.Filter != nil {
			if _, _, err := cql2.ToSQL(qu.Filter, cql2.LayerResolver{Layer: l}, cql2.Options{FilterSRID: qu.FilterCRS.SRID()}); err != nil {
				t.Fatalf("accepted filter does not translate: %v", err)
			}
		}
	})
}

// FuzzCursor: ParseCursor never panics, accepts only what Cursor makes, and reads back
// the id Cursor wrote.
func FuzzCursor(f *testing.F) {
	for _, s := range []string{"", "aWQ-MQ", ogcapi.Cursor(1), ogcapi.Cursor(1 << 62), "aWQ-MA", "aWQ-LTE", "aWQ-", "%%%", "aWQ-MQ==", "aWQ+MQ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ogcapi.ParseCursor(s)
		if err != nil {
			return
		}
		if n < 1 || ogcapi.Cursor(n) != s {
			t.Fatalf("ParseCursor(%q) = %d, which Cursor writes as %q", s, n, ogcapi.Cursor(n))
		}
	})
}

// FuzzCursorText: ParseCursorText never panics, accepts only what CursorText makes of a
// printable ASCII id, and reads back that id ("12:kindergarten", the living circle's).
func FuzzCursorText(f *testing.F) {
	for _, s := range []string{"", ogcapi.CursorText("12:kindergarten"), ogcapi.CursorText("1"), ogcapi.CursorText("a b"),
		ogcapi.CursorText("一"), ogcapi.CursorText(strings.Repeat("9", 80)), "aWQ-", "%%%", "aWQ+MQ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ogcapi.ParseCursorText(s)
		if err != nil {
			return
		}
		if id == "" || ogcapi.CursorText(id) != s {
			t.Fatalf("ParseCursorText(%q) = %q, which CursorText writes as %q", s, id, ogcapi.CursorText(id))
		}
		for _, r := range id {
			if r <= ' ' || r > '~' {
				t.Fatalf("ParseCursorText(%q) = %q: not printable ASCII", s, id)
			}
		}
	})
}
