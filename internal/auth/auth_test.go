package auth_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/testdb"
)

func TestRoleOrder(t *testing.T) {
	for _, c := range []struct {
		have, need auth.Role
		ok         bool
	}{
		{auth.Viewer, auth.Viewer, true}, {auth.Viewer, auth.Editor, false}, {auth.Editor, auth.Viewer, true},
		{auth.Editor, auth.Admin, false}, {auth.Admin, auth.Editor, true}, {"", auth.Viewer, false}, {"root", auth.Viewer, false},
	} {
		if got := c.have.Allows(c.need); got != c.ok {
			t.Errorf("%q allows %q = %v", c.have, c.need, got)
		}
	}
	if _, err := auth.ParseRole("superuser"); err == nil {
		t.Error("unknown role accepted")
	}
}

func TestStoreHashesAndRevokes(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	s := &auth.Store{Pool: db.Pool}
	tok, secret, err := s.Create(ctx, "alice", auth.Editor)
	if err != nil {
		t.Fatal(err)
	}
	// Only the SHA-256 of the secret is stored; no column holds the secret itself.
	var stored []byte
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT secret_sha256, (SELECT count(*) FROM api_tokens t WHERE strpos(t::text, $1) > 0) FROM api_tokens WHERE id = $2`, secret, tok.ID).Scan(&stored, &n); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, auth.Digest(secret)) || len(stored) != 32 || n != 0 {
		t.Fatalf("stored %x", stored)
	}
	got, err := s.Lookup(ctx, secret)
	if err != nil || got.Name != "alice" || got.Role != auth.Editor {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	if _, _, err := s.Create(ctx, "alice", auth.Viewer); !errors.Is(err, auth.ErrNameTaken) {
		t.Fatalf("duplicate live name: %v", err)
	}
	for _, bad := range []string{"", "a b", "'; DROP TABLE api_tokens; --", "名字", string(make([]byte, 65))} {
		if _, _, err := s.Create(ctx, bad, auth.Viewer); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	if err := s.Revoke(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, secret); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("revoked token still found: %v", err)
	}
	if err := s.Revoke(ctx, "alice"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("second revoke: %v", err)
	}
	// The name is free again once revoked.
	if _, _, err := s.Create(ctx, "alice", auth.Viewer); err != nil {
		t.Fatal(err)
	}
	ts, err := s.List(ctx)
	if err != nil || len(ts) != 2 || ts[0].RevokedAt == nil || ts[1].RevokedAt != nil {
		t.Fatalf("list: %+v %v", ts, err)
	}
}

func TestMiddleware(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	tokens := auth.Static{"crk_v": {Name: "vera", Role: auth.Viewer}, "crk_e": {Name: "ed", Role: auth.Editor}}
	for _, anon := range []bool{true, false} {
		r := gin.New()
		r.Use(auth.Authenticate(tokens, nil))
		r.GET("/read", auth.Require(auth.Viewer, anon), func(c *gin.Context) { c.String(200, auth.FromContext(c).Name) })
		r.POST("/write", auth.Require(auth.Editor, anon), func(c *gin.Context) { c.String(200, auth.FromContext(c).Name) })
		for _, c := range []struct {
			method, path, header string
			code                 int
		}{
			{"GET", "/read", "", map[bool]int{true: 200, false: 401}[anon]},
			{"GET", "/read", "Bearer crk_v", 200},
			{"GET", "/read", "Bearer crk_nope", 401},
			{"GET", "/read", "Basic crk_v", 401},
			{"GET", "/read", "Bearer", 401},
			{"POST", "/write", "", 401},
			{"POST", "/write", "Bearer crk_v", 403},
			{"POST", "/write", "bearer crk_e", 200},
		} {
			req := httptest.NewRequest(c.method, c.path, nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != c.code {
				t.Errorf("anon=%v %s %s %q: %d, want %d", anon, c.method, c.path, c.header, w.Code, c.code)
			}
			if w.Code >= 400 && w.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("%d without problem+json", w.Code)
			}
			if w.Code == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		}
	}
}

// TestExpiry: a token with an expiry works until then and is refused after, like a
// revoked one; List shows the expiry; an expiry in the past is refused at creation.
func TestExpiry(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	s := &auth.Store{Pool: db.Pool}
	until := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Microsecond)
	tok, secret, err := s.CreateUntil(ctx, "temp", auth.Editor, until)
	if err != nil || tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(until) {
		t.Fatalf("create: %+v %v", tok, err)
	}
	if got, err := s.Lookup(ctx, secret); err != nil || got.Name != "temp" {
		t.Fatalf("lookup before expiry: %+v %v", got, err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE api_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second' WHERE name = 'temp'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, secret); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("expired token found: %v", err)
	}
	ts, err := s.List(ctx)
	if err != nil || len(ts) != 1 || ts[0].ExpiresAt == nil || time.Since(*ts[0].ExpiresAt) <= 0 {
		t.Fatalf("list: %+v %v", ts, err)
	}
	if _, _, err := s.CreateUntil(ctx, "late", auth.Viewer, time.Now().Add(-time.Hour)); err == nil || !strings.Contains(err.Error(), "not in the future") {
		t.Fatalf("past expiry: %v", err)
	}
}
