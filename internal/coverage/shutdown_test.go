package coverage

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/caliber"
)

// TestCloseWaitsForStoredGaps: a run's gaps are stored after its figures are answered.
// While another transaction holds coverage_gaps locked they cannot be, so Close with a
// context that ends returns the context's error instead of waiting for ever; once the lock
// is gone Close returns only after the gaps are stored: the run is complete and has its gap
// rows when it returns.
// bufferRun is a service on a new database with a generated city (120 parcels, 6 parks)
// and the validated query of its GB/T 50563 buffer figures.
type bufferRun struct {
	pool *pgxpool.Pool
	svc  *Service
	q    Query
	cal  caliber.Caliber
	city int
}

func newBufferRun(t *testing.T, seed uint64, slug string) bufferRun {
	t.Helper()
	f := bufferRun{pool: newDB(t)}
	f.city = generateCity(seed, 120, 6).load(t, f.pool, slug)
	reg, _ := caliber.NewRegistry()
	f.svc = &Service{Store: Store{Pool: f.pool}, Calibers: reg}
	f.q = Query{City: slug, Caliber: "gbt50563-2010", Method: caliber.Buffer}
	var err error
	if f.cal, err = f.svc.Validate(context.Background(), &f.q); err != nil {
		t.Fatal(err)
	}
	return f
}

// lockGaps holds coverage_gaps locked in a transaction until it is rolled back (or the
// test ends): no run's gaps can be stored meanwhile.
func lockGaps(t *testing.T, pool *pgxpool.Pool) pgx.Tx {
	t.Helper()
	ctx := context.Background()
	lock, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lock.Rollback(ctx) })
	if _, err := lock.Exec(ctx, `LOCK TABLE coverage_gaps IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	return lock
}

func TestCloseWaitsForStoredGaps(t *testing.T) {
	f := newBufferRun(t, 7, "shutdown")
	ctx, pool, svc, q, cal, city := context.Background(), f.pool, f.svc, f.q, f.cal, f.city
	dv, err := svc.Store.DataVersion(ctx, city)
	if err != nil {
		t.Fatal(err)
	}
	lock := lockGaps(t, pool)
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

// TestRepeatWhileGapsAreStored: a request for a run whose figures are stored but whose
// gaps are still being stored (held up here by a lock on coverage_gaps) is answered from
// the stored figures at once, as the reused run, rather than waiting for the gaps behind
// the run's lock; the figures are those of the first answer and of a fresh service once
// the gaps are in.
func TestRepeatWhileGapsAreStored(t *testing.T) {
	f := newBufferRun(t, 9, "repeat")
	ctx, pool, svc, q := context.Background(), f.pool, f.svc, f.q
	lock := lockGaps(t, pool)
	first, err := svc.Indicator(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// A hang guard only: without the pending run the call waits for the lock's holder.
	guard, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	again, err := svc.Indicator(guard, q)
	if err != nil {
		t.Fatalf("second request while the gaps are held up: %v", err)
	}
	if again.Run.ID != first.Run.ID || !again.Reused || first.Reused || again.City1 == nil || !reflect.DeepEqual(*again.City1, *first.City1) {
		t.Fatalf("second request: run %d reused=%v %+v; first: run %d reused=%v %+v", again.Run.ID, again.Reused, again.City1,
			first.Run.ID, first.Reused, first.City1)
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(guard); err != nil {
		t.Fatal(err)
	}
	reg, _ := caliber.NewRegistry()
	fresh, err := (&Service{Store: Store{Pool: pool}, Calibers: reg}).Indicator(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Run.ID != first.Run.ID || !reflect.DeepEqual(*fresh.City1, *first.City1) {
		t.Fatalf("after the gaps: run %d %+v, want run %d %+v", fresh.Run.ID, fresh.City1, first.Run.ID, first.City1)
	}
}
