package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/fault"
)

// gate is a Work that signals started with its process name, then waits for release (or
// cancellation) and returns result and err.
func gate(started chan<- string, release <-chan struct{}, result any, err error) Work {
	return func(ctx context.Context, dir string, _ func(float64, string)) (any, error) {
		if dir != "" {
			if werr := os.WriteFile(filepath.Join(dir, "partial.txt"), []byte("half"), 0o644); werr != nil {
				return nil, werr
			}
		}
		started <- "started"
		select {
		case <-release:
			return result, err
		case <-ctx.Done():
			return result, ctx.Err()
		}
	}
}

// begun waits for a job to signal started; the minute is a hang guard only.
func begun(t *testing.T, started <-chan string) {
	t.Helper()
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatal("a job that should run did not start")
	}
}

func newRunner(t *testing.T, o Options) *Runner {
	t.Helper()
	r, err := New(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// must returns the job of a Submit that must be accepted.
func must(t *testing.T, r *Runner, owner string, w Work) Job {
	t.Helper()
	j, err := r.Submit(Spec{Owner: owner, Process: "p", Work: w})
	if err != nil {
		t.Fatalf("%s's job: %v", owner, err)
	}
	return j
}

// refused checks that err is the *QuotaError of the owner's (perOwner) or the server's
// quota with count and limit, and a TooMany fault.
func refused(t *testing.T, err error, perOwner bool, count, limit int) {
	t.Helper()
	var qe *QuotaError
	if !errors.As(err, &qe) || qe.PerOwner != perOwner || qe.Count != count || qe.Limit != limit {
		t.Fatalf("refusal: %v (%+v), want per-owner %v count %d limit %d", err, qe, perOwner, count, limit)
	}
	if fe := fault.As(err); fe == nil || fe.Kind != fault.KindTooMany || fe.Extra["limit"] != limit || fe.RetryAfter <= 0 {
		t.Errorf("refusal's fault: %+v", fe)
	}
}

func status(t *testing.T, r *Runner, id string) string {
	t.Helper()
	j, err := r.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return j.Status
}

// TestClassesHaveTheirOwnSlotsAndQuotas: the process class has 1 worker, 1 running + 1
// queued per owner and 3 in all; the import class 2 workers, 1 running + 0 queued per
// owner and 2 in all. By hand:
//   - ed's process P1 takes the only process worker; ed's import I1 and al's import I2 both
//     start beside it (2 import workers, none taken by P1);
//   - imports now: ed 1 of 1, all 2 of 2, so ed is refused by his quota (count 1, limit 1)
//     and bo by the server's (count 2, limit 2);
//   - processes: ed has 1 (P1) of 2, all 1 of 3: the two imports count for neither, so ed's
//     P2 and al's P3 are accepted (they wait: P2 for ed's slot, P3 for the worker) and bo's
//     is refused at 3 of 3;
//   - each class's view sees only its own jobs: 3 processes, 2 imports, and the process
//     view does not know I1's id.
func TestClassesHaveTheirOwnSlotsAndQuotas(t *testing.T) {
	procs := newRunner(t, Options{Dir: t.TempDir(), Workers: 1, RunningPerOwner: 1, QueuedPerOwner: 1, Queue: 3})
	imports := procs.Class(Class{Name: "import", Workers: 2, RunningPerOwner: 1, Queue: 2, NoFiles: true})
	started, release := make(chan string, 8), make(chan struct{})
	defer close(release)
	work := gate(started, release, nil, nil)

	p1 := must(t, procs, "ed", work)
	begun(t, started)
	i1 := must(t, imports, "ed", work)
	begun(t, started) // runs although P1 holds the only process worker
	i2 := must(t, imports, "al", work)
	begun(t, started) // runs beside I1: P1 took no import worker
	for _, id := range []string{p1.ID} {
		if s := status(t, procs, id); s != Running {
			t.Errorf("P1 is %s", s)
		}
	}
	for _, id := range []string{i1.ID, i2.ID} {
		if s := status(t, imports, id); s != Running {
			t.Errorf("import %s is %s", id, s)
		}
	}
	refused(t, imports.Admit("ed"), true, 1, 1)
	_, err := imports.Submit(Spec{Owner: "bo", Work: work})
	refused(t, err, false, 2, 2)

	p2 := must(t, procs, "ed", work)
	p3 := must(t, procs, "al", work)
	_, err = procs.Submit(Spec{Owner: "bo", Work: work})
	refused(t, err, false, 3, 3)
	for _, id := range []string{p2.ID, p3.ID} {
		if s := status(t, procs, id); s != Accepted {
			t.Errorf("process %s is %s, want accepted (waiting)", id, s)
		}
	}
	if n, m := len(procs.List(nil)), len(imports.List(nil)); n != 3 || m != 2 {
		t.Errorf("the views list %d processes and %d imports, want 3 and 2", n, m)
	}
	if _, err := procs.Get(i1.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the process view finds an import: %v", err)
	}
	if _, err := procs.Dismiss(context.Background(), i1.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the process view dismisses an import: %v", err)
	}
}

// TestCancelKeepsListed: Cancel stops a running job and a queued one; both stay listed as
// dismissed ("cancelled"), each Cleanup has run exactly once when Cancel returns, the
// queued job's work never ran, and the running one's partial files are gone. Dismiss then
// removes the job.
func TestCancelKeepsListed(t *testing.T) {
	dir := t.TempDir()
	r := newRunner(t, Options{Dir: dir, Workers: 1, RunningPerOwner: 1, QueuedPerOwner: 1})
	started, release := make(chan string, 2), make(chan struct{})
	defer close(release)
	var cleaned [2]atomic.Int32
	var ran [2]atomic.Int32
	ids := make([]string, 2)
	for i := range ids {
		g := gate(started, release, nil, nil)
		j, err := r.Submit(Spec{Owner: "ed", Process: "p", Cleanup: func() { cleaned[i].Add(1) },
			Work: func(ctx context.Context, dir string, p func(float64, string)) (any, error) {
				ran[i].Add(1)
				return g(ctx, dir, p)
			}})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = j.ID
		if i == 0 {
			begun(t, started)
		}
	}
	if s := status(t, r, ids[1]); s != Accepted {
		t.Fatalf("the second job is %s, want accepted behind the first", s)
	}
	// The queued one first: the running one keeps ed's slot until it is cancelled.
	for _, i := range []int{1, 0} {
		j, err := r.Cancel(context.Background(), ids[i])
		if err != nil || j.Status != Dismissed || j.Message != "cancelled" || j.Finished == nil {
			t.Fatalf("cancel job %d: %+v %v", i, j, err)
		}
		if n := cleaned[i].Load(); n != 1 {
			t.Errorf("job %d cleaned up %d times before Cancel returned, want 1", i, n)
		}
	}
	if ran[0].Load() != 1 || ran[1].Load() != 0 {
		t.Errorf("works ran %d and %d times, want 1 and 0", ran[0].Load(), ran[1].Load())
	}
	if n := len(r.List(nil)); n != 2 {
		t.Errorf("%d jobs listed after cancelling, want 2", n)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("cancelled jobs left %d entries in the output directory", len(ents))
	}
	// A cancelled job no longer counts: ed may start 2 again (1 running + 1 queued).
	if err := r.Admit("ed"); err != nil {
		t.Errorf("admit after cancelling: %v", err)
	}
	if _, err := r.Dismiss(context.Background(), ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("dismissed job: %v", err)
	}
	if _, err := r.Cancel(context.Background(), ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel of a dismissed job: %v", err)
	}
}

// tally is a typed result.
type tally struct{ Read, Rejected int }

// TestTypedResult: a Work's value is the job's Result, read back typed by ResultOf, on
// success and on failure (with the fault's detail as the message); a Task's job has none; a
// runner in memory runs jobs without files and refuses a class with files.
func TestTypedResult(t *testing.T) {
	r := newRunner(t, Options{Memory: true})
	c := r.Class(Class{Name: "count", Workers: 2, RunningPerOwner: 2, NoFiles: true})
	if r.Dir() != "" {
		t.Errorf("a runner in memory has directory %q", r.Dir())
	}
	started, release := make(chan string, 3), make(chan struct{})
	ok := must(t, c, "ed", gate(started, release, &tally{Read: 3}, nil))
	bad := must(t, c, "ed", gate(started, release, &tally{Read: 2, Rejected: 1}, fault.Unprocessable("1 feature rejected")))
	begun(t, started)
	begun(t, started)
	close(release)
	want := map[string]struct {
		status, message string
		res             tally
	}{ok.ID: {Successful, "done", tally{3, 0}}, bad.ID: {Failed, "1 feature rejected", tally{2, 1}}}
	for id, w := range want {
		j, err := c.Wait(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		res, isTally := ResultOf[*tally](j)
		if j.Status != w.status || j.Message != w.message || !isTally || *res != w.res {
			t.Errorf("job %s: %s %q %+v, want %s %q %+v", id, j.Status, j.Message, res, w.status, w.message, w.res)
		}
		if _, isString := ResultOf[string](j); isString {
			t.Errorf("job %s: a string result", id)
		}
	}
	if _, err := r.Start("ed", "p", nil, func(context.Context, string, func(float64, string)) error { return nil }, nil); err == nil {
		t.Error("a runner in memory started a job with files")
	}
	files := newRunner(t, Options{Dir: t.TempDir()})
	j, err := files.Start("ed", "p", nil, func(context.Context, string, func(float64, string)) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard only
	defer cancel()
	if j, err = files.Wait(ctx, j.ID); err != nil || j.Status != Successful || j.Result != nil {
		t.Errorf("a task's job: %+v %v", j, err)
	}
}
