// Package testdb gives integration tests their own freshly migrated PostGIS database.
//
// The admin connection comes from CITYREACH_TEST_DATABASE_URL, else DATABASE_URL, else
// postgres://postgres@127.0.0.1:5432/postgres. The first test of a run migrates a
// template database named after a hash of the migrations; every test then gets a copy
// (CREATE DATABASE … TEMPLATE, a file copy) and drops it when it ends. When PostGIS
// cannot be reached the test is skipped, except under CI=true, where it fails: CI never
// passes without having run the integration tests.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/db"
	"github.com/cityreach/cityreach/internal/migrate"
	"github.com/cityreach/cityreach/migrations"
)

// AdminURL is the connection string used to create and drop test databases.
func AdminURL() string {
	for _, k := range []string{"CITYREACH_TEST_DATABASE_URL", "DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "postgres://postgres@127.0.0.1:5432/postgres"
}

// unavailable skips or fails the test: skip on a developer machine, fail under CI.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("PostGIS is required under CI=true: %s", msg)
	}
	t.Skipf("PostGIS not available (set CITYREACH_TEST_DATABASE_URL): %s", msg)
}

// withDatabase returns url with its database name replaced.
func withDatabase(raw, name string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("test database URL must be a postgres:// URL: %q", raw)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func migrationsHash() string {
	h := sha256.New()
	names, _ := fs.Glob(migrations.FS, "*.sql")
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(migrations.FS, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// ensureTemplate creates the migrated template database once per migrations hash.
func ensureTemplate(ctx context.Context, admin *pgx.Conn, adminURL string) (string, error) {
	name := "cityreach_tmpl_" + migrationsHash()
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(7263531)"); err != nil {
		return "", err
	}
	defer admin.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7263531)") //nolint:errcheck // the lock also ends with the session
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()); err != nil {
		return "", err
	}
	u, err := withDatabase(adminURL, building)
	if err != nil {
		return "", err
	}
	pool, err := db.Open(ctx, u, db.Options{MaxConns: 2})
	if err != nil {
		return "", err
	}
	m, err := migrate.New(pool, migrations.FS)
	if err == nil {
		_, err = m.Up(ctx, nil)
	}
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrating the template: %w", err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s",
		pgx.Identifier{building}.Sanitize(), pgx.Identifier{name}.Sanitize())); err != nil {
		return "", err
	}
	return name, nil
}

// DB is one test's database.
type DB struct {
	Pool *pgxpool.Pool
	URL  string
	Name string
}

// New creates a migrated database for t and drops it when t ends.
func New(t testing.TB) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adminURL := AdminURL()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		unavailable(t, "connect %s: %v", adminURL, err)
		return nil
	}
	defer admin.Close(context.Background()) //nolint:errcheck // the admin session ends; nothing to recover
	var hasPostGIS bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis') AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting')").Scan(&hasPostGIS); err != nil || !hasPostGIS {
		unavailable(t, "the server has no postgis/pgrouting extension packages (run scripts/provision-db.sh)")
		return nil
	}
	tmpl, err := ensureTemplate(ctx, admin, adminURL)
	if err != nil {
		t.Fatalf("test template database: %v", err)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := "cityreach_test_" + hex.EncodeToString(rnd[:])
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{tmpl}.Sanitize())); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	u, err := withDatabase(adminURL, name)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := db.Open(ctx, u, db.Options{MaxConns: 8, StatementTimeout: 2 * time.Minute, Tracer: sqlTracer()})
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		c, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			return
		}
		defer c.Close(context.Background()) //nolint:errcheck // the session ends; nothing to recover
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	var ver string
	_ = pool.QueryRow(ctx, "SELECT postgis_lib_version()").Scan(&ver)
	// scripts/testsummary counts the tests that log this marker.
	t.Logf("postgis-integration: database %s, PostGIS %s", name, ver)
	return &DB{Pool: pool, URL: u, Name: name}
}
