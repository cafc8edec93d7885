package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/httpapi"
)

// TestHeavyRoutesAreBounded: with one computation per caller and one on the server, a
// caller's second computation is 429 at once, another caller's waits for the slot and gets
// 503 when it does not free in time, a light route is never held, and once the first
// computation answers the slot serves the next caller. Both refusals carry Retry-After.
func TestHeavyRoutesAreBounded(t *testing.T) {
	started, release := make(chan struct{}, 4), make(chan struct{})
	routes := httpapi.Routes{
		{Method: http.MethodGet, Path: "/heavy", Access: httpapi.Viewer, Heavy: true, Summary: "heavy",
			Handlers: []gin.HandlerFunc{func(c *gin.Context) {
				started <- struct{}{}
				<-release
				c.JSON(200, gin.H{"ok": true})
			}}},
		{Method: http.MethodGet, Path: "/light", Access: httpapi.Viewer, Summary: "light",
			Handlers: []gin.HandlerFunc{func(c *gin.Context) { c.JSON(200, gin.H{"ok": true}) }}},
	}
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.DiscardHandler), MaxBody: 1 << 10,
		Policy: httpapi.Policy{Tokens: auth.Static{"crk_x": {Name: "x", Role: auth.Viewer}, "crk_y": {Name: "y", Role: auth.Viewer}}},
		Heavy:  httpapi.HeavyLimits{Slots: 1, PerCaller: 1, Wait: 200 * time.Millisecond}}, routes))
	get := func(path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- get("/heavy", "crk_x") }()
	<-started // x holds the only slot
	if rec := get("/heavy", "crk_x"); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Errorf("x's second computation: %d, Retry-After %q; want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	t0 := time.Now()
	if rec := get("/heavy", "crk_y"); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("y while the server is full: %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if waited := time.Since(t0); waited < 200*time.Millisecond {
		t.Errorf("y was refused after %s, before the 200 ms wait", waited)
	}
	if rec := get("/light", "crk_y"); rec.Code != 200 {
		t.Errorf("a light route while the server is full: %d", rec.Code)
	}
	close(release)
	if rec := <-first; rec.Code != 200 {
		t.Fatalf("x's first computation: %d", rec.Code)
	}
	if rec := get("/heavy", "crk_y"); rec.Code != 200 {
		t.Errorf("y once the slot is free: %d %s", rec.Code, rec.Body)
	}
}
