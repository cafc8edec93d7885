package importer

import (
	"context"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/testdb"
)

// TestImportsBesideProcessJobs runs the imports on the shared queue beside an open process
// job P of ed's, with one import per owner. By hand:
//   - P does not count against the import quota: ed's import is admitted; with no worker
//     yet it stays open, and a second one of ed's is refused;
//   - cancelled while open, the import is cancelled at once;
//   - a second import of the two pharmacies, run by the worker started then, succeeds
//     with the import report as its result: 2 read, 2 inserted, 2 rows in facilities;
//     its stored upload is gone (the only large object left is the cancelled import's);
//   - P is untouched (accepted), and Status does not know it (another class).
func TestImportsBesideProcessJobs(t *testing.T) {
	db := testdb.New(t)
	makeCity(t, db.Pool, "q", 4546)
	ctx := context.Background()
	p, err := queue.Store{Pool: db.Pool}.Submit(ctx, queue.New{Class: "process", Owner: "ed", Process: "report"}, queue.Quota{})
	if err != nil {
		t.Fatal(err)
	}
	j := NewJobs(db.Pool)
	j.PerOwner, j.Max = 1, 1
	defer j.Close()
	path := upload(t, "u.geojson", pharmacies)
	held, err := j.Start(ctx, "facilities", path, Options{City: "q", Actor: "ed"}, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Admit(ctx, "ed"); err == nil {
		t.Errorf("ed's second import admitted beside his open one")
	}
	if st, ok, err := j.Cancel(ctx, held); !ok || err != nil || st.State != JobCancelled {
		t.Fatalf("cancel: %+v %v %v", st, ok, err)
	}
	j.Run(ctx, 1)
	id, err := j.Start(ctx, "facilities", path, Options{City: "q", Actor: "ed"}, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute) // a hang guard only
	st, _, _ := j.Status(ctx, id)
	for st.State == JobRunning && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		st, _, _ = j.Status(ctx, id)
	}
	if st.State != JobSucceeded || st.Read != 2 || st.Report == nil || st.Report.Inserted != 2 || st.Owner != "ed" {
		t.Fatalf("the import beside P: %+v (report %+v)", st, st.Report)
	}
	var rows, los int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM facilities`).Scan(&rows); err != nil || rows != 2 {
		t.Errorf("%d facilities (%v), want 2", rows, err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_largeobject_metadata`).Scan(&los); err != nil || los != 1 {
		t.Errorf("%d large objects (%v), want 1: the cancelled import's upload", los, err)
	}
	if s, err := (queue.Store{Pool: db.Pool}).Get(ctx, p.ID); err != nil || s.Status != queue.Accepted {
		t.Errorf("P is %s (%v), want still accepted", s.Status, err)
	}
	if _, ok, err := j.Status(ctx, p.ID); ok || err != nil {
		t.Errorf("Status knows the process job P: %v %v", ok, err)
	}
}
