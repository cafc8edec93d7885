package cli

import (
	"io"
	"testing"
	"time"
)

// TestBulkCommandsHaveNoStatementTimeoutByDefault: seed, import and migrate run without the
// interactive 60 s statement timeout unless one is given by flag or environment, which
// then holds; every other command keeps the default.
func TestBulkCommandsHaveNoStatementTimeoutByDefault(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  string
		want time.Duration
	}{
		{"seed", nil, "", 0},
		{"seed osm", nil, "", 0},
		{"import", nil, "", 0},
		{"import ages", nil, "", 0},
		{"migrate", nil, "", 0},
		{"seed", []string{"--statement-timeout", "90m"}, "", 90 * time.Minute},
		{"seed", nil, "2m", 2 * time.Minute},
		{"indicator park-coverage", nil, "", 60 * time.Second},
		{"report", nil, "", 60 * time.Second},
		{"tiles", []string{"--statement-timeout", "5s"}, "", 5 * time.Second},
	} {
		env := Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string {
			if k == "CITYREACH_STATEMENT_TIMEOUT" {
				return c.env
			}
			return ""
		}}
		cfg, _, err := setup(env, c.name, c.args, false, nil)
		if err != nil {
			t.Fatalf("%s %v: %v", c.name, c.args, err)
		}
		if cfg.StatementTimeout != c.want {
			t.Errorf("%s %v (env %q): statement timeout %s, want %s", c.name, c.args, c.env, cfg.StatementTimeout, c.want)
		}
	}
}
