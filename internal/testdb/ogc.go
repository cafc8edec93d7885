package testdb

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// OGCItems follows an OGC items request's next links to the end and returns every
// feature's properties, the feature's id (a JSON number as float64, or a string) under
// "@id", and the first page's numberMatched.
func OGCItems(t *testing.T, h http.Handler, path string) ([]map[string]any, int) {
	t.Helper()
	var out []map[string]any
	matched := -1
	for path != "" {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
		}
		var fc struct {
			Features []struct {
				ID         any            `json:"id"`
				Properties map[string]any `json:"properties"`
			} `json:"features"`
			Matched *int `json:"numberMatched"`
			Links   []struct {
				Rel, Href string
			} `json:"links"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &fc); err != nil {
			t.Fatal(err)
		}
		if matched < 0 && fc.Matched != nil {
			matched = *fc.Matched
		}
		for _, f := range fc.Features {
			if f.Properties == nil {
				f.Properties = map[string]any{}
			}
			f.Properties["@id"] = f.ID
			out = append(out, f.Properties)
		}
		path = ""
		for _, l := range fc.Links {
			if l.Rel == "next" {
				u, err := url.Parse(l.Href)
				if err != nil {
					t.Fatal(err)
				}
				path = u.RequestURI()
			}
		}
	}
	return out, matched
}
