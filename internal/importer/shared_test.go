package importer

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/jobs/runner"
	"github.com/cityreach/cityreach/internal/testdb"
)

// TestImportsBesideProcessJobs runs the imports on the server's runner whose process class
// has one worker and one job per owner (1 running + 0 queued, 1 in all), the worker held
// by ed's process job P. By hand:
//   - ed's held import runs anyway (its own class's worker) and counts only against the
//     import quota: the process view refuses ed at count 1 (P alone), the imports refuse
//     him at their limit 1, and the process view lists 1 job;
//   - cancelled, the import stays listed as cancelled, its cleanup run once;
//   - a second import of the two pharmacies below, still beside P, succeeds with the
//     import report as its result: 2 read, 2 inserted, and 2 rows in facilities.
func TestImportsBesideProcessJobs(t *testing.T) {
	db := testdb.New(t)
	makeCity(t, db.Pool, "q", 4546)
	ctx := context.Background()
	r, err := runner.New(ctx, runner.Options{Dir: t.TempDir(), Workers: 1, RunningPerOwner: 1, Queue: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	release, started := make(chan struct{}), make(chan struct{}, 1)
	defer close(release)
	p, err := r.Start("ed", "block", nil, func(ctx context.Context, _ string, _ func(float64, string)) error {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return ctx.Err()
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	j := NewJobs(db.Pool)
	j.Runner, j.PerOwner, j.Max = r, 1, 1
	defer j.Close()
	var cleaned atomic.Int32
	held, err := j.Start("parks", heldReader{release}, Options{City: "q", Actor: "ed"}, func() { cleaned.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := j.Status(held); !ok || st.State != JobRunning {
		t.Fatalf("the held import: %+v %v", st, ok)
	}
	var rq *runner.QuotaError
	if err := r.Admit("ed"); !errors.As(err, &rq) || rq.Count != 1 || !rq.PerOwner {
		t.Errorf("process quota beside the import: %v %+v, want ed's count 1", err, rq)
	}
	var qe *QuotaError
	if err := j.Admit("ed"); !errors.As(err, &qe) || qe.Limit != 1 {
		t.Errorf("import quota: %v", err)
	}
	if js := r.List(nil); len(js) != 1 || js[0].ID != p.ID {
		t.Errorf("the process view lists %d jobs, want P alone", len(js))
	}
	if st, ok := j.Cancel(ctx, held); !ok || st.State != JobCancelled {
		t.Fatalf("cancel: %+v %v", st, ok)
	}
	if st, ok := j.Status(held); !ok || st.State != JobCancelled || cleaned.Load() != 1 {
		t.Errorf("after cancelling: %+v %v, cleaned %d times", st, ok, cleaned.Load())
	}

	fc := `{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"category":"pharmacy","name":"药店一"},"geometry":{"type":"Point","coordinates":[109.84,40.66]}},
		{"type":"Feature","properties":{"category":"pharmacy","name":"药店二"},"geometry":{"type":"Point","coordinates":[109.85,40.66]}}]}`
	id, err := j.Start("facilities", geojsonReader(fc), Options{City: "q", Actor: "ed"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute) // a hang guard only
	st, _ := j.Status(id)
	for st.State == JobRunning && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		st, _ = j.Status(id)
	}
	if st.State != JobSucceeded || st.Read != 2 || st.Report == nil || st.Report.Inserted != 2 || st.Owner != "ed" {
		t.Fatalf("the import beside P: %+v (report %+v)", st, st.Report)
	}
	var rows int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM facilities`).Scan(&rows); err != nil || rows != 2 {
		t.Errorf("%d facilities (%v), want 2", rows, err)
	}
	if s, _ := r.Get(p.ID); s.Status != runner.Running {
		t.Errorf("P is %s, want still running", s.Status)
	}
}
