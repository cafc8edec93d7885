package searchhttp

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/search"
)

func TestParseQuery(t *testing.T) {
	ok := []struct {
		in   string
		want search.Query
	}{
		{"q=%E9%9D%92%E5%B1%B1", search.Query{Text: "青山", Types: search.Types, Limit: 20}},
		{"q=++park+&city=baotou&types=park,district,park&limit=5&offset=10", search.Query{Text: "park", City: "baotou", Types: []string{"park", "district"}, Limit: 5, Offset: 10}},
		{"q=a&limit=100&offset=0", search.Query{Text: "a", Types: search.Types, Limit: 100}},
	}
	for _, c := range ok {
		v, _ := url.ParseQuery(c.in)
		got, err := ParseQuery(v)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got.Text != c.want.Text || got.City != c.want.City || !slices.Equal(got.Types, c.want.Types) || got.Limit != c.want.Limit || got.Offset != c.want.Offset {
			t.Errorf("%s: got %+v, want %+v", c.in, got, c.want)
		}
	}
	bad := map[string]string{
		"":                             "q",
		"q=+++":                        "q",
		"q=a&filter=x":                 "filter",
		"q=a&q=b":                      "q",
		"q=a&types=park,lake":          "types",
		"q=a&types=":                   "types",
		"q=a&limit=0":                  "limit",
		"q=a&limit=101":                "limit",
		"q=a&limit=-1":                 "limit",
		"q=a&limit=1e1":                "limit",
		"q=a&limit=+5":                 "limit",
		"q=a&offset=10001":             "offset",
		"q=a&city=Bao+Tou":             "city",
		"q=a%00b":                      "q",
		"q=%FF%FE":                     "q",
		"q=" + strings.Repeat("园", 65): "q",
	}
	for in, param := range bad {
		v, _ := url.ParseQuery(in)
		_, err := ParseQuery(v)
		var pe *problem.Error
		if !errors.As(err, &pe) || pe.Status != 400 || pe.Extra["parameter"] != param {
			t.Errorf("%q: want a 400 naming %s, got %v", in, param, err)
		}
	}
}

func TestParseLabelQuery(t *testing.T) {
	v, _ := url.ParseQuery("city=baotou&layer=communities")
	if q, err := ParseLabelQuery(v); err != nil || q.Layer != "communities" || q.City != "baotou" {
		t.Fatalf("%+v %v", q, err)
	}
	for _, in := range []string{"layer=parks", "city=baotou", "city=baotou&layer=facilities", "city=baotou&layer=parks&x=1", "city=baotou&layer=parks&layer=parks"} {
		v, _ := url.ParseQuery(in)
		if _, err := ParseLabelQuery(v); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
}

// FuzzParseQuery: any query string either parses into a query inside the limits or is a
// 400 problem; it never panics.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"q=青山", "q=a&types=park&limit=5&offset=3", "q=%25_%5C", "q=a&limit=999999999999999999999", "types=,,&q=x", "q=%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseQuery(v)
		if err != nil {
			var pe *problem.Error
			if !errors.As(err, &pe) || pe.Status != 400 {
				t.Fatalf("%q: not a 400: %v", raw, err)
			}
			return
		}
		if q.Text == "" || !utf8.ValidString(q.Text) || utf8.RuneCountInString(q.Text) > search.MaxQueryRunes || q.Limit < 1 || q.Limit > search.MaxLimit || q.Offset < 0 || q.Offset > search.MaxOffset || len(q.Types) == 0 {
			t.Fatalf("%q: out of limits: %+v", raw, q)
		}
	})
}
