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
// caller's second, different computation is 429 at once; another caller's different one
// waits for the slot and gets 503 when it does not free in time; an identical request
// joins the computation in flight (it shares the slot); a light route is never held; and
// once the first computation answers, the slot serves the next caller. Both refusals carry
// Retry-After.
func TestHeavyRoutesAreBounded(t *testing.T) {
	started, release := make(chan struct{}, 4), make(chan struct{})
	routes := httpapi.Routes{
		{Method: http.MethodGet, Path: "/heavy", Access: httpapi.Viewer, Heavy: true, Summary: "heavy", Params: []httpapi.Param{{Name: "n"}},
			Handlers: []gin.HandlerFunc{func(c *gin.Context) {
				started <- struct{}{}
				<-release
				c.JSON(200, gin.H{"ok": true})
			}}},
		{Method: http.MethodGet, Path: "/light", Access: httpapi.Viewer, Summary: "light",
			Handlers: []gin.HandlerFunc{func(c *gin.Context) { c.JSON(200, gin.H{"ok": true}) }}},
	}
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.DiscardHandler), MaxBody: 1 << 10,
		Policy: httpapi.Policy{Tokens: auth.Static{"crk_x": {Name: "x", Role: auth.Viewer}, "crk_y": {Name: "y", Role: auth.Viewer}, "crk_z": {Name: "z", Role: auth.Viewer}}},
		Heavy:  httpapi.HeavyLimits{Slots: 1, PerCaller: 1, Wait: 200 * time.Millisecond}}, routes))
	get := func(path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	first, joined := make(chan *httptest.ResponseRecorder), make(chan *httptest.ResponseRecorder)
	go func() { first <- get("/heavy?n=1", "crk_x") }()
	<-started // x holds the only slot
	go func() { joined <- get("/heavy?n=1", "crk_y") }()
	<-started // y's identical request runs beside it, in the same slot
	if rec := get("/heavy?n=2", "crk_x"); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Errorf("x's second computation: %d, Retry-After %q; want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	t0 := time.Now()
	if rec := get("/heavy?n=3", "crk_z"); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("z while the server is full: %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if waited := time.Since(t0); waited < 200*time.Millisecond {
		t.Errorf("z was refused after %s, before the 200 ms wait", waited)
	}
	if rec := get("/light", "crk_z"); rec.Code != 200 {
		t.Errorf("a light route while the server is full: %d", rec.Code)
	}
	close(release)
	if rec := <-first; rec.Code != 200 {
		t.Fatalf("x's first computation: %d", rec.Code)
	}
	if rec := <-joined; rec.Code != 200 {
		t.Fatalf("y's identical request: %d", rec.Code)
	}
	if rec := get("/heavy?n=3", "crk_z"); rec.Code != 200 {
		t.Errorf("z once the slot is free: %d %s", rec.Code, rec.Body)
	}
}
