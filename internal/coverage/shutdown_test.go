package coverage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
)

// TestCloseWaitsForStoredGaps: a run's gaps are stored after its figures are answered.
// While another transaction holds coverage_gaps locked they cannot be, so Close with a
// context that ends returns the context's error instead of waiting for ever; once the lock
// is gone Close returns only after the gaps are stored: the run is complete and has its gap
// rows when it returns.
func TestCloseWaitsForStoredGaps(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	city := generateCity(7, 120, 6).load(t, pool, "shutdown")
	reg, _ := caliber.NewRegistry()
	svc := &Service{Store: Store{Pool: pool}, Calibers: reg}
	q := Query{City: "shutdown", Caliber: "gbt50563-2010", Method: caliber.Buffer}
	cal, err := svc.Validate(ctx, &q)
	if err != nil {
		t.Fatal(err)
	}
	dv, err := svc.Store.DataVersion(ctx, city)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback(ctx) }()
	if _, err := lock.Exec(ctx, `LOCK TABLE coverage_gaps IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	c, err := svc.computeRun(ctx, q, cal, city, dv.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if c.gaps == nil {
		t.Fatal("the run has no gaps to store; the fixture needs uncovered parcels")
	}

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := svc.Close(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close while the gaps cannot be stored: %v, want the context's deadline", err)
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	guard, cancelGuard := context.WithTimeout(ctx, 2*time.Minute) // a hang guard only
	defer cancelGuard()
	if err := svc.Close(guard); err != nil {
		t.Fatalf("Close after the lock is gone: %v", err)
	}
	var complete bool
	var gaps int
	if err := pool.QueryRow(ctx, `SELECT complete, (SELECT count(*) FROM coverage_gaps WHERE run_id = r.id) FROM coverage_runs r WHERE id = $1`,
		c.run.ID).Scan(&complete, &gaps); err != nil {
		t.Fatal(err)
	}
	if !complete || gaps == 0 {
		t.Errorf("when Close returned the run was complete=%v with %d gap rows, want complete with its gaps", complete, gaps)
	}
}
