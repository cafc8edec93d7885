package importer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
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
// their status for polling. The zero value is not usable; call NewJobs. Finished jobs are
// kept for Keep (default one hour).
type Jobs struct {
	Pool *pgxpool.Pool
	Keep time.Duration
	// PerOwner bounds the imports one owner runs at once, Max those of all owners (each
	// holds a database connection and a transaction); 0 means DefaultImportsPerOwner and
	// DefaultImports.
	PerOwner, Max int
	// Log receives the causes of failures that JobStatus.Error does not show.
	Log *slog.Logger

	mu   sync.Mutex
	jobs map[string]*job
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// job is one background import: its status, how to stop it and when it has ended.
type job struct {
	st        JobStatus
	cancel    context.CancelFunc
	done      chan struct{}
	cancelled bool
}

// NewJobs returns a runner whose jobs are cancelled by Close.
func NewJobs(pool *pgxpool.Pool) *Jobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &Jobs{Pool: pool, Keep: time.Hour, jobs: map[string]*job{}, ctx: ctx, stop: cancel}
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

// Unwrap makes errors.Is(err, ErrBusy) hold.
func (e *QuotaError) Unwrap() error { return ErrBusy }

// Admit reports whether owner may start one more background import now: nil, or a
// *QuotaError. Start checks again; this lets a caller refuse before spooling an upload.
func (j *Jobs) Admit(owner string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.admit(owner)
}

// admit checks the quotas; the caller holds mu.
func (j *Jobs) admit(owner string) error {
	per, most := j.PerOwner, j.Max
	if per <= 0 {
		per = DefaultImportsPerOwner
	}
	if most <= 0 {
		most = DefaultImports
	}
	mine, all := 0, 0
	for _, jb := range j.jobs {
		if jb.st.State == JobRunning {
			all++
			if jb.st.Owner == owner {
				mine++
			}
		}
	}
	if mine >= per {
		return &QuotaError{Detail: fmt.Sprintf("you have %d background imports running, the most one token may run; poll them and try again when one has ended", mine), Limit: per}
	}
	if all >= most {
		return &QuotaError{Detail: fmt.Sprintf("the server runs %d background imports, its limit; try again later", all), Limit: most}
	}
	return nil
}

// Start begins importing src into layer and returns the job id at once, or a *QuotaError
// when a quota is used up (src and cleanup are then left to the caller); o.Actor is the
// job's owner. cleanup, if not nil, runs when the import ends, whichever way (to close
// the reader and remove a spooled upload).
func (j *Jobs) Start(layer string, src Reader, o Options, cleanup func()) (string, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	ctx, cancel := context.WithCancel(j.ctx)
	jb := &job{st: JobStatus{ID: id, Layer: layer, State: JobRunning, Owner: o.Actor, Started: time.Now().UTC()},
		cancel: cancel, done: make(chan struct{})}
	j.mu.Lock()
	j.gc()
	if err := j.admit(o.Actor); err != nil {
		j.mu.Unlock()
		cancel()
		return "", err
	}
	j.jobs[id] = jb
	j.mu.Unlock()
	user := o.Progress
	o.Progress = func(n int) {
		j.mu.Lock()
		jb.st.Read = n
		j.mu.Unlock()
		if user != nil {
			user(n)
		}
	}
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		defer close(jb.done)
		defer cancel()
		if cleanup != nil {
			defer cleanup()
		}
		rep, err := Import(ctx, j.Pool, layer, src, o)
		j.mu.Lock()
		defer j.mu.Unlock()
		st := &jb.st
		st.Finished = time.Now().UTC()
		st.Report = rep
		if rep != nil {
			st.Read = rep.Read
		}
		switch {
		case err == nil:
			st.State = JobSucceeded
		case jb.cancelled:
			st.State, st.Error = JobCancelled, "cancelled; nothing was written"
		case ClientSafe(err):
			st.State, st.Error = JobFailed, err.Error()
		default:
			st.State, st.Error = JobFailed, "internal error; the server log has the cause under import "+id
			if j.Log != nil {
				j.Log.Error("import failed", "import", id, "layer", layer, "err", err)
			}
		}
	}()
	return id, nil
}

// Status returns a copy of the job's status; ok is false for an unknown id.
func (j *Jobs) Status(id string) (JobStatus, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.jobs[id]
	if !ok {
		return JobStatus{}, false
	}
	return jb.st, true
}

// Cancel stops a running job and waits (until ctx ends) for its transaction to roll
// back, or forgets a finished one. It returns the job's last status; ok is false for an
// unknown id. A cancelled job stays listed (state cancelled) until dismissed or Keep
// passes.
func (j *Jobs) Cancel(ctx context.Context, id string) (JobStatus, bool) {
	j.mu.Lock()
	jb, ok := j.jobs[id]
	if !ok {
		j.mu.Unlock()
		return JobStatus{}, false
	}
	if jb.st.State != JobRunning {
		delete(j.jobs, id)
		st := jb.st
		j.mu.Unlock()
		return st, true
	}
	jb.cancelled = true
	j.mu.Unlock()
	jb.cancel()
	select {
	case <-jb.done:
	case <-ctx.Done():
	}
	return j.Status(id)
}

// Close cancels running jobs (their transactions roll back) and waits for them.
func (j *Jobs) Close() {
	j.stop()
	j.wg.Wait()
}

// gc forgets finished jobs older than Keep; the caller holds mu.
func (j *Jobs) gc() {
	for id, jb := range j.jobs {
		if jb.st.State != JobRunning && time.Since(jb.st.Finished) > j.Keep {
			delete(j.jobs, id)
		}
	}
}
