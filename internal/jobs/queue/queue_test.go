package queue_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/testdb"
)

func submit(t *testing.T, st queue.Store, n queue.New) queue.Job {
	t.Helper()
	j, err := st.Submit(context.Background(), n, queue.Quota{})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// expire moves job id's lease into the past, as if its worker had died a lease ago.
func expire(t *testing.T, st queue.Store, id string) {
	t.Helper()
	if _, err := st.Pool.Exec(context.Background(), "UPDATE jobs SET lease_until = now() - interval '1 second' WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentClaimersNeverShareAJob: 12 claimers, each on its own connection, claim
// from 60 jobs until none is left. Every job is claimed exactly once: the claims the
// claimers saw are 60 distinct ids, and the table agrees (every row running, attempts 1,
// under the worker that saw it).
func TestConcurrentClaimersNeverShareAJob(t *testing.T) {
	db := testdb.New(t)
	st := queue.Store{Pool: db.Pool}
	ctx := context.Background()
	const jobs, claimers = 60, 12
	for i := range jobs {
		submit(t, st, queue.New{ID: fmt.Sprintf("j%02d", i), Class: "c", Owner: "ed", Process: "p"})
	}
	submit(t, st, queue.New{Class: "other", Owner: "ed", Process: "p"}) // another class: never claimed
	var mu sync.Mutex
	seen := map[string][]string{} // job → the workers that claimed it
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, claimers)
	for w := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			me := fmt.Sprintf("w%02d", w)
			for {
				j, err := st.Claim(ctx, "c", me)
				if err != nil {
					errs <- err
					return
				}
				if j == nil {
					return
				}
				mu.Lock()
				seen[j.ID] = append(seen[j.ID], me)
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != jobs {
		t.Errorf("%d jobs claimed, want %d", len(seen), jobs)
	}
	for id, ws := range seen {
		if len(ws) != 1 {
			t.Errorf("job %s claimed by %v", id, ws)
		}
	}
	rows, err := db.Pool.Query(ctx, "SELECT id, status, attempts, coalesce(worker, '') FROM jobs WHERE class = 'c'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, status, worker string
		var attempts int
		if err := rows.Scan(&id, &status, &attempts, &worker); err != nil {
			t.Fatal(err)
		}
		n++
		if status != queue.Running || attempts != 1 || len(seen[id]) != 1 || worker != seen[id][0] {
			t.Errorf("row %s: %s, attempts %d, worker %q; the claimers saw %v", id, status, attempts, worker, seen[id])
		}
	}
	if n != jobs {
		t.Errorf("%d rows of class c, want %d", n, jobs)
	}
	var other string
	if err := db.Pool.QueryRow(ctx, "SELECT status FROM jobs WHERE class = 'other'").Scan(&other); err != nil || other != queue.Accepted {
		t.Errorf("the other class's job: %q %v", other, err)
	}
}

// TestLeaseReclaimAndOneResult: a's lease passes; b claims the job again (attempt 2);
// a's renewal is refused (ErrLost) and a's result is not recorded, b's is. A job with two
// attempts whose second worker also dies is not claimed a third time: Sweep fails it.
func TestLeaseReclaimAndOneResult(t *testing.T) {
	db := testdb.New(t)
	st := queue.Store{Pool: db.Pool}
	ctx := context.Background()
	j := submit(t, st, queue.New{Class: "c", Owner: "ed", Process: "p", MaxAttempts: 2})
	a, err := st.Claim(ctx, "c", "a")
	if err != nil || a == nil || a.ID != j.ID || a.Attempts != 1 {
		t.Fatalf("a's claim: %+v %v", a, err)
	}
	if c, err := st.Renew(ctx, j.ID, "a", 0.3, "a third"); err != nil || c {
		t.Fatalf("a's renewal: %v %v", c, err)
	}
	if again, err := st.Claim(ctx, "c", "b"); err != nil || again != nil {
		t.Fatalf("a job under a live lease was claimed: %+v %v", again, err)
	}
	expire(t, st, j.ID)
	b, err := st.Claim(ctx, "c", "b")
	if err != nil || b == nil || b.ID != j.ID || b.Attempts != 2 || b.Worker != "b" || b.Progress != 30 {
		t.Fatalf("b's claim after the lease: %+v %v", b, err)
	}
	if _, err := st.Renew(ctx, j.ID, "a", 0.5, "late"); !errors.Is(err, queue.ErrLost) {
		t.Errorf("a's renewal after losing the claim: %v, want ErrLost", err)
	}
	if ok, err := st.Finish(ctx, j.ID, "a", queue.Outcome{Status: queue.Successful, Result: "a's"}); err != nil || ok {
		t.Errorf("a's finish counted: %v %v", ok, err)
	}
	if ok, err := st.Finish(ctx, j.ID, "b", queue.Outcome{Status: queue.Successful, Message: "done", Result: "b's"}); err != nil || !ok {
		t.Fatalf("b's finish: %v %v", ok, err)
	}
	if ok, err := st.Finish(ctx, j.ID, "b", queue.Outcome{Status: queue.Failed, Result: "twice"}); err != nil || ok {
		t.Errorf("a second finish counted: %v %v", ok, err)
	}
	got, err := st.Get(ctx, j.ID)
	if err != nil || got.Status != queue.Successful || string(got.Result) != `"b's"` || got.Progress != 100 || got.Finished == nil {
		t.Errorf("the job: %+v %v", got, err)
	}

	k := submit(t, st, queue.New{Class: "c", Owner: "ed", Process: "p", MaxAttempts: 2})
	for _, w := range []string{"a", "b"} {
		if c, err := st.Claim(ctx, "c", w); err != nil || c == nil || c.ID != k.ID {
			t.Fatalf("%s's claim: %+v %v", w, c, err)
		}
		expire(t, st, k.ID)
	}
	if c, err := st.Claim(ctx, "c", "c"); err != nil || c != nil {
		t.Fatalf("a third attempt past the bound of 2: %+v %v", c, err)
	}
	if n, err := st.Sweep(ctx, "c"); err != nil || n != 1 {
		t.Fatalf("sweep ended %d jobs (%v), want 1", n, err)
	}
	if got, _ := st.Get(ctx, k.ID); got.Status != queue.Failed || got.Attempts != 2 {
		t.Errorf("the job past its attempts: %+v", got)
	}
}

// TestQuotasHoldUnderConcurrentSubmits: 10 submits of ed's at once against 2 per owner and
// 3 in all: exactly 2 are accepted (the count is taken under the class's lock); al gets the
// third place and bo is refused by the server's quota; a finished job frees its place.
func TestQuotasHoldUnderConcurrentSubmits(t *testing.T) {
	db := testdb.New(t)
	st := queue.Store{Pool: db.Pool}
	ctx := context.Background()
	q := queue.Quota{PerOwner: 2, All: 3, RetryAfter: 30 * time.Second}
	var wg sync.WaitGroup
	results := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.Submit(ctx, queue.New{Class: "c", Owner: "ed", Process: "p"}, q)
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	ok, refused := 0, 0
	for err := range results {
		var qe *queue.QuotaError
		switch {
		case err == nil:
			ok++
		case errors.As(err, &qe) && qe.PerOwner && qe.Limit == 2:
			refused++
			if fe := fault.As(err); fe == nil || fe.Kind != fault.KindTooMany || fe.RetryAfter != 30*time.Second {
				t.Errorf("refusal's fault: %+v", fe)
			}
		default:
			t.Errorf("submit: %v", err)
		}
	}
	var rows int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM jobs WHERE owner = 'ed'").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if ok != 2 || refused != 8 || rows != 2 {
		t.Errorf("%d accepted, %d refused, %d rows; want 2, 8, 2", ok, refused, rows)
	}
	al, err := st.Submit(ctx, queue.New{Class: "c", Owner: "al", Process: "p"}, q)
	if err != nil {
		t.Fatal(err)
	}
	var qe *queue.QuotaError
	if _, err := st.Submit(ctx, queue.New{Class: "c", Owner: "bo", Process: "p"}, q); !errors.As(err, &qe) || qe.PerOwner || qe.Count != 3 || qe.Limit != 3 {
		t.Errorf("bo beyond the queue: %v", err)
	}
	if _, err := st.Submit(ctx, queue.New{Class: "other", Owner: "bo", Process: "p"}, q); err != nil {
		t.Errorf("another class's quota counted c's jobs: %v", err)
	}
	if _, err := st.Cancel(ctx, al.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Submit(ctx, queue.New{Class: "c", Owner: "bo", Process: "p"}, q); err != nil {
		t.Errorf("bo after al's job was cancelled: %v", err)
	}
}

// TestWorkerRunsCancelsAndReclaims: a Worker finishes jobs with their results, fails a job
// of an unknown process with a clear message, stops a running job whose cancel is
// requested (status dismissed, seen at a renewal), and takes over a job whose first
// worker's lease has passed.
func TestWorkerRunsCancelsAndReclaims(t *testing.T) {
	db := testdb.New(t)
	st := queue.Store{Pool: db.Pool, Lease: 600 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard only
	defer cancel()
	sq := submit(t, st, queue.New{Class: "c", Owner: "ed", Process: "square", Inputs: 7})
	unknown := submit(t, st, queue.New{Class: "c", Owner: "ed", Process: "nope"})
	block := submit(t, st, queue.New{Class: "c", Owner: "ed", Process: "block"})
	orphan := submit(t, st, queue.New{Class: "c", Owner: "ed", Process: "square", Inputs: 5})
	// A dead worker holds the orphan: claimed, never renewed.
	if _, err := st.Pool.Exec(ctx, `UPDATE jobs SET status = 'running', worker = 'dead', attempts = 1,
		lease_until = now() + interval '300 milliseconds', started_at = now() WHERE id = $1`, orphan.ID); err != nil {
		t.Fatal(err)
	}
	blocking := make(chan struct{})
	w := &queue.Worker{Store: st, Class: "c", ID: "live", Slots: 2, Poll: 50 * time.Millisecond, Renew: 100 * time.Millisecond,
		Handlers: map[string]queue.Handler{
			"square": func(_ context.Context, j queue.Job, progress func(float64, string)) (any, error) {
				var n int
				if _, err := fmt.Sscan(string(j.Inputs), &n); err != nil {
					return nil, err
				}
				progress(0.5, "half")
				return n * n, nil
			},
			"block": func(ctx context.Context, _ queue.Job, _ func(float64, string)) (any, error) {
				close(blocking)
				<-ctx.Done()
				return nil, ctx.Err()
			},
		}}
	done := make(chan int, 1)
	go func() {
		n, err := w.Run(ctx, true)
		if err != nil {
			t.Error(err)
		}
		done <- n
	}()
	<-blocking
	if j, err := st.Cancel(ctx, block.ID); err != nil || j.Status != queue.Running || !j.Cancel {
		t.Fatalf("cancel of the running job: %+v %v", j, err)
	}
	n := <-done
	want := map[string]struct{ status, result, worker string }{
		sq.ID:      {queue.Successful, "49", "live"},
		unknown.ID: {queue.Failed, "", "live"},
		block.ID:   {queue.Dismissed, "", "live"},
		orphan.ID:  {queue.Successful, "25", "live"},
	}
	for id, w := range want {
		j, err := st.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != w.status || string(j.Result) != w.result || j.Worker != w.worker {
			t.Errorf("job %s (%s): %s %s by %s, want %s %s by %s", id, j.Process, j.Status, j.Result, j.Worker, w.status, w.result, w.worker)
		}
	}
	if j, _ := st.Get(ctx, unknown.ID); j.Message != `no worker knows the process "nope"` {
		t.Errorf("unknown process's message %q", j.Message)
	}
	if j, _ := st.Get(ctx, orphan.ID); j.Attempts != 2 {
		t.Errorf("the orphan took %d attempts, want 2", j.Attempts)
	}
	if n != 4 {
		t.Errorf("the worker finished %d jobs, want 4", n)
	}
}
