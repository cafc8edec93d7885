package importer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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
)

// JobStatus is what a client polling a background import sees.
type JobStatus struct {
	ID    string `json:"id"`
	Layer string `json:"layer"`
	// Owner is the token that started the import (Options.Actor); only it and admins may
	// poll it.
	Owner    string    `json:"owner,omitempty"`
	State    JobState  `json:"state"`
	Read     int       `json:"read"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Error    string    `json:"error,omitempty"`
	Report   *Report   `json:"report,omitempty"`
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

	mu   sync.Mutex
	jobs map[string]*JobStatus
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
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

// NewJobs returns a runner whose jobs are cancelled by Close.
func NewJobs(pool *pgxpool.Pool) *Jobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &Jobs{Pool: pool, Keep: time.Hour, jobs: map[string]*JobStatus{}, ctx: ctx, stop: cancel}
}

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
	for _, st := range j.jobs {
		if st.State == JobRunning {
			all++
			if st.Owner == owner {
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

// Start begins importing src into layer for o.Actor (the job's owner) and returns the job
// id at once, or a *QuotaError when a quota is used up (src and cleanup are then left to
// the caller). cleanup, if not nil, runs when the import ends (to remove an uploaded
// temporary file).
func (j *Jobs) Start(layer string, src Reader, o Options, cleanup func()) (string, error) {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	st := &JobStatus{ID: id, Layer: layer, Owner: o.Actor, State: JobRunning, Started: time.Now().UTC()}
	j.mu.Lock()
	j.gc()
	if err := j.admit(o.Actor); err != nil {
		j.mu.Unlock()
		return "", err
	}
	j.jobs[id] = st
	j.mu.Unlock()
	user := o.Progress
	o.Progress = func(n int) {
		j.mu.Lock()
		st.Read = n
		j.mu.Unlock()
		if user != nil {
			user(n)
		}
	}
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		if cleanup != nil {
			defer cleanup()
		}
		rep, err := Import(j.ctx, j.Pool, layer, src, o)
		j.mu.Lock()
		defer j.mu.Unlock()
		st.Finished = time.Now().UTC()
		st.Report = rep
		if rep != nil {
			st.Read = rep.Read
		}
		if err != nil {
			st.State, st.Error = JobFailed, err.Error()
			return
		}
		st.State = JobSucceeded
	}()
	return id, nil
}

// Status returns a copy of the job's status; ok is false for an unknown id.
func (j *Jobs) Status(id string) (JobStatus, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	st, ok := j.jobs[id]
	if !ok {
		return JobStatus{}, false
	}
	return *st, true
}

// Close cancels running jobs (their transactions roll back) and waits for them.
func (j *Jobs) Close() {
	j.stop()
	j.wg.Wait()
}

// gc forgets finished jobs older than Keep; the caller holds mu.
func (j *Jobs) gc() {
	for id, st := range j.jobs {
		if st.State != JobRunning && time.Since(st.Finished) > j.Keep {
			delete(j.jobs, id)
		}
	}
}
