package problemshttp

import (
	"net/url"
	"slices"
	"testing"

	"github.com/cityreach/cityreach/internal/problems"
)

// FuzzParse: whatever the query, parse either refuses it or returns a query the domain
// can take as is: known indicators without repeats of an unknown, a format and a language
// of the lists, sites and min_coverage in range.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"city=baotou",
		"city=baotou&from=2024%20现状&to=2025-01-01&indicator=park-coverage,living-circle&status=fixed&format=xlsx&lang=en",
		"indicator=park-coverage,,living-circle", "indicator=%00", "sites=-1", "sites=201", "sites=1e3", "min_coverage=NaN",
		"min_coverage=0", "min_coverage=1", "min_coverage=+Inf", "format=csv", "lang=fr", "district=150201&unit=150201001001",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, format, lang, err := parse(v)
		if err != nil {
			return
		}
		for _, ind := range q.Indicators {
			if !slices.Contains(problems.Indicators, ind) {
				t.Fatalf("%q: indicator %q accepted", raw, ind)
			}
		}
		if !slices.Contains([]string{"", "json", "geojson", "xlsx"}, format) || !slices.Contains([]string{"", "zh", "en"}, lang) {
			t.Fatalf("%q: format %q lang %q accepted", raw, format, lang)
		}
		if q.Sites < 0 || q.Sites > problems.MaxSites || q.MinCoverage < 0 || q.MinCoverage > 1 || q.MinCoverage != q.MinCoverage {
			t.Fatalf("%q: sites %d min_coverage %v accepted", raw, q.Sites, q.MinCoverage)
		}
	})
}
