package problem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestCheckParams(t *testing.T) {
	for _, tc := range []struct {
		query   string
		allowed []string
		param   string // "" when accepted
		detail  string
	}{
		{"city=baotou&level=district", []string{"city", "level"}, "", ""},
		{"", nil, "", ""},
		{"levle=district", []string{"city", "level"}, "levle", `unknown parameter "levle"; this resource takes city, level`},
		{"x=1", nil, "x", `unknown parameter "x"; this resource takes no parameters`},
		{"city=a&city=b", []string{"city"}, "city", `parameter "city" is given more than once`},
		// Sorted order: "a" is reported before "z" whatever the map order.
		{"z=1&a=1", []string{"city"}, "a", `unknown parameter "a"`},
		// Names are case-sensitive.
		{"City=baotou", []string{"city"}, "City", `unknown parameter "City"`},
		// An empty name is a parameter too.
		{"=1", []string{"city"}, "", `unknown parameter ""`},
	} {
		q, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		got := CheckParams(q, tc.allowed...)
		if tc.detail == "" {
			if got != nil {
				t.Errorf("%q: %v, want accepted", tc.query, got)
			}
			continue
		}
		if got == nil || got.Status != 400 || got.Extra["parameter"] != tc.param || !strings.HasPrefix(got.Detail, tc.detail) {
			t.Errorf("%q: %+v, want 400 %q naming %q", tc.query, got, tc.detail, tc.param)
		}
	}
}

func TestCheckJSON(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		status  int // 0: accepted
		pointer string
	}{
		{"object", `{"a": [1, "x", {"b": "ü"}]}`, 0, ""},
		{"truncated", `{"a": 1`, 400, ""},
		{"trailing data", `{"a": 1} {"b": 2}`, 400, ""},
		{"bare word", `nope`, 400, ""},
		// Invalid bytes: \xff never starts a UTF-8 sequence; \xe4\xb8 is a cut-off 3-byte sequence.
		{"value", "{\"name\": \"bad\xff\"}", 422, "/name"},
		{"nested value", "{\"a\": {\"b\": [\"ok\", \"ok\", \"x\xe4\xb8\"]}}", 422, "/a/b/2"},
		{"member name", "{\"ok\": 1, \"k\xff\": 2}", 422, "/k\ufffd"},
		{"after an object", "{\"a\": {\"b\": 1}, \"c\": \"\xc0\xaf\"}", 422, "/c"},
		{"escaped names", "{\"a/b\": {\"c~d\": \"\xff\"}}", 422, "/a~1b/c~0d"},
		{"root string", "\"\xff\"", 422, ""},
		{"valid multibyte", `{"name": "包头 ✓"}`, 0, ""},
	} {
		got := CheckJSON([]byte(tc.body))
		switch {
		case tc.status == 0 && got != nil:
			t.Errorf("%s: %v, want accepted", tc.name, got)
		case tc.status != 0 && (got == nil || got.Status != tc.status):
			t.Errorf("%s: %+v, want %d", tc.name, got, tc.status)
		case tc.status == 422 && got.Extra["pointer"] != tc.pointer:
			t.Errorf("%s: pointer %q, want %q", tc.name, got.Extra["pointer"], tc.pointer)
		}
	}
}

func TestReadJSON(t *testing.T) {
	if raw, err := ReadJSON(strings.NewReader("  \n"), 10); raw != nil || err != nil {
		t.Errorf("blank body: %q %v, want nil, nil", raw, err)
	}
	if _, err := ReadJSON(strings.NewReader(`{"a":"12345678"}`), 10); err == nil || err.Status != 413 || err.Extra["limit"] != int64(10) {
		t.Errorf("17 bytes over a limit of 10: %+v, want 413 naming the limit", err)
	}
	if raw, err := ReadJSON(strings.NewReader(`{"a":"1"}`), 9); err != nil || string(raw) != `{"a":"1"}` {
		t.Errorf("exactly the limit: %q %v", raw, err)
	}
	// The engine's MaxBytesReader cut the body: 413 with the engine's limit.
	rec := httptest.NewRecorder()
	body := http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(strings.Repeat("x", 100))), 50)
	if _, err := ReadJSON(body, 0); err == nil || err.Status != 413 || err.Extra["limit"] != int64(50) {
		t.Errorf("engine limit: %+v, want 413 naming 50", err)
	}
}

func TestFirstInvalidUTF8(t *testing.T) {
	for in, want := range map[string]int{"": -1, "abc": -1, "包头": -1, "ab\xffc": 2, "包\xe5\x8c": 3, "\xed\xa0\x80": 0} {
		if got := FirstInvalidUTF8([]byte(in)); got != want {
			t.Errorf("%q: %d, want %d", in, got, want)
		}
	}
}

// FuzzCheckJSON: whatever the body, the check does not panic; valid UTF-8 is never a 422;
// well-formed JSON with invalid UTF-8 is always a 422 with a pointer; anything that
// encoding/json refuses is a 400.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,"x"]}`, "{\"a\":\"\xff\"}", "[\"\xe4\xb8\"]", `{"a":`, "\"\xc0\"", `{"a~/":{"b":["\u00ff"]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := CheckJSON(b)
		switch {
		case !json.Valid(b):
			if err == nil || err.Status != 400 {
				t.Fatalf("malformed %q: %+v", b, err)
			}
		case !utf8.Valid(b):
			if err == nil || err.Status != 422 {
				t.Fatalf("invalid UTF-8 %q: %+v", b, err)
			}
			if _, ok := err.Extra["pointer"].(string); !ok {
				t.Fatalf("no pointer for %q", b)
			}
		case err != nil:
			t.Fatalf("valid %q: %+v", b, err)
		}
	})
}

// respond runs Respond for err in a gin context whose request context is ctx.
func respond(t *testing.T, ctx context.Context, err error, timeout time.Duration) *httptest.ResponseRecorder {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodGet, "/x", nil).WithContext(ctx)
	if timeout > 0 {
		c.Set(StatementTimeoutKey, timeout)
	}
	Respond(c, slog.New(slog.NewTextHandler(io.Discard, nil)), err) //nolint:contextcheck // c carries ctx as its request's context
	if ct := rec.Header().Get("Content-Type"); ct != ContentType {
		t.Errorf("%v: content type %q", err, ct)
	}
	return rec
}

func TestRespondDatabaseFailures(t *testing.T) {
	// A real connection failure: nothing listens on port 1.
	_, connErr := pgconn.Connect(context.Background(), "postgres://x@127.0.0.1:1/x?connect_timeout=2")
	if connErr == nil {
		t.Fatal("connected to port 1")
	}
	pg := func(code, msg string) error {
		return fmt.Errorf("query: %w", &pgconn.PgError{Severity: "FATAL", Code: code, Message: msg})
	}
	for _, tc := range []struct {
		name   string
		err    error
		status int
	}{
		{"connection refused", connErr, 503},
		{"admin shutdown (fast restart)", pg("57P01", "terminating connection due to administrator command"), 503},
		{"crash shutdown", pg("57P02", "terminating connection because of crash of another server process"), 503},
		{"starting up", pg("57P03", "the database system is starting up"), 503},
		{"connection failure", pg("08006", "connection failure"), 503},
		{"too many connections", pg("53300", "sorry, too many clients already"), 503},
		{"closed connection", fmt.Errorf("commit: %w", pgconn.ErrConnClosed), 503},
		{"connection ended mid-message", fmt.Errorf("failed to deallocate cached statement(s): %w", io.ErrUnexpectedEOF), 503},
		{"statement timeout", pg("57014", "canceling statement due to statement timeout"), 504},
		{"constraint", pg("23514", "new row violates check constraint"), 500},
		{"syntax", pg("42601", "syntax error"), 500},
		{"plain", errors.New("boom"), 500},
	} {
		rec := respond(t, context.Background(), tc.err, 1500*time.Millisecond)
		if rec.Code != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.status)
			continue
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(rec.Body.String(), "SQLSTATE") || strings.Contains(rec.Body.String(), "administrator") {
			t.Errorf("%s: driver text in the body: %s", tc.name, rec.Body)
		}
		switch tc.status {
		case 503:
			if rec.Header().Get("Retry-After") != "5" {
				t.Errorf("%s: Retry-After %q, want 5", tc.name, rec.Header().Get("Retry-After"))
			}
		case 504:
			if body["statement_timeout"] != "1.5s" || !strings.Contains(body["detail"].(string), "1.5s") {
				t.Errorf("%s: %v, want the limit 1.5s named", tc.name, body)
			}
		}
	}
}

func TestRespondClientGone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if rec := respond(t, ctx, fmt.Errorf("query: %w", context.Canceled), 0); rec.Code != 499 {
		t.Errorf("client gone: %d, want 499", rec.Code)
	}
	// Even a driver error that is not the context's own counts as the client's leaving.
	if rec := respond(t, ctx, pgconn.ErrConnClosed, 0); rec.Code != 499 {
		t.Errorf("client gone, conn closed: %d, want 499", rec.Code)
	}
}
