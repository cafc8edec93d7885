package ogcapi_test

import (
	"net/url"
	"testing"
)

// TestInjectionTouchesNothing sends SQL injection attempts in every parameter that names
// something or carries a value; each must be refused with 400 problem+json, and every
// table must be unchanged afterwards.
func TestInjectionTouchesNothing(t *testing.T) {
	e := newEnv(t)
	e.seed()
	before := e.checksum()
	items := "/ogc/collections/parks/items?"
	cases := []struct{ name, path string }{
		{"filter stacked", items + "filter=" + url.QueryEscape("name = 'x'; DROP TABLE parks; --")},
		{"filter quote", items + "filter=" + url.QueryEscape("name = 'x' OR '1'='1")},
		{"filter comment", items + "filter=" + url.QueryEscape("name = 'x' /* */ OR 1=1")},
		{"filter identifier", items + "filter=" + url.QueryEscape(`"name"" = '' OR 1=1; DELETE FROM parks; --" = 'x'`)},
		{"filter function", items + "filter=" + url.QueryEscape("pg_sleep(10) = 1")},
		{"filter subquery", items + "filter=" + url.QueryEscape("name IN (SELECT name FROM api_tokens)")},
		{"filter geometry", items + "filter=" + url.QueryEscape("S_INTERSECTS(geometry, POINT(1 1)); DELETE FROM parks")},
		{"filter-crs", items + "filter=name%3D'x'&filter-crs=" + url.QueryEscape("4326); DELETE FROM parks; --")},
		{"sortby", items + "sortby=" + url.QueryEscape("name; DROP TABLE parks")},
		{"sortby expr", items + "sortby=" + url.QueryEscape("(SELECT 1)")},
		{"sortby case", items + "sortby=" + url.QueryEscape("-name,CASE WHEN 1=1 THEN name END")},
		{"properties", items + "properties=" + url.QueryEscape("name,version); DELETE FROM parks; --")},
		{"properties star", items + "properties=*"},
		{"equality name", items + url.QueryEscape("name = '' OR 1=1 --") + "=x"},
		{"equality value", items + "pocket=" + url.QueryEscape("true; DELETE FROM parks")},
		{"id", "/ogc/collections/parks/items/" + url.PathEscape("1; DELETE FROM parks")},
		{"id or", "/ogc/collections/parks/items/" + url.PathEscape("1 OR 1=1")},
		{"bbox", items + "bbox=" + url.QueryEscape("1,2,3,4); DELETE FROM parks; --")},
		{"bbox-crs", items + "bbox=1,2,3,4&bbox-crs=" + url.QueryEscape("EPSG:4326; DROP TABLE parks")},
		{"crs", items + "crs=" + url.QueryEscape("4326); DELETE FROM parks; --")},
		{"limit", items + "limit=" + url.QueryEscape("1; DELETE FROM parks")},
		{"offset", items + "offset=" + url.QueryEscape("0 UNION SELECT * FROM api_tokens")},
		{"datetime", items + "datetime=" + url.QueryEscape("2024-01-01'; DELETE FROM growth_boundaries; --")},
		{"datetime temporal", "/ogc/collections/growth_boundaries/items?datetime=" + url.QueryEscape("2024-01-01'; DELETE FROM growth_boundaries; --")},
	}
	for _, c := range cases {
		r := e.get(c.path)
		if r.Code != 400 || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s", c.name, r.Code, r.Body)
		}
	}
	if after := e.checksum(); after != before {
		t.Fatalf("tables changed:\nbefore %s\nafter  %s", before, after)
	}
}
