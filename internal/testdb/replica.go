package testdb

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// replicaOnce runs scripts/replica.sh up at most once per test binary.
var replicaOnce struct {
	sync.Once
	url string
	err string
}

// ReplicaURL returns the URL of db's database on the streaming replica of the test server
// ($CITYREACH_TEST_REPLICA_URL, any database; scripts/replica.sh makes one on port 5433),
// once the replica has replayed the database's creation. Without the variable, under
// CI=true, it runs scripts/replica.sh up itself (as root, ~40 s the first time, ~2 s when
// the replica exists); elsewhere the test is skipped.
//
// The replica is shared by the test binaries that go test runs in parallel, so t holds a
// file lock on it until it ends: shared, or exclusive when the test stops the replica or
// pauses its replay (disturb).
func ReplicaURL(t testing.TB, db *DB, disturb bool) string {
	t.Helper()
	lockReplica(t, disturb)
	base := os.Getenv("CITYREACH_TEST_REPLICA_URL")
	if base == "" {
		if os.Getenv("CI") != "true" {
			t.Skip("no streaming replica (set CITYREACH_TEST_REPLICA_URL; scripts/replica.sh up makes one)")
		}
		replicaOnce.Do(func() {
			out, err := ReplicaScript("up")
			if err != nil {
				replicaOnce.err = err.Error() + "\n" + out
				return
			}
			for _, line := range strings.Split(out, "\n") {
				if v, ok := strings.CutPrefix(line, "export CITYREACH_TEST_REPLICA_URL="); ok {
					replicaOnce.url = strings.Trim(v, "'")
				}
			}
		})
		if replicaOnce.url == "" {
			t.Fatalf("CI=true needs a streaming replica; scripts/replica.sh up failed: %s", replicaOnce.err)
		}
		base = replicaOnce.url
	}
	u, err := withDatabase(base, db.Name)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := pgx.Connect(ctx, u)
		cancel()
		if err == nil {
			c.Close(context.Background()) //nolint:errcheck // a probe connection
			return u
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica has not replayed the creation of database %s in a minute: %v", db.Name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// lockReplica takes the replica's lock for t (a flock on a file in the temporary folder,
// released when t ends).
func lockReplica(t testing.TB, exclusive bool) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "cityreach-test-replica.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close() //nolint:errcheck // the lock error is the one reported
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() }) //nolint:errcheck // closing releases the lock
}

// ReplicaScript runs scripts/replica.sh with one command (up, stop, start) and returns its
// standard output and error together.
func ReplicaScript(cmd string) (string, error) {
	root, ok := repoRoot()
	if !ok {
		return "", os.ErrNotExist
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(root, "scripts", "replica.sh"), cmd).CombinedOutput()
	return string(out), err
}
