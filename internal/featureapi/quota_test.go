package featureapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/importer"
	"github.com/cityreach/cityreach/internal/problem"
)

// TestImportQuotaIs429: the importer's refusal, a domain error, becomes 429 only here,
// through its TooMany fault: Retry-After 30 (importer.ImportRetryAfter), the detail as
// it is and the limit as a member of the problem document.
func TestImportQuotaIs429(t *testing.T) {
	gin.SetMode(gin.TestMode)
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest(http.MethodPost, "/api/v1/layers/parks/import", nil)
	err := fmt.Errorf("start: %w", &importer.QuotaError{Detail: "the server runs 4 background imports, its limit; try again later", Limit: 4})
	problem.Respond(c, nil, toProblem(err))
	var m map[string]any
	if jerr := json.Unmarshal(w.Body.Bytes(), &m); jerr != nil {
		t.Fatal(jerr)
	}
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "30" || w.Header().Get("Content-Type") != problem.ContentType ||
		m["limit"] != 4.0 || m["retry_after"] != 30.0 || m["detail"] != "the server runs 4 background imports, its limit; try again later" {
		t.Errorf("%d %v %v", w.Code, w.Header(), m)
	}
}
