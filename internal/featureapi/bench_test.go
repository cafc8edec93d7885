package featureapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cityreach/cityreach/internal/testdb"
)

const benchURL = "/api/v1/layers/residential_land/features?bbox=" + testdb.BenchBBox + "&limit=1000"

func TestListBBoxHoldsThousand(t *testing.T) {
	e := newEnv(t, true)
	e.db.ParcelGrid(t, e.city)
	r := e.do("GET", benchURL, "", nil)
	fc := r.JSON(t)
	if fc["numberMatched"] != json.Number("1000") {
		t.Fatalf("matched %v", fc["numberMatched"])
	}
	if n := len(fc["features"].([]any)); n != 1000 {
		t.Fatalf("returned %d", n)
	}
}

func BenchmarkListBBox1000(b *testing.B) {
	e := newEnv(b, true)
	e.db.ParcelGrid(b, e.city)
	req := httptest.NewRequest("GET", benchURL, nil)
	var bytes int
	for b.Loop() {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		bytes = w.Body.Len()
	}
	b.ReportMetric(float64(bytes), "bytes/response")
}
