package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cityreach/cityreach/internal/testdb"
)

// pharmacies are two facility points of city q.
const pharmacies = `{"type":"FeatureCollection","features":[
	{"type":"Feature","properties":{"category":"pharmacy","name":"药店一"},"geometry":{"type":"Point","coordinates":[109.84,40.66]}},
	{"type":"Feature","properties":{"category":"pharmacy","name":"药店二"},"geometry":{"type":"Point","coordinates":[109.85,40.66]}}]}`

// upload writes body as a file of the upload's name into a temporary directory.
func upload(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImportQuotas: with one import per owner and two in all, alice's second open import
// and carol's import beside alice's and bob's are refused with a *QuotaError (ErrBusy)
// naming the limit, and add no job; each job records its owner. No worker runs, so the
// imports stay open (state running, the queue's accepted).
func TestImportQuotas(t *testing.T) {
	db := testdb.New(t)
	makeCity(t, db.Pool, "q", 4546)
	ctx := context.Background()
	j := NewJobs(db.Pool)
	j.PerOwner, j.Max = 1, 2
	path := upload(t, "u.geojson", pharmacies)
	start := func(owner string) (string, error) {
		return j.Start(ctx, "facilities", path, Options{City: "q", Actor: owner}, OpenOptions{})
	}
	a, err := start("alice")
	if err != nil {
		t.Fatal(err)
	}
	var qe *QuotaError
	if _, err := start("alice"); !errors.As(err, &qe) || !errors.Is(err, ErrBusy) || qe.Limit != 1 {
		t.Fatalf("alice's second import: %v", err)
	}
	if err := j.Admit(ctx, "alice"); !errors.Is(err, ErrBusy) {
		t.Errorf("Admit for alice: %v", err)
	}
	if _, err := start("bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := start("carol"); !errors.As(err, &qe) || qe.Limit != 2 {
		t.Fatalf("carol beyond the server's limit: %v", err)
	}
	if err := j.Admit(ctx, "carol"); !errors.Is(err, ErrBusy) {
		t.Errorf("Admit for carol: %v", err)
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE class = $1`, ClassImport).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d jobs after the refusals (%v), want 2", n, err)
	}
	if st, ok, err := j.Status(ctx, a); !ok || err != nil || st.Owner != "alice" || st.State != JobRunning {
		t.Errorf("alice's import: %+v %v %v", st, ok, err)
	}
}
