package testdb

import (
	"os"
	"path/filepath"
	"testing"
)

// DataFile returns the path of a real data file for a test: from the repository's geodata/
// or, beside the repository, the shared material's data/ (../shared/data from the
// repository root). Both are found from the test's working directory by walking up to the
// repository root (the folder with go.mod), never by an absolute path. A missing file
// fails the test under CI=true and skips it elsewhere.
func DataFile(t testing.TB, name string) string {
	t.Helper()
	if root, ok := repoRoot(); ok {
		for _, dir := range []string{filepath.Join(root, "geodata"), filepath.Join(root, "..", "shared", "data")} {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found in geodata/ or ../shared/data", name)
	}
	t.Skipf("%s not found in geodata/ or ../shared/data", name)
	return ""
}

// RepoRoot returns the repository root (the nearest folder at or above the test's working
// directory that holds go.mod), failing the test when there is none.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, ok := repoRoot()
	if !ok {
		t.Fatal("no go.mod at or above the working directory")
	}
	return root
}

// repoRoot is the nearest folder at or above the working directory that holds go.mod.
func repoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", false
		}
		dir = up
	}
}
