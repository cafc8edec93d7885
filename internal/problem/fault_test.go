package problem

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/fault"
)

// TestRespondFaults answers each fault kind, wrapped as a domain package would wrap it, and
// compares the whole response with the document written out by hand: the status of RFC 9110
// for the kind, its reason phrase as title, the detail, the members, and for TooMany the
// Retry-After header and retry_after member rounded up to whole seconds.
func TestRespondFaults(t *testing.T) {
	for _, tc := range []struct {
		err        error
		body       string
		retryAfter string
	}{
		{fault.Invalid("city is required").With("parameter", "city"),
			`{"detail":"city is required","instance":"/x","parameter":"city","status":400,"title":"Bad Request","type":"about:blank"}`, ""},
		{fmt.Errorf("loading: %w", fault.NotFound(`no city "x"`).With("parameter", "city")),
			`{"detail":"no city \"x\"","instance":"/x","parameter":"city","status":404,"title":"Not Found","type":"about:blank"}`, ""},
		{fault.Conflict("the scenario has been promoted"),
			`{"detail":"the scenario has been promoted","instance":"/x","status":409,"title":"Conflict","type":"about:blank"}`, ""},
		{fault.PreconditionFailed("version 3 is not current").With("currentETag", `"3"`),
			`{"currentETag":"\"3\"","detail":"version 3 is not current","instance":"/x","status":412,"title":"Precondition Failed","type":"about:blank"}`, ""},
		{fault.Unprocessable("invalid geometry: Self-intersection").With("reason", "Self-intersection").With("pointer", "/feature/geometry"),
			`{"detail":"invalid geometry: Self-intersection","instance":"/x","pointer":"/feature/geometry","reason":"Self-intersection","status":422,"title":"Unprocessable Entity","type":"about:blank"}`, ""},
		{fault.TooMany("the queue is full", 29500*time.Millisecond).With("limit", 2),
			`{"detail":"the queue is full","instance":"/x","limit":2,"retry_after":30,"status":429,"title":"Too Many Requests","type":"about:blank"}`, "30"},
		{fault.Unavailable("the network is loading", 0),
			`{"detail":"the network is loading","instance":"/x","status":503,"title":"Service Unavailable","type":"about:blank"}`, ""},
	} {
		rec := respond(t, context.Background(), tc.err, 0)
		if got := rec.Body.String(); got != tc.body {
			t.Errorf("%v:\n got %s\nwant %s", tc.err, got, tc.body)
		}
		if got := rec.Header().Get("Retry-After"); got != tc.retryAfter {
			t.Errorf("%v: Retry-After %q, want %q", tc.err, got, tc.retryAfter)
		}
	}
}

// TestConstructorsAreFaults: the protocol packages' shorthands give the same document as
// the fault they stand for, so a kind has one status wherever it is raised.
func TestConstructorsAreFaults(t *testing.T) {
	for _, tc := range []struct {
		p *Error
		f *fault.Error
	}{
		{BadRequest("b").With("parameter", "p"), fault.Invalid("b").With("parameter", "p")},
		{NotFound("n"), fault.NotFound("n")},
		{Unprocessable("u"), fault.Unprocessable("u")},
		{TooManyRequests("t", 2*time.Second), fault.TooMany("t", 2*time.Second)},
	} {
		a, b := respond(t, context.Background(), tc.p, 0), respond(t, context.Background(), tc.f, 0)
		if a.Code != b.Code || a.Body.String() != b.Body.String() || a.Header().Get("Retry-After") != b.Header().Get("Retry-After") {
			t.Errorf("%v: problem %d %s, fault %d %s", tc.p, a.Code, a.Body, b.Code, b.Body)
		}
	}
}
