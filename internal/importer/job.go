package importer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/jobs/runner"
)

// JobState is where a background import is.
type JobState string

// The job states.
const (
	JobRunning   JobState = "running"
	JobSucceeded JobState = "succeeded"
	JobFailed    JobState = "failed"
	// JobCancelled: DELETE /imports/{id} (Jobs.Cancel) stopped it; its transaction was
	// rolled back.
	JobCancelled JobState = "cancelled"
)

// JobStatus is what a client polling a background import sees.
type JobStatus struct {
	ID    string   `json:"id"`
	Layer string   `json:"layer"`
	State JobState `json:"state"`
	// Owner is the name of the token that started the import (Options.Actor).
	Owner    string    `json:"owner,omitempty"`
	Read     int       `json:"read"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Error says why a failed import failed, in words meant for the client: the
	// importer's own refusals as they are, anything else (a database error) as a pointer
	// to the server log, where the cause is written with the job id.
	Error  string  `json:"error,omitempty"`
	Report *Report `json:"report,omitempty"`
}

// Jobs runs imports in the background (for the API's import of large files) and keeps
// their status for polling. It is an adapter over the server's job runner
// (internal/jobs/runner): the imports are the runner's class ClassImport, with quotas and
// workers of their own (PerOwner running per owner, none queued, Max in all), no files,
// the import's Report as the job's result. The zero value is not usable; call NewJobs.
// Finished jobs are kept for Keep (default one hour).
type Jobs struct {
	Pool *pgxpool.Pool
	Keep time.Duration
	// PerOwner bounds the imports one owner runs at once, Max those of all owners (each
	// holds a database connection and a transaction); 0 means DefaultImportsPerOwner and
	// DefaultImports. Like Keep and Runner, they are read when the first import is
	// admitted or started.
	PerOwner, Max int
	// Log receives the causes of failures that JobStatus.Error does not show, when the
	// imports run on a runner of their own.
	Log *slog.Logger
	// Runner is the server's job runner, on which the imports run as the class
	// ClassImport; nil means a runner in memory of their own, which Close closes.
	Runner *runner.Runner

	mu     sync.Mutex
	jobs   map[string]*job // this adapter's imports by job id
	run    *runner.Runner  // the view of ClassImport, made on first use
	own    bool            // run is a runner of its own
	closed bool
}

// ClassImport is the runner class of the background imports.
const ClassImport = "import"

// job is what a background import adds to its runner job: the layer and the features read
// so far.
type job struct {
	layer string
	read  int
}

// NewJobs returns a runner of imports whose jobs are cancelled by Close.
func NewJobs(pool *pgxpool.Pool) *Jobs {
	return &Jobs{Pool: pool, Keep: time.Hour, jobs: map[string]*job{}}
}

// Default quotas of background imports (docs/security.md).
const (
	DefaultImportsPerOwner = 2
	DefaultImports         = 4
	// ImportRetryAfter is what a refused import is told to wait.
	ImportRetryAfter = 30 * time.Second
)

// ErrBusy means a quota of background imports is used up; it is a *QuotaError.
var ErrBusy = errors.New("too many background imports")

// QuotaError says which quota refused an import.
type QuotaError struct {
	Detail string
	Limit  int
}

func (e *QuotaError) Error() string { return e.Detail }

// Unwrap makes errors.Is(err, ErrBusy) hold, and gives the TooMany fault (with
// ImportRetryAfter and the member "limit") that the HTTP layer answers with 429.
func (e *QuotaError) Unwrap() []error {
	return []error{ErrBusy, fault.TooMany(e.Detail, ImportRetryAfter).With("limit", e.Limit)}
}

// quotaError words the runner's refusal for imports; other errors are returned as they are.
func quotaError(err error) error {
	var qe *runner.QuotaError
	switch {
	case !errors.As(err, &qe):
		return err
	case qe.PerOwner:
		return &QuotaError{Detail: fmt.Sprintf("you have %d background imports running, the most one token may run; poll them and try again when one has ended", qe.Count), Limit: qe.Limit}
	default:
		return &QuotaError{Detail: fmt.Sprintf("the server runs %d background imports, its limit; try again later", qe.Count), Limit: qe.Limit}
	}
}

// view returns the import class of the runner, defining it on first use; mu is held.
func (j *Jobs) view() (*runner.Runner, error) {
	if j.closed {
		return nil, errors.New("importer: background imports closed")
	}
	if j.run != nil {
		return j.run, nil
	}
	r := j.Runner
	if r == nil {
		own, err := runner.New(context.Background(), runner.Options{Memory: true}, j.Log)
		if err != nil {
			return nil, err
		}
		r, j.own = own, true
	}
	per, most := j.PerOwner, j.Max
	if per <= 0 {
		per = DefaultImportsPerOwner
	}
	if most <= 0 {
		most = DefaultImports
	}
	j.run = r.Class(runner.Class{Name: ClassImport, Workers: most, RunningPerOwner: per, QueuedPerOwner: 0, Queue: most,
		Keep: j.Keep, NoFiles: true, RetryAfter: ImportRetryAfter})
	return j.run, nil
}

// Admit reports whether owner may start one more background import now: nil, or a
// *QuotaError. Start checks again; this lets a caller refuse before spooling an upload.
func (j *Jobs) Admit(owner string) error {
	j.mu.Lock()
	run, err := j.view()
	j.mu.Unlock()
	if err != nil {
		return err
	}
	return quotaError(run.Admit(owner))
}

// Start begins importing src into layer and returns the job id at once, or a *QuotaError
// when a quota is used up (src and cleanup are then left to the caller); o.Actor is the
// job's owner. cleanup, if not nil, runs when the import ends, whichever way (to close
// the reader and remove a spooled upload).
func (j *Jobs) Start(layer string, src Reader, o Options, cleanup func()) (string, error) {
	j.mu.Lock()
	run, err := j.view()
	j.forget()
	j.mu.Unlock()
	if err != nil {
		return "", err
	}
	jb := &job{layer: layer}
	user := o.Progress
	o.Progress = func(n int) {
		j.mu.Lock()
		jb.read = n
		j.mu.Unlock()
		if user != nil {
			user(n)
		}
	}
	work := func(ctx context.Context, _ string, _ func(float64, string)) (any, error) {
		rep, err := Import(ctx, j.Pool, layer, src, o)
		if err != nil && ctx.Err() == nil && ClientSafe(err) {
			// The importer's own refusal is the job's message; any other cause the
			// runner logs under the job's id and does not show.
			err = fault.Unprocessable(err.Error())
		}
		return rep, err
	}
	rj, err := run.Submit(runner.Spec{Owner: o.Actor, Process: layer, Work: work, Cleanup: cleanup})
	if err != nil {
		return "", quotaError(err)
	}
	j.mu.Lock()
	j.jobs[rj.ID] = jb
	j.mu.Unlock()
	return rj.ID, nil
}

// forget drops the imports the runner no longer keeps; mu is held.
func (j *Jobs) forget() {
	if j.run == nil {
		return
	}
	for id := range j.jobs {
		if _, err := j.run.Get(id); err != nil {
			delete(j.jobs, id)
		}
	}
}

// Status returns a copy of the job's status; ok is false for an unknown id.
func (j *Jobs) Status(id string) (JobStatus, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.jobs[id]
	if !ok {
		return JobStatus{}, false
	}
	rj, err := j.run.Get(id)
	if err != nil {
		delete(j.jobs, id)
		return JobStatus{}, false
	}
	st := JobStatus{ID: id, Layer: jb.layer, Owner: rj.Owner, Read: jb.read, Started: rj.Created}
	switch rj.Status {
	case runner.Accepted, runner.Running:
		st.State = JobRunning
	case runner.Successful:
		st.State = JobSucceeded
	case runner.Dismissed:
		st.State, st.Error = JobCancelled, "cancelled; nothing was written"
	default:
		st.State, st.Error = JobFailed, rj.Message
	}
	if rj.Finished != nil {
		st.Finished = *rj.Finished
	}
	if rep, _ := runner.ResultOf[*Report](rj); rep != nil {
		st.Report, st.Read = rep, rep.Read
	}
	return st, true
}

// Cancel stops a running job and waits (until ctx ends) for its transaction to roll
// back, or forgets a finished one. It returns the job's last status; ok is false for an
// unknown id. A cancelled job stays listed (state cancelled) until dismissed or Keep
// passes.
func (j *Jobs) Cancel(ctx context.Context, id string) (JobStatus, bool) {
	st, ok := j.Status(id)
	if !ok {
		return st, false
	}
	if st.State != JobRunning {
		_, _ = j.run.Dismiss(ctx, id)
		j.mu.Lock()
		delete(j.jobs, id)
		j.mu.Unlock()
		return st, true
	}
	_, _ = j.run.Cancel(ctx, id)
	return j.Status(id)
}

// Close cancels running jobs (their transactions roll back) and waits for them; no
// import starts after it.
func (j *Jobs) Close() {
	j.mu.Lock()
	j.closed = true
	run, own := j.run, j.own
	ids := make([]string, 0, len(j.jobs))
	for id := range j.jobs {
		ids = append(ids, id)
	}
	j.mu.Unlock()
	switch {
	case run == nil:
	case own:
		run.Close()
	default:
		for _, id := range ids {
			_, _ = run.Cancel(context.Background(), id)
		}
	}
}
