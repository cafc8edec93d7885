package featureapi

import (
	"errors"
	"net/url"
	"reflect"
	"testing"

	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/problem"
)

func TestIfMatch(t *testing.T) {
	cases := []struct {
		in   string
		want []int32
		code int // 0 when accepted
	}{
		{`"3"`, []int32{3}, 0},
		{` "3" , "4"`, []int32{3, 4}, 0},
		{`W/"3"`, []int32{}, 0}, // weak tags never match: 412 from the store
		{`"abc"`, []int32{}, 0},
		{`"0"`, []int32{}, 0},
		{`"99999999999"`, []int32{}, 0},
		{``, nil, 428},
		{`*`, nil, 428},
		{`3`, nil, 400},
		{`"3`, nil, 400},
		{`"3" OR 1=1`, nil, 400},
		{`"a"b"`, nil, 400},
	}
	for _, c := range cases {
		got, err := ifMatch(c.in)
		if c.code != 0 {
			if err == nil || toProblemStatus(err) != c.code {
				t.Errorf("%q: %v, want %d", c.in, err, c.code)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %v %v, want %v", c.in, got, err, c.want)
		}
	}
}

func TestParseListQuery(t *testing.T) {
	parks := layers.Default().Lookup("parks")
	colType := func(string) string { return "int4" }
	q, err := parseListQuery(parks, url.Values{"bbox": {"109.8,40.6,109.9,40.7"}, "sortby": {"-name,+area_m2"}, "limit": {"10"}, "offset": {"20"}, "pocket": {"true"}}, colType)
	if err != nil {
		t.Fatal(err)
	}
	if *q.BBox != [4]float64{109.8, 40.6, 109.9, 40.7} || q.Limit != 10 || q.Offset != 20 || q.OutSRID != 4326 {
		t.Fatalf("%+v", q)
	}
	if !reflect.DeepEqual(q.Sort, []SortKey{{"name", true}, {"area_m2", false}}) || !reflect.DeepEqual(q.Filters, []Filter{{"pocket", true}}) {
		t.Fatalf("%+v", q)
	}
	for _, bad := range []url.Values{
		{"bbox": {"1,2,3"}}, {"bbox": {"3,2,1,4"}}, {"bbox": {"-181,0,0,0"}}, {"bbox": {"NaN,0,1,1"}},
		{"sortby": {"pocket"}}, {"sortby": {"geom"}}, {"sortby": {`name"; DROP TABLE parks; --`}},
		{"limit": {"0"}}, {"limit": {"10001"}}, {"offset": {"-1"}}, {"limit": {"1", "2"}},
		{"at": {"2020-01-01"}}, {"colour": {"green"}}, {"geom": {"x"}}, {"city_id": {"3000000000"}},
	} {
		if _, err := parseListQuery(parks, bad, colType); err == nil || toProblemStatus(err) != 400 {
			t.Errorf("%v: %v, want 400", bad, err)
		}
	}
}

func toProblemStatus(err error) int {
	var pe *problem.Error
	if errors.As(toProblem(err), &pe) {
		return pe.Status
	}
	return 0
}

// TestBooleanFilterValues: a boolean filter takes true/false and, as GDAL sends them,
// 1/0; nothing else.
func TestBooleanFilterValues(t *testing.T) {
	parks := layers.Default().Lookup("parks")
	colType := func(string) string { return "bool" }
	for v, want := range map[string]bool{"true": true, "1": true, "false": false, "0": false} {
		q, err := parseListQuery(parks, url.Values{"pocket": {v}}, colType)
		if err != nil || len(q.Filters) != 1 || q.Filters[0].Value != want {
			t.Errorf("pocket=%s: %+v %v, want %v", v, q.Filters, err, want)
		}
	}
	for _, v := range []string{"yes", "2", "TRUE", "", "01", "-1"} {
		if _, err := parseListQuery(parks, url.Values{"pocket": {v}}, colType); err == nil || toProblemStatus(err) != 400 {
			t.Errorf("pocket=%q: %v, want 400", v, err)
		}
	}
}
