package search

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cityreach/cityreach/internal/fault"
)

func TestParseQuery(t *testing.T) {
	ok := []struct {
		in   string
		want Query
	}{
		{"q=%E9%9D%92%E5%B1%B1", Query{Text: "青山", Types: Types, Limit: 20}},
		{"q=++park+&city=baotou&types=park,district,park&limit=5&offset=10", Query{Text: "park", City: "baotou", Types: []string{"park", "district"}, Limit: 5, Offset: 10}},
		{"q=a&limit=100&offset=0", Query{Text: "a", Types: Types, Limit: 100}},
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
		var pe *fault.Error
		if !errors.As(err, &pe) || pe.Kind != fault.KindInvalid || pe.Extra["parameter"] != param {
			t.Errorf("%q: want an invalid fault naming %s, got %v", in, param, err)
		}
	}
}

func TestLikeEscape(t *testing.T) {
	if got := likeEscape(`50%_a\b`); got != `50\%\_a\\b` {
		t.Errorf("likeEscape: %s", got)
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
			var pe *fault.Error
			if !errors.As(err, &pe) || pe.Kind != fault.KindInvalid {
				t.Fatalf("%q: not an invalid fault: %v", raw, err)
			}
			return
		}
		if q.Text == "" || !utf8.ValidString(q.Text) || utf8.RuneCountInString(q.Text) > MaxQueryRunes || q.Limit < 1 || q.Limit > MaxLimit || q.Offset < 0 || q.Offset > MaxOffset || len(q.Types) == 0 {
			t.Fatalf("%q: out of limits: %+v", raw, q)
		}
	})
}
