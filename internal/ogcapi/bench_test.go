package ogcapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cityreach/cityreach/internal/testdb"
)

const benchURL = "/ogc/collections/residential_land/items?bbox=" + testdb.BenchBBox + "&limit=1000"

func TestItemsBBoxHoldsThousand(t *testing.T) {
	e := newEnv(t)
	e.db.ParcelGrid(t, e.city)
	fc := e.get(benchURL).JSON(t)
	if fc["numberMatched"] != json.Number("1000") || len(fc["features"].([]any)) != 1000 {
		t.Fatalf("matched %v, returned %d", fc["numberMatched"], len(fc["features"].([]any)))
	}
}

func BenchmarkItemsBBox1000(b *testing.B) {
	e := newEnv(b)
	e.db.ParcelGrid(b, e.city)
	req := httptest.NewRequest("GET", benchURL, nil)
	var size int
	for b.Loop() {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/response")
}
