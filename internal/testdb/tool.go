package testdb

import (
	"os"
	"os/exec"
	"testing"
)

// NeedTool skips the test when the program name (an oracle such as ogr2ogr or osmium) is
// not on PATH; under CI=true it fails the test instead, since CI installs every oracle
// (scripts/install-test-deps.sh).
func NeedTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI (scripts/install-test-deps.sh)", name)
		}
		t.Skipf("%s not installed", name)
	}
}
