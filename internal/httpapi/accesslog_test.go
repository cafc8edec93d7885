package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/httpapi"
)

// TestAccessLogJSON runs the engine with the logger that --log-format json builds, writing
// into a buffer, and reads back one JSON record per request. Each record's fields are
// compared with the request made and with what the client received (status and body length
// as the recorder saw them, the token's id as the test gave it); the token's secret, the
// path's values and the query's values appear nowhere in the log.
func TestAccessLogJSON(t *testing.T) {
	cfg := config.Defaults()
	cfg.LogFormat = "json"
	var buf bytes.Buffer
	const secret, querySecret = "crk_alice-secret", "hunter2-query"
	table := httpapi.Routes{
		{Method: http.MethodGet, Path: "/things/:id", Access: httpapi.AnonymousRead, AnyQuery: true, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodPost, Path: "/things", Access: httpapi.Editor, Summary: "s", Handlers: []gin.HandlerFunc{func(c *gin.Context) { c.String(http.StatusCreated, "made") }}},
	}
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: cfg.LoggerTo(&buf), MaxBody: 1 << 20,
		Policy: httpapi.Policy{AnonymousRead: true, Tokens: auth.Static{secret: {ID: 42, Name: "alice", Role: auth.Editor}}}}, table))

	type want struct {
		method, route, requestID string
		status, bytes            int
		tokenID                  int64 // 0: no token_id field
		took                     time.Duration
	}
	var wants []want
	for _, r := range []struct {
		method, target, secret, requestID string
		route                             string
		status                            int
		tokenID                           int64
	}{
		{"GET", "/things/7?api_key=" + querySecret, "", "req-one", "/things/:id", 200, 0},
		{"GET", "/things/8", secret, "", "/things/:id", 200, 42},
		{"POST", "/things", secret, "req-three", "/things", 201, 42},
		{"POST", "/things", "", "", "/things", 401, 0},                 // anonymous write
		{"GET", "/nowhere/" + querySecret, "", "", "", 404, 0},         // no route matched
		{"GET", "/things/9", "crk_unknown", "", "/things/:id", 401, 0}, // unknown token
	} {
		req := httptest.NewRequest(r.method, r.target, nil)
		if r.secret != "" {
			req.Header.Set("Authorization", "Bearer "+r.secret)
		}
		if r.requestID != "" {
			req.Header.Set("X-Request-Id", r.requestID)
		}
		if r.method == http.MethodPost {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		if rec.Code != r.status {
			t.Fatalf("%s %s: %d, want %d", r.method, r.target, rec.Code, r.status)
		}
		if id := rec.Header().Get("X-Request-Id"); id == "" || (r.requestID != "" && id != r.requestID) {
			t.Fatalf("%s %s: request id %q, want %q", r.method, r.target, id, r.requestID)
		}
		wants = append(wants, want{r.method, r.route, rec.Header().Get("X-Request-Id"), rec.Code, rec.Body.Len(), r.tokenID, time.Since(start)})
	}

	log := buf.String()
	for _, leak := range []string{secret, querySecret, "crk_unknown", "/things/7", "/things/8", "/nowhere"} {
		if strings.Contains(log, leak) {
			t.Errorf("the log holds %q:\n%s", leak, log)
		}
	}
	var got []map[string]any
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		if rec["msg"] == "http" {
			got = append(got, rec)
		}
	}
	if len(got) != len(wants) {
		t.Fatalf("%d access records for %d requests:\n%s", len(got), len(wants), log)
	}
	for i, w := range wants {
		g := got[i]
		if g["level"] != "INFO" || g["method"] != w.method || g["route"] != w.route || g["status"] != float64(w.status) ||
			g["bytes"] != float64(w.bytes) || g["request_id"] != w.requestID {
			t.Errorf("request %d: record %v, want %+v", i, g, w)
		}
		if ms, _ := g["ms"].(float64); ms < 0 || ms > float64(w.took.Microseconds())/1000 {
			t.Errorf("request %d: ms %v outside [0, %v]", i, g["ms"], w.took)
		}
		if id, has := g["token_id"]; (w.tokenID == 0) == has || (has && id != float64(w.tokenID)) {
			t.Errorf("request %d: token_id %v, want %d", i, id, w.tokenID)
		}
	}
}
