package importer

import (
	"context"
	"errors"
	"testing"

	"github.com/cityreach/cityreach/internal/testdb"
)

// heldReader yields nothing until released (or the import is cancelled), keeping its
// background import running.
type heldReader struct{ release <-chan struct{} }

func (heldReader) Format() string   { return "geojson" }
func (heldReader) Fields() []string { return nil }
func (r heldReader) Each(ctx context.Context, _ func(*Feature) error) error {
	select {
	case <-r.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestImportQuotas: with one import per owner and two in all, alice's second running import
// and carol's import beside alice's and bob's are refused with a *QuotaError (ErrBusy)
// naming the limit, and add no job; each job records its owner.
func TestImportQuotas(t *testing.T) {
	db := testdb.New(t)
	makeCity(t, db.Pool, "q", 4546)
	j := NewJobs(db.Pool)
	j.PerOwner, j.Max = 1, 2
	release := make(chan struct{})
	defer j.Close()
	defer close(release)
	start := func(owner string) (string, error) {
		return j.Start("parks", heldReader{release}, Options{City: "q", Actor: owner}, nil)
	}
	a, err := start("alice")
	if err != nil {
		t.Fatal(err)
	}
	var qe *QuotaError
	if _, err := start("alice"); !errors.As(err, &qe) || !errors.Is(err, ErrBusy) || qe.Limit != 1 {
		t.Fatalf("alice's second import: %v", err)
	}
	if err := j.Admit("alice"); !errors.Is(err, ErrBusy) {
		t.Errorf("Admit for alice: %v", err)
	}
	if _, err := start("bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := start("carol"); !errors.As(err, &qe) || qe.Limit != 2 {
		t.Fatalf("carol beyond the server's limit: %v", err)
	}
	j.mu.Lock()
	n := len(j.jobs)
	j.mu.Unlock()
	if n != 2 {
		t.Errorf("%d jobs after the refusals, want 2", n)
	}
	if st, ok := j.Status(a); !ok || st.Owner != "alice" || st.State != JobRunning {
		t.Errorf("alice's import: %+v %v", st, ok)
	}
}
