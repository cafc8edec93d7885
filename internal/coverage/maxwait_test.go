package coverage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/fault"
)

// TestStillComputingAnsweredUnavailableThenStored: a call whose computation outlasts
// Service.MaxWait is answered fault.Unavailable with a Retry-After (503 over HTTP, not
// the empty reply of a server write timeout); its caller then leaves, and the computation
// goes on: the run is stored, complete, with the figures of a full computation by
// another service on the same data, and the next call is answered from it.
func TestStillComputingAnsweredUnavailableThenStored(t *testing.T) {
	pool := newDB(t)
	bg := context.Background()
	slug := "maxwait-network"
	cityID := generateCity(7, 140, 10).load(t, pool, slug)
	reg, _ := caliber.NewRegistry()
	q := Query{City: slug, Caliber: "gbt50563-2010", Method: caliber.Network}
	// A wait shorter than any computation: loading the city alone takes longer.
	svc := &Service{Store: Store{Pool: pool}, Calibers: reg, MaxWait: time.Microsecond}
	ctx, cancel := context.WithCancel(bg)
	_, err := svc.Indicator(ctx, q)
	cancel() // the client leaves with its answer
	fe := fault.As(err)
	if fe == nil || fe.Kind != fault.KindUnavailable || fe.RetryAfter <= 0 {
		t.Fatalf("first call: %v, want Unavailable with a Retry-After", err)
	}
	// The computation goes on without its caller; wait for it to be stored (bounded).
	var covered float64
	var runID int64
	for deadline := time.Now().Add(2 * time.Minute); ; {
		err := pool.QueryRow(bg, `SELECT id, covered_m2 FROM coverage_runs WHERE city_id = $1 AND method = $2 AND complete`,
			cityID, caliber.Network).Scan(&runID, &covered)
		if err == nil {
			break
		}
		if !errors.Is(err, pgx.ErrNoRows) || time.Now().After(deadline) {
			t.Fatalf("no complete run stored: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	full, err := (&Service{Store: Store{Pool: pool}, Calibers: reg}).Result(bg, q)
	if err != nil {
		t.Fatal(err)
	}
	if covered != full.CoveredM2 {
		t.Errorf("stored run covers %v m², a full computation %v m²", covered, full.CoveredM2)
	}
	svc.MaxWait = 0
	rep, err := svc.Indicator(bg, q)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.ID != runID {
		t.Errorf("next call answered by run %d, want the stored run %d", rep.Run.ID, runID)
	}
}
