package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/cityreach/cityreach/internal/fault"
)

// Handler does the work of one claimed job: it reports progress (0…1) with a message and
// returns the job's result. It must return promptly with ctx.Err() once ctx is cancelled
// (the job was cancelled, its claim was lost, or the worker is stopping). A job may be run
// more than once (its first worker died): the work must be idempotent, and only the
// result of the attempt that holds the claim at the end is kept.
type Handler func(ctx context.Context, j Job, progress func(done float64, message string)) (result any, err error)

// Published is what a Handler returns when its job wrote result files: Result is the
// job's result and Files lists the files (stored in the jobs table's files column).
type Published struct {
	Result any
	Files  any
	// Blobs are stored in the database as the job's result files when its outcome is
	// recorded (Outcome.Blobs); Dir, when set, is removed once the outcome is recorded or
	// dropped, whichever way.
	Blobs []Blob
	Dir   string
}

// Worker claims and runs the jobs of one class. Several Workers in several processes may
// serve the same class.
type Worker struct {
	Store Store
	Class string
	// ID names the worker in the jobs table; "" means host:pid:random.
	ID string
	// Handlers run the jobs by process name; a job of a process without one fails.
	Handlers map[string]Handler
	// Slots is how many jobs the worker runs at once; 0 means 1.
	Slots int
	// Poll is how long an idle slot waits before it looks for a job again; 0 means 1 s.
	Poll time.Duration
	// Renew is how often a running job's lease is renewed (and its progress written);
	// 0 means a third of the lease.
	Renew time.Duration
	// RunningPerOwner bounds the jobs of one owner running at once over every worker of
	// the class (Store.ClaimLimited); 0 means no bound.
	RunningPerOwner int
	// Keep, when positive, is how long an ended job of the class is kept: each claim loop
	// removes older ones (Store.Prune).
	Keep time.Duration
	Log  *slog.Logger

	mu      sync.Mutex
	running map[string]func() // cancels a job this worker runs, as a cancellation
}

// Cancel stops the job id at once when this worker runs it (its outcome is then
// dismissed) and reports whether it did; a job another process runs sees the request
// (Store.Cancel) at its next renewal.
func (w *Worker) Cancel(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.running[id]
	if ok {
		c()
	}
	return ok
}

// WorkerID is a name for a worker of this process: host, pid and a random suffix.
func WorkerID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), NewID()[:6])
}

// Run claims and runs jobs until ctx ends. With untilIdle it returns instead once a slot
// finds no claimable job and no job of the class is accepted or running under a live lease
// (a run whose jobs have all ended). It returns how many jobs this worker finished.
func (w *Worker) Run(ctx context.Context, untilIdle bool) (int, error) {
	if w.ID == "" {
		w.ID = WorkerID()
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	slots := max(1, w.Slots)
	poll := w.Poll
	if poll <= 0 {
		poll = time.Second
	}
	var (
		mu       sync.Mutex
		finished int
		firstErr error
		wg       sync.WaitGroup
	)
	for range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := w.Store.Sweep(ctx, w.Class); err != nil && ctx.Err() == nil {
					w.Log.Warn("jobs: sweep", "class", w.Class, "err", err)
				}
				if w.Keep > 0 {
					if _, err := w.Store.Prune(ctx, w.Class, w.Keep); err != nil && ctx.Err() == nil {
						w.Log.Warn("jobs: prune", "class", w.Class, "err", err)
					}
				}
				j, err := w.Store.ClaimLimited(ctx, w.Class, w.ID, w.RunningPerOwner)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					return
				}
				if j == nil {
					if untilIdle {
						open, err := w.open(ctx)
						if err != nil || !open {
							return
						}
					}
					select {
					case <-ctx.Done():
					case <-time.After(poll):
					}
					continue
				}
				if w.run(ctx, *j) {
					mu.Lock()
					finished++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return finished, firstErr
}

// open reports whether the class still has an accepted job, or a running one, which a
// slot may yet have to take over when its lease passes.
func (w *Worker) open(ctx context.Context) (bool, error) {
	var open bool
	err := w.Store.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM jobs WHERE class = $1 AND status IN ('accepted', 'running')
		AND NOT (status = 'running' AND cancel_requested AND lease_until < now()))`, w.Class).Scan(&open)
	return open, err
}

// run runs one claimed job, renewing its lease until the handler returns, and records the
// outcome; it reports whether the outcome was recorded (the claim was still this worker's).
func (w *Worker) run(ctx context.Context, j Job) bool {
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	every := w.Renew
	if every <= 0 {
		every = w.Store.lease() / 3
	}
	var (
		mu        sync.Mutex
		done      = float64(j.Progress) / 100
		msg       = "started"
		cancelled bool
	)
	progress := func(d float64, m string) {
		mu.Lock()
		done, msg = max(done, d), m
		mu.Unlock()
	}
	w.mu.Lock()
	if w.running == nil {
		w.running = map[string]func(){}
	}
	w.running[j.ID] = func() {
		mu.Lock()
		cancelled = true
		mu.Unlock()
		cancel()
	}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.running, j.ID)
		w.mu.Unlock()
	}()
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			mu.Lock()
			d, m := done, msg
			mu.Unlock()
			c, err := w.Store.Renew(ctx, j.ID, w.ID, d, m)
			switch {
			case errors.Is(err, ErrLost):
				w.Log.Warn("jobs: claim lost", "job", j.ID, "worker", w.ID)
				cancel()
				return
			case err != nil:
				w.Log.Warn("jobs: renewing the lease", "job", j.ID, "err", err)
			case c:
				mu.Lock()
				cancelled = true
				mu.Unlock()
				cancel()
				return
			}
		}
	}()
	h, ok := w.Handlers[j.Process]
	var res any
	var err error
	if !ok {
		err = fault.Invalid(fmt.Sprintf("no worker knows the process %q", j.Process))
	} else {
		res, err = h(jctx, j, progress)
	}
	close(stop)
	<-renewed
	p, published := res.(Published)
	if published && p.Dir != "" {
		defer func() {
			if err := os.RemoveAll(p.Dir); err != nil {
				w.Log.Warn("jobs: removing a job's files", "job", j.ID, "err", err)
			}
		}()
	}
	if ctx.Err() != nil {
		// The worker is stopping: leave the claim to lapse, so another takes the job.
		return false
	}
	mu.Lock()
	wasCancelled := cancelled
	mu.Unlock()
	o := Outcome{Status: Successful, Message: "done", Result: res}
	if published {
		o.Result, o.Files, o.Blobs = p.Result, p.Files, p.Blobs
	}
	switch {
	case wasCancelled:
		o = Outcome{Status: Dismissed, Message: "cancelled"}
	case jctx.Err() != nil:
		return false // the claim was lost: the job is another worker's now
	case err != nil:
		o = Outcome{Status: Failed, Message: message(j.ID, err), Result: o.Result}
		w.Log.Error("job failed", "job", j.ID, "class", j.Class, "process", j.Process, "err", err)
	}
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer fcancel()
	ok, ferr := w.Store.Finish(fctx, j.ID, w.ID, o)
	if ferr != nil {
		w.Log.Error("jobs: recording the outcome", "job", j.ID, "err", ferr)
	}
	return ok
}

// message is what a failed job says to clients: the detail of a fault, otherwise a generic
// message; the cause is logged under the job's id.
func message(id string, err error) string {
	if fe := fault.As(err); fe != nil && fe.Kind != fault.KindUnavailable {
		return fe.Detail
	}
	return "the job failed; the server log has the cause under job " + id
}
