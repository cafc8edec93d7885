package importer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	ID       string    `json:"id"`
	Layer    string    `json:"layer"`
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

	mu   sync.Mutex
	jobs map[string]*JobStatus
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// NewJobs returns a runner whose jobs are cancelled by Close.
func NewJobs(pool *pgxpool.Pool) *Jobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &Jobs{Pool: pool, Keep: time.Hour, jobs: map[string]*JobStatus{}, ctx: ctx, stop: cancel}
}

// Start begins importing src into layer and returns the job id at once. cleanup, if not
// nil, runs when the import ends (to remove an uploaded temporary file).
func (j *Jobs) Start(layer string, src Reader, o Options, cleanup func()) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	st := &JobStatus{ID: id, Layer: layer, State: JobRunning, Started: time.Now().UTC()}
	j.mu.Lock()
	j.gc()
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
	return id
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
