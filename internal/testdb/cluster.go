package testdb

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a PostgreSQL server of a test's own, made with initdb in a temporary folder,
// for fault tests that stop and start the server (which the shared server of New must
// never do). It uses the machine's PostgreSQL binaries, so PostGIS and pgRouting are
// available exactly as on the shared server.
type Cluster struct {
	URL  string // postgres://postgres@127.0.0.1:PORT/postgres, trust authentication
	Port int
	bin  string
	dir  string
	t    testing.TB
}

// pgBinDir finds the server binaries: $CITYREACH_PG_BINDIR, else the newest
// /usr/lib/postgresql/N/bin that has initdb (Debian's layout).
func pgBinDir() string {
	if d := os.Getenv("CITYREACH_PG_BINDIR"); d != "" {
		return d
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(found, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return vi < vj
	})
	if len(found) == 0 {
		return ""
	}
	return filepath.Dir(found[len(found)-1])
}

// NewCluster initialises and starts a cluster on a free port of 127.0.0.1. It is stopped
// and its folder removed when t ends, whether t passed or not. Run as root (as CI does),
// the server runs as the postgres user, since PostgreSQL refuses to run as root. Without
// the binaries the test is skipped, except under CI=true, where it fails.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := pgBinDir()
	if bin == "" {
		unavailable(t, "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql; set CITYREACH_PG_BINDIR")
		return nil
	}
	dir, err := os.MkdirTemp("", "cityreach-pgfault-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{bin: bin, dir: dir, t: t}
	t.Cleanup(func() {
		_ = c.pgctl("stop", "-m", "immediate")
		_ = os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres user for the test cluster: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.Port = ln.Addr().(*net.TCPAddr).Port
	ln.Close() //nolint:errcheck // the port was only reserved to learn its number
	conf := fmt.Sprintf("port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nmax_connections = 40\nshared_buffers = 32MB\n", c.Port, dir)
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(conf)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// run runs one of the server binaries, as the postgres user when the test runs as root.
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

func (c *Cluster) pgctl(args ...string) error {
	out, err := c.run("pg_ctl", append([]string{"-D", c.data(), "-w", "-t", "60"}, args...)...)
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() error {
	return c.pgctl("-l", filepath.Join(c.dir, "server.log"), "start")
}

// Stop shuts the server down in fast mode: sessions are ended (SQLSTATE 57P01), open
// transactions roll back, and a checkpoint keeps every committed one.
func (c *Cluster) Stop() error { return c.pgctl("stop", "-m", "fast") }

// Log returns the server's log, for a failing test to show.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	return string(b)
}
