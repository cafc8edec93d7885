package searchhttp

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/search"
)

var knownParams = []string{"q", "city", "types", "limit", "offset"}

// ParseQuery reads a search request's parameters. Every refusal is a 400 problem naming
// the parameter: an unknown or repeated parameter, an empty or over-long q or one with
// control characters, an unknown type, a limit outside 1–100, an offset outside 0–10000.
func ParseQuery(v url.Values) (search.Query, error) {
	for k, vs := range v {
		if !slices.Contains(knownParams, k) {
			return search.Query{}, bad(k, "unknown parameter "+k+"; known: q, city, types, limit, offset")
		}
		if len(vs) != 1 {
			return search.Query{}, bad(k, "parameter "+k+" is given more than once")
		}
	}
	q := search.Query{Text: strings.TrimSpace(v.Get("q")), City: v.Get("city"), Limit: search.DefaultLimit}
	switch {
	case !utf8.ValidString(q.Text):
		return search.Query{}, bad("q", "q is not valid UTF-8")
	case q.Text == "":
		return search.Query{}, bad("q", "q (the text to find) is required")
	case utf8.RuneCountInString(q.Text) > search.MaxQueryRunes:
		return search.Query{}, bad("q", fmt.Sprintf("q is longer than %d characters", search.MaxQueryRunes))
	case strings.IndexFunc(q.Text, unicode.IsControl) >= 0:
		return search.Query{}, bad("q", "q contains a control character")
	}
	if q.City != "" && !search.ValidSlug(q.City) {
		return search.Query{}, bad("city", "city must be a city slug (lower-case letters, digits, - and _)")
	}
	if t := v.Get("types"); t != "" || v.Has("types") {
		for _, s := range strings.Split(t, ",") {
			s = strings.TrimSpace(s)
			if !slices.Contains(search.Types, s) {
				return search.Query{}, bad("types", fmt.Sprintf("unknown type %q; types are %s", s, strings.Join(search.Types, ", ")))
			}
			if !slices.Contains(q.Types, s) {
				q.Types = append(q.Types, s)
			}
		}
	} else {
		q.Types = slices.Clone(search.Types)
	}
	var err error
	if q.Limit, err = intParam(v, "limit", search.DefaultLimit, 1, search.MaxLimit); err != nil {
		return search.Query{}, err
	}
	if q.Offset, err = intParam(v, "offset", 0, 0, search.MaxOffset); err != nil {
		return search.Query{}, err
	}
	return q, nil
}

func intParam(v url.Values, name string, def, lo, hi int) (int, error) {
	if !v.Has(name) {
		return def, nil
	}
	s := v.Get(name)
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi || strings.TrimLeft(s, "0123456789") != "" {
		return 0, bad(name, fmt.Sprintf("%s must be a whole number from %d to %d", name, lo, hi))
	}
	return n, nil
}

// ParseLabelQuery reads ?city=&layer=; both are required, nothing else is accepted.
func ParseLabelQuery(v url.Values) (search.LabelQuery, error) {
	for k, vs := range v {
		if k != "city" && k != "layer" {
			return search.LabelQuery{}, bad(k, "unknown parameter "+k+"; known: city, layer")
		}
		if len(vs) != 1 {
			return search.LabelQuery{}, bad(k, "parameter "+k+" is given more than once")
		}
	}
	q := search.LabelQuery{City: v.Get("city"), Layer: v.Get("layer")}
	if !search.ValidSlug(q.City) {
		return search.LabelQuery{}, bad("city", "city (a city slug) is required")
	}
	if _, ok := search.LabelLayers[q.Layer]; !ok {
		names := make([]string, 0, len(search.LabelLayers))
		for k := range search.LabelLayers {
			names = append(names, k)
		}
		slices.Sort(names)
		return search.LabelQuery{}, bad("layer", "layer must be one of "+strings.Join(names, ", "))
	}
	return q, nil
}

// bad is the 400 of an invalid parameter.
func bad(param, detail string) error {
	return problem.BadRequest(detail).With("parameter", param)
}
