// Package jobs runs long computations as asynchronous jobs in the style of OGC API –
// Processes (Part 1: Core): a client POSTs to /api/v1/processes/{id}/execution and gets 201
// with the job's Location, polls GET /api/v1/jobs/{id} for status and progress, lists and
// downloads the results under /api/v1/jobs/{id}/results, and DELETEs the job to cancel it
// (or dismiss a finished one). docs/reports.md describes the report process.
//
// Jobs run on the server's context, never on the request's, so a client that disconnects
// after the 201 does not stop its job; shutting the server down cancels them. Each job
// writes into a temporary directory under the output directory, which is renamed into
// place only when the job succeeds: a failed or cancelled job leaves no partial files.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cityreach/cityreach/internal/fault"
)

// Status values of a job (OGC API – Processes statusCode).
const (
	Accepted   = "accepted"
	Running    = "running"
	Successful = "successful"
	Failed     = "failed"
	Dismissed  = "dismissed"
)

// ErrNotFound is returned for an unknown job id.
var ErrNotFound = errors.New("jobs: no such job")

// Task is the work of one job: it writes its files into dir and reports progress (0…1)
// with a message. It must return promptly with ctx.Err() once ctx is cancelled.
type Task func(ctx context.Context, dir string, progress func(done float64, message string)) error

// File is one result file of a successful job.
type File struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"`
}

// Job is the state of one job, as reported by GET /jobs/{id}.
type Job struct {
	ID       string     `json:"jobID"`
	Process  string     `json:"processID"`
	Type     string     `json:"type"` // always "process"
	Status   string     `json:"status"`
	Message  string     `json:"message,omitempty"`
	Progress int        `json:"progress"` // percent
	Created  time.Time  `json:"created"`
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
	Updated  time.Time  `json:"updated"`
	Inputs   any        `json:"inputs,omitempty"`
	// Owner is the name of the token that started the job; only it and admins see the
	// job. It is stored with a finished job's files, so it survives a restart.
	Owner     string `json:"owner,omitempty"`
	Files     []File `json:"-"`
	cancel    context.CancelFunc
	done      chan struct{}
	mediaType func(string) string
}

// Options configure a Runner.
type Options struct {
	// Dir holds one directory per successful job; "" means <tmp>/cityreach-jobs.
	Dir string
	// Workers is how many jobs run at once; 0 means 1 (reports are CPU-bound and already
	// parallel inside).
	Workers int
	// Keep is how long a finished job and its files are kept; 0 means 7 days.
	Keep time.Duration
	// RunningPerOwner is how many of one owner's jobs run at once; 0 means the default
	// quotas, DefaultRunningPerOwner and DefaultQueuedPerOwner.
	RunningPerOwner int
	// QueuedPerOwner is how many more of one owner's jobs may wait. Start refuses a job
	// beyond RunningPerOwner+QueuedPerOwner with 429.
	QueuedPerOwner int
	// Queue bounds the jobs waiting or running over all owners; 0 means 32. Start
	// refuses a job beyond it with 429.
	Queue int
}

// Default quotas (docs/security.md).
const (
	DefaultRunningPerOwner = 2
	DefaultQueuedPerOwner  = 4
	DefaultQueue           = 32
	// RetryAfter is what a refused job is told to wait before it tries again.
	RetryAfter = 30 * time.Second
)

// OptionsFromEnv reads CITYREACH_JOBS_DIR, CITYREACH_JOBS_WORKERS and CITYREACH_JOBS_KEEP
// (a Go duration).
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var o Options
	o.Dir = getenv("CITYREACH_JOBS_DIR")
	if v := getenv("CITYREACH_JOBS_WORKERS"); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &o.Workers); err != nil || o.Workers < 1 {
			return o, fmt.Errorf("CITYREACH_JOBS_WORKERS=%q: want a positive integer", v)
		}
	}
	if v := getenv("CITYREACH_JOBS_KEEP"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("CITYREACH_JOBS_KEEP=%q: want a positive duration such as 168h", v)
		}
		o.Keep = d
	}
	return o, nil
}

// Runner owns the jobs of one process. It is safe for concurrent use.
type Runner struct {
	base   context.Context
	stop   context.CancelFunc
	dir    string
	keep   time.Duration
	slots  chan struct{}
	quota  Options
	log    *slog.Logger
	wg     sync.WaitGroup
	mu     sync.Mutex
	jobs   map[string]*Job
	owners map[string]chan struct{} // each owner's running slots
	closed bool
}

// New returns a Runner whose jobs run on ctx (the server's context): cancelling it, or
// Close, cancels every job. It creates the output directory, removes the temporary
// directories a crash left behind and reloads the finished jobs stored there.
func New(ctx context.Context, opt Options, log *slog.Logger) (*Runner, error) {
	if opt.Dir == "" {
		opt.Dir = filepath.Join(os.TempDir(), "cityreach-jobs")
	}
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	if opt.Keep <= 0 {
		opt.Keep = 7 * 24 * time.Hour
	}
	if opt.RunningPerOwner <= 0 {
		opt.RunningPerOwner, opt.QueuedPerOwner = DefaultRunningPerOwner, DefaultQueuedPerOwner
	}
	opt.QueuedPerOwner = max(0, opt.QueuedPerOwner)
	if opt.Queue <= 0 {
		opt.Queue = DefaultQueue
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opt.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("jobs directory: %w", err)
	}
	base, stop := context.WithCancel(ctx)
	r := &Runner{base: base, stop: stop, dir: opt.Dir, keep: opt.Keep, slots: make(chan struct{}, opt.Workers), quota: opt, log: log,
		jobs: map[string]*Job{}, owners: map[string]chan struct{}{}}
	if err := r.reload(); err != nil {
		stop()
		return nil, err
	}
	return r, nil
}

// Dir is the output directory.
func (r *Runner) Dir() string { return r.dir }

const tmpPrefix = ".tmp-"

// reload removes leftover temporary directories and registers the stored successful jobs.
func (r *Runner) reload() error {
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := filepath.Join(r.dir, e.Name())
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			continue
		}
		b, err := os.ReadFile(filepath.Join(p, jobFile))
		if err != nil {
			continue
		}
		var j Job
		if err := json.Unmarshal(b, &j); err != nil || j.ID != e.Name() {
			continue
		}
		var files []File
		if err := json.Unmarshal(b, &struct {
			Files *[]File `json:"files"`
		}{&files}); err != nil {
			continue
		}
		j.Files = files
		j.done = make(chan struct{})
		close(j.done)
		r.jobs[j.ID] = &j
	}
	return nil
}

// jobFile is the status document stored beside a successful job's files; it is not one of
// the results.
const jobFile = ".job.json"

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Start creates a job of owner (a token name) running task and returns it at once (status
// accepted). mediaType names the type of each result file. When the owner already has
// RunningPerOwner+QueuedPerOwner jobs waiting or running, or all owners together have
// Queue, it refuses the job with a TooMany fault carrying RetryAfter.
func (r *Runner) Start(owner, process string, inputs any, task Task, mediaType func(string) string) (Job, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return Job{}, errors.New("jobs: runner closed")
	}
	r.prune()
	if err := r.admit(owner); err != nil {
		return Job{}, err
	}
	ctx, cancel := context.WithCancel(r.base)
	now := time.Now().UTC()
	j := &Job{ID: newID(), Process: process, Type: "process", Status: Accepted, Created: now, Updated: now, Inputs: inputs,
		Owner: owner, cancel: cancel, done: make(chan struct{}), mediaType: mediaType}
	r.jobs[j.ID] = j
	slot, ok := r.owners[owner]
	if !ok {
		slot = make(chan struct{}, r.quota.RunningPerOwner)
		r.owners[owner] = slot
	}
	r.wg.Add(1)
	go r.run(ctx, j, task, slot)
	return j.snapshot(), nil
}

// admit checks the quotas for one more job of owner. r.mu is held.
func (r *Runner) admit(owner string) error {
	mine, all := 0, 0
	for _, j := range r.jobs {
		if j.Finished == nil {
			all++
			if j.Owner == owner {
				mine++
			}
		}
	}
	if per := r.quota.RunningPerOwner + r.quota.QueuedPerOwner; mine >= per {
		return fault.TooMany(fmt.Sprintf("you have %d jobs waiting or running, the most one token may have (%d running + %d queued); wait for one to finish or DELETE one", mine, r.quota.RunningPerOwner, r.quota.QueuedPerOwner), RetryAfter).
			With("limit", per)
	}
	if all >= r.quota.Queue {
		return fault.TooMany(fmt.Sprintf("the server's job queue is full (%d jobs waiting or running); try again later", all), RetryAfter).
			With("limit", r.quota.Queue)
	}
	return nil
}

func (j *Job) snapshot() Job {
	c := *j
	c.Files = append([]File(nil), j.Files...)
	return c
}

func (r *Runner) update(j *Job, fn func(j *Job)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(j)
	j.Updated = time.Now().UTC()
}

// run waits for one of the owner's running slots, then for one of the runner's, so that a
// job held back by its owner's quota never keeps a worker from another owner's job.
func (r *Runner) run(ctx context.Context, j *Job, task Task, ownerSlot chan struct{}) {
	defer r.wg.Done()
	defer close(j.done)
	defer j.cancel()
	for _, slots := range []chan struct{}{ownerSlot, r.slots} {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		case <-ctx.Done():
			r.finish(j, "", ctx.Err())
			return
		}
	}
	tmp := filepath.Join(r.dir, tmpPrefix+j.ID)
	err := os.Mkdir(tmp, 0o750)
	if err == nil {
		r.update(j, func(j *Job) {
			t := time.Now().UTC()
			j.Status, j.Started, j.Message = Running, &t, "started"
		})
		err = task(ctx, tmp, func(done float64, msg string) {
			r.update(j, func(j *Job) {
				if j.Status == Running {
					j.Progress = max(j.Progress, min(99, int(done*100)))
					j.Message = msg
				}
			})
		})
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	r.finish(j, tmp, err)
}

// finish records the outcome: on success the files move into place under the job's id;
// otherwise the temporary directory and everything in it is removed.
func (r *Runner) finish(j *Job, tmp string, err error) {
	if err == nil {
		err = r.publish(j, tmp)
	}
	if err != nil && tmp != "" {
		if rerr := os.RemoveAll(tmp); rerr != nil {
			r.log.Error("job: removing partial files", "job", j.ID, "err", rerr)
		}
	}
	r.update(j, func(j *Job) {
		t := time.Now().UTC()
		j.Finished = &t
		switch {
		case err == nil:
			j.Status, j.Progress, j.Message = Successful, 100, "done"
		case errors.Is(err, context.Canceled):
			j.Status, j.Message = Dismissed, "cancelled"
		default:
			j.Status, j.Message = Failed, clientMessage(err)
			r.log.Error("job failed", "job", j.ID, "process", j.Process, "err", err)
		}
	})
}

// clientMessage is what a failed job says to clients: the detail of a fault the task
// chose to expose (a validation error), otherwise a generic message; the cause is logged.
func clientMessage(err error) string {
	if fe := fault.As(err); fe != nil && fe.Kind != fault.KindUnavailable {
		return fe.Detail
	}
	return "the job failed; the server log has the cause"
}

func (r *Runner) publish(j *Job, tmp string) error {
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	var files []File
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		typ := "application/octet-stream"
		if j.mediaType != nil {
			typ = j.mediaType(e.Name())
		}
		files = append(files, File{Name: e.Name(), Type: typ, Size: info.Size()})
	}
	sort.Slice(files, func(a, b int) bool { return files[a].Name < files[b].Name })
	r.mu.Lock()
	snap := j.snapshot()
	r.mu.Unlock()
	t := time.Now().UTC()
	snap.Status, snap.Progress, snap.Finished, snap.Message = Successful, 100, &t, "done"
	b, err := json.Marshal(struct {
		Job
		Files []File `json:"files"`
	}{snap, files})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, jobFile), b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(r.dir, j.ID)); err != nil {
		return err
	}
	r.update(j, func(j *Job) { j.Files = files })
	return nil
}

// Get returns the job id.
func (r *Runner) Get(id string) (Job, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.jobs[id]
	if !ok {
		return Job{}, ErrNotFound
	}
	return j.snapshot(), nil
}

// List returns the jobs for which keep is true (every job when keep is nil), newest first.
func (r *Runner) List(keep func(j *Job) bool) []Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Job, 0, len(r.jobs))
	for _, j := range r.jobs {
		if keep == nil || keep(j) {
			out = append(out, j.snapshot())
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].Created.Equal(out[b].Created) {
			return out[a].Created.After(out[b].Created)
		}
		return out[a].ID < out[b].ID
	})
	return out
}

// Wait blocks until the job id has ended or ctx ends.
func (r *Runner) Wait(ctx context.Context, id string) (Job, error) {
	r.mu.Lock()
	j, ok := r.jobs[id]
	r.mu.Unlock()
	if !ok {
		return Job{}, ErrNotFound
	}
	select {
	case <-j.done:
	case <-ctx.Done():
		return Job{}, ctx.Err()
	}
	return r.Get(id)
}

// Path returns the path of a result file of a successful job, or ErrNotFound.
func (r *Runner) Path(id, name string) (string, File, error) {
	j, err := r.Get(id)
	if err != nil {
		return "", File{}, err
	}
	for _, f := range j.Files {
		if f.Name == name { // only names the job listed: no path from the request reaches the disk
			return filepath.Join(r.dir, j.ID, f.Name), f, nil
		}
	}
	return "", File{}, ErrNotFound
}

// Dismiss cancels a running or queued job, waits for it to stop (its partial files are then
// gone) and removes the job and, for a finished one, its files.
func (r *Runner) Dismiss(ctx context.Context, id string) (Job, error) {
	r.mu.Lock()
	j, ok := r.jobs[id]
	r.mu.Unlock()
	if !ok {
		return Job{}, ErrNotFound
	}
	j.cancel()
	select {
	case <-j.done:
	case <-ctx.Done():
		return Job{}, ctx.Err()
	}
	if err := os.RemoveAll(filepath.Join(r.dir, id)); err != nil {
		return Job{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.jobs, id)
	j.Status, j.Message, j.Files = Dismissed, "dismissed", nil
	j.Updated = time.Now().UTC()
	return j.snapshot(), nil
}

// prune forgets finished jobs older than Keep and removes their files. r.mu is held.
func (r *Runner) prune() {
	cut := time.Now().Add(-r.keep)
	for id, j := range r.jobs {
		if j.Finished != nil && j.Finished.Before(cut) {
			if err := os.RemoveAll(filepath.Join(r.dir, id)); err != nil {
				r.log.Warn("jobs: pruning", "job", id, "err", err)
				continue
			}
			delete(r.jobs, id)
		}
	}
}

// Close cancels every job and waits for them to stop.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.stop()
	r.wg.Wait()
}
