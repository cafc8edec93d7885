package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/testdb"
)

// TestTokenExpires: `token create --expires 90d` stores an expiry 90 days after the
// creation (by the database's own clock, within the minute the command takes), `token
// list` shows it, and an expiry in the past is refused.
func TestTokenExpires(t *testing.T) {
	db := testdb.New(t)
	run := runner(db.URL)
	code, out, errOut := run("token", "create", "--name", "temp", "--role", "editor", "--expires", "90d")
	if code != 0 || !strings.HasPrefix(out, "crk_") {
		t.Fatalf("create: %d %q %q", code, out, errOut)
	}
	var lifetime time.Duration
	var expires time.Time
	if err := db.Pool.QueryRow(context.Background(), `SELECT expires_at - created_at, expires_at FROM api_tokens WHERE name = 'temp'`).Scan(&lifetime, &expires); err != nil {
		t.Fatal(err)
	}
	if d := lifetime - 90*24*time.Hour; d < -time.Minute || d > time.Minute {
		t.Errorf("lifetime %s, want 90 days", lifetime)
	}
	code, out, _ = run("token", "list")
	if code != 0 || !strings.Contains(out, "EXPIRES") || !strings.Contains(out, expires.UTC().Format(time.RFC3339)) {
		t.Errorf("list: %d\n%s", code, out)
	}
	if code, _, errOut = run("token", "create", "--name", "past", "--expires", "2020-01-01"); code == 0 || !strings.Contains(errOut, "not in the future") {
		t.Errorf("past expiry: %d %q", code, errOut)
	}
}
