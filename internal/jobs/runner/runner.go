// Package runner is the one background-job runner of the server: the report jobs of
// OGC API – Processes (internal/jobs) and the background imports of the API
// (internal/importer) run on it, each in its own Class with its own quotas and workers.
//
// Jobs run on the runner's context (the server's), never on a request's, so a client that
// disconnects does not stop its job; Close cancels them. A job of a class with files
// writes into a temporary directory under the output directory, which is renamed into
// place only when the job succeeds: a failed or cancelled job leaves no partial files, and
// a successful one survives a restart. A job of a class without files (NoFiles) lives in
// memory only; what it has to show is its Result.
package runner

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

// ErrNotFound is returned for an unknown job id, or the id of another class's job.
var ErrNotFound = errors.New("jobs: no such job")

// Task is the work of one job: it writes its files into dir and reports progress (0…1)
// with a message. It must return promptly with ctx.Err() once ctx is cancelled.
type Task func(ctx context.Context, dir string, progress func(done float64, message string)) error

// Work is a Task that also returns a value, kept as the job's Result whether or not it
// fails (an import's report lists the rejected features of a refused import). dir is ""
// for a class without files.
type Work func(ctx context.Context, dir string, progress func(done float64, message string)) (any, error)

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
	Owner string `json:"owner,omitempty"`
	// Class is the name of the job's class; a job stored before classes is a process.
	Class string `json:"class,omitempty"`
	Files []File `json:"-"`
	// Result is what the job's Work returned (nil for a Task); ResultOf reads it typed.
	// It is kept in memory only.
	Result    any `json:"-"`
	cancel    context.CancelFunc
	done      chan struct{}
	mediaType func(string) string
	cleanup   func()
}

// ResultOf returns j's Result as a T; ok is false when the job has none of that type.
func ResultOf[T any](j Job) (v T, ok bool) {
	v, ok = j.Result.(T)
	return v, ok
}

// ClassProcess is the class of the OGC API – Processes jobs, the one Options configure.
const ClassProcess = "process"

// Class is a kind of job with quotas and workers of its own: a job of one class never
// waits for a worker of another, nor counts against another's quotas.
type Class struct {
	Name string
	// Workers is how many of the class's jobs run at once over all owners; 0 means 1.
	Workers int
	// RunningPerOwner is how many of one owner's jobs run at once; 0 means the default
	// quotas, DefaultRunningPerOwner and DefaultQueuedPerOwner.
	RunningPerOwner int
	// QueuedPerOwner is how many more of one owner's jobs may wait. Start refuses a job
	// beyond RunningPerOwner+QueuedPerOwner with a *QuotaError.
	QueuedPerOwner int
	// Queue bounds the jobs waiting or running over all owners; 0 means DefaultQueue.
	// Start refuses a job beyond it with a *QuotaError.
	Queue int
	// Keep is how long a finished job (and its files) is kept; 0 means 7 days.
	Keep time.Duration
	// NoFiles means the class's jobs write no files: their Work gets dir "", nothing is
	// stored, and a restart forgets them.
	NoFiles bool
	// RetryAfter is what a refused job is told to wait; 0 means RetryAfter.
	RetryAfter time.Duration
}

// normalized fills in the defaults.
func (c Class) normalized() Class {
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.RunningPerOwner <= 0 {
		c.RunningPerOwner, c.QueuedPerOwner = DefaultRunningPerOwner, DefaultQueuedPerOwner
	}
	c.QueuedPerOwner = max(0, c.QueuedPerOwner)
	if c.Queue <= 0 {
		c.Queue = DefaultQueue
	}
	if c.Keep <= 0 {
		c.Keep = 7 * 24 * time.Hour
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = RetryAfter
	}
	return c
}

// Options configure a Runner and its process class (ClassProcess).
type Options struct {
	// Dir holds one directory per successful job; "" means <tmp>/cityreach-jobs.
	Dir string
	// Memory keeps nothing on disk: no directory is made or read, and only classes with
	// NoFiles may start jobs.
	Memory bool
	// Workers is how many process jobs run at once; 0 means 1 (reports are CPU-bound and
	// already parallel inside).
	Workers int
	// Keep is how long a finished process job and its files are kept; 0 means 7 days.
	Keep time.Duration
	// RunningPerOwner, QueuedPerOwner and Queue are the quotas of the process class (see
	// Class).
	RunningPerOwner int
	QueuedPerOwner  int
	Queue           int
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

// Runner is the runner as one class sees it: Start and Admit use the class's quotas and
// workers, and Get, List, Wait, Path, Cancel and Dismiss see only the class's jobs (the
// id of another class's job is ErrNotFound). New returns the process class's view; Class
// gives another's. It is safe for concurrent use.
type Runner struct {
	*state
	cl *class
}

// state is what every class's view shares.
type state struct {
	base    context.Context
	stop    context.CancelFunc
	dir     string // "" with Options.Memory
	log     *slog.Logger
	wg      sync.WaitGroup
	mu      sync.Mutex
	jobs    map[string]*Job
	classes map[string]*class
	closed  bool
}

// class is a Class with its worker slots and each owner's running slots.
type class struct {
	Class
	slots  chan struct{}
	owners map[string]chan struct{}
}

// New returns a Runner whose jobs run on ctx (the server's context): cancelling it, or
// Close, cancels every job. Unless opt.Memory, it creates the output directory, removes
// the temporary directories a crash left behind and reloads the finished jobs stored
// there. The Runner it returns is the view of ClassProcess, configured by opt.
func New(ctx context.Context, opt Options, log *slog.Logger) (*Runner, error) {
	if opt.Dir == "" && !opt.Memory {
		opt.Dir = filepath.Join(os.TempDir(), "cityreach-jobs")
	}
	if opt.Memory {
		opt.Dir = ""
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.Dir != "" {
		if err := os.MkdirAll(opt.Dir, 0o750); err != nil {
			return nil, fmt.Errorf("jobs directory: %w", err)
		}
	}
	base, stop := context.WithCancel(ctx)
	st := &state{base: base, stop: stop, dir: opt.Dir, log: log, jobs: map[string]*Job{}, classes: map[string]*class{}}
	r := st.class(Class{Name: ClassProcess, Workers: opt.Workers, Keep: opt.Keep,
		RunningPerOwner: opt.RunningPerOwner, QueuedPerOwner: opt.QueuedPerOwner, Queue: opt.Queue})
	if opt.Dir != "" {
		if err := st.reload(); err != nil {
			stop()
			return nil, err
		}
	}
	return r, nil
}

// Class returns the view of the class c.Name, defining it with c's quotas and workers
// the first time; later definitions of the same name get the first one's. c.Name must
// not be empty.
func (r *Runner) Class(c Class) *Runner { return r.class(c) }

func (s *state) class(c Class) *Runner {
	if c.Name == "" {
		panic("runner: a class needs a name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, ok := s.classes[c.Name]
	if !ok {
		c = c.normalized()
		cl = &class{Class: c, slots: make(chan struct{}, c.Workers), owners: map[string]chan struct{}{}}
		s.classes[c.Name] = cl
	}
	return &Runner{state: s, cl: cl}
}

// Limits returns the quotas and workers of r's class, defaults filled in.
func (r *Runner) Limits() Class { return r.cl.Class }

// Dir is the output directory ("" for a runner in memory).
func (r *Runner) Dir() string { return r.dir }

const tmpPrefix = ".tmp-"

// reload removes leftover temporary directories and registers the stored successful jobs.
func (s *state) reload() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := filepath.Join(s.dir, e.Name())
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
		if j.Class == "" {
			j.Class = ClassProcess
		}
		j.Files = files
		j.done = make(chan struct{})
		close(j.done)
		s.jobs[j.ID] = &j
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
// accepted). mediaType names the type of each result file. Beyond the class's quotas it
// refuses the job with a *QuotaError, a TooMany fault carrying the class's RetryAfter.
func (r *Runner) Start(owner, process string, inputs any, task Task, mediaType func(string) string) (Job, error) {
	return r.Submit(Spec{Owner: owner, Process: process, Inputs: inputs, MediaType: mediaType,
		Work: func(ctx context.Context, dir string, progress func(float64, string)) (any, error) {
			return nil, task(ctx, dir, progress)
		}})
}

// Spec describes a job for Submit.
type Spec struct {
	Owner   string // a token name
	Process string
	Inputs  any
	Work    Work
	// MediaType names the type of a result file; nil means application/octet-stream.
	MediaType func(name string) string
	// Cleanup, when not nil, runs once the job has ended, whichever way: also when it is
	// cancelled before it ran. The job is not done (Wait, Cancel, Dismiss) before it returns.
	Cleanup func()
}

// Submit is Start with a Work, which gives the job its Result, and a cleanup. When it
// refuses the job, Cleanup is not run: what it would release is the caller's again.
func (r *Runner) Submit(s Spec) (Job, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return Job{}, errors.New("jobs: runner closed")
	}
	if !r.cl.NoFiles && r.dir == "" {
		return Job{}, fmt.Errorf("jobs: class %s writes files, but the runner keeps nothing on disk", r.cl.Name)
	}
	r.prune()
	if err := r.admit(s.Owner); err != nil {
		return Job{}, err
	}
	ctx, cancel := context.WithCancel(r.base)
	now := time.Now().UTC()
	j := &Job{ID: newID(), Process: s.Process, Type: "process", Status: Accepted, Created: now, Updated: now, Inputs: s.Inputs,
		Owner: s.Owner, Class: r.cl.Name, cancel: cancel, done: make(chan struct{}), mediaType: s.MediaType, cleanup: s.Cleanup}
	r.jobs[j.ID] = j
	slot, ok := r.cl.owners[s.Owner]
	if !ok {
		slot = make(chan struct{}, r.cl.RunningPerOwner)
		r.cl.owners[s.Owner] = slot
	}
	r.wg.Add(1)
	go r.run(ctx, j, s.Work, slot)
	return j.snapshot(), nil
}

// Admit reports whether owner may start one more job of the class now: nil, or the
// *QuotaError Start would return. Start checks again; this lets a caller refuse before
// it reads a large upload.
func (r *Runner) Admit(owner string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prune()
	return r.admit(owner)
}

// QuotaError is a job refused because a quota of its class is used up. It unwraps to a
// TooMany fault with the class's RetryAfter and the member "limit", which the HTTP
// layer answers with 429.
type QuotaError struct {
	Class string
	// PerOwner says the owner's quota refused the job, not the server's.
	PerOwner bool
	// Count is how many of the class's jobs (the owner's, or all) wait or run; Limit is
	// the quota.
	Count, Limit int
	fault        *fault.Error
}

func (e *QuotaError) Error() string { return e.fault.Detail }

// Unwrap gives the fault.
func (e *QuotaError) Unwrap() error { return e.fault }

// admit checks the class's quotas for one more job of owner. r.mu is held.
func (r *Runner) admit(owner string) error {
	mine, all := 0, 0
	for _, j := range r.jobs {
		if j.Finished == nil && j.Class == r.cl.Name {
			all++
			if j.Owner == owner {
				mine++
			}
		}
	}
	c := r.cl.Class
	if per := c.RunningPerOwner + c.QueuedPerOwner; mine >= per {
		return &QuotaError{Class: c.Name, PerOwner: true, Count: mine, Limit: per,
			fault: fault.TooMany(fmt.Sprintf("you have %d jobs waiting or running, the most one token may have (%d running + %d queued); wait for one to finish or DELETE one", mine, c.RunningPerOwner, c.QueuedPerOwner), c.RetryAfter).
				With("limit", per)}
	}
	if all >= c.Queue {
		return &QuotaError{Class: c.Name, Count: all, Limit: c.Queue,
			fault: fault.TooMany(fmt.Sprintf("the server's job queue is full (%d jobs waiting or running); try again later", all), c.RetryAfter).
				With("limit", c.Queue)}
	}
	return nil
}

func (j *Job) snapshot() Job {
	c := *j
	c.Files = append([]File(nil), j.Files...)
	return c
}

func (s *state) update(j *Job, fn func(j *Job)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(j)
	j.Updated = time.Now().UTC()
}

// run waits for one of the owner's running slots, then for one of the class's workers, so
// that a job held back by its owner's quota never keeps a worker from another owner's job.
func (r *Runner) run(ctx context.Context, j *Job, work Work, ownerSlot chan struct{}) {
	defer r.wg.Done()
	defer close(j.done)
	defer j.cancel()
	if j.cleanup != nil {
		defer j.cleanup()
	}
	for _, slots := range []chan struct{}{ownerSlot, r.cl.slots} {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		case <-ctx.Done():
			r.finish(j, "", nil, ctx.Err())
			return
		}
	}
	var tmp string
	var err error
	if !r.cl.NoFiles {
		tmp = filepath.Join(r.dir, tmpPrefix+j.ID)
		err = os.Mkdir(tmp, 0o750)
	}
	var res any
	if err == nil {
		r.update(j, func(j *Job) {
			t := time.Now().UTC()
			j.Status, j.Started, j.Message = Running, &t, "started"
		})
		res, err = work(ctx, tmp, func(done float64, msg string) {
			r.update(j, func(j *Job) {
				if j.Status == Running {
					j.Progress = max(j.Progress, min(99, int(done*100)))
					j.Message = msg
				}
			})
		})
	}
	switch {
	case err != nil && ctx.Err() != nil:
		err = ctx.Err() // a failure of a cancelled job is its cancellation
	case err == nil && ctx.Err() != nil && !r.cl.NoFiles:
		err = ctx.Err() // its files are not published yet: cancelled
	}
	r.finish(j, tmp, res, err)
}

// finish records the outcome: on success the files move into place under the job's id;
// otherwise the temporary directory and everything in it is removed.
func (r *Runner) finish(j *Job, tmp string, res any, err error) {
	if err == nil && !r.cl.NoFiles {
		err = r.publish(j, tmp)
	}
	if err != nil && tmp != "" {
		if rerr := os.RemoveAll(tmp); rerr != nil {
			r.log.Error("job: removing partial files", "job", j.ID, "err", rerr)
		}
	}
	r.update(j, func(j *Job) {
		t := time.Now().UTC()
		j.Finished, j.Result = &t, res
		switch {
		case err == nil:
			j.Status, j.Progress, j.Message = Successful, 100, "done"
		case errors.Is(err, context.Canceled):
			j.Status, j.Message = Dismissed, "cancelled"
		default:
			j.Status, j.Message = Failed, clientMessage(j.ID, err)
			if fe := fault.As(err); fe != nil && fe.Cause == nil {
				r.log.Info("job refused", "job", j.ID, "class", j.Class, "process", j.Process, "err", err)
			} else {
				r.log.Error("job failed", "job", j.ID, "class", j.Class, "process", j.Process, "err", err)
			}
		}
	})
}

// clientMessage is what a failed job says to clients: the detail of a fault the task
// chose to expose (a validation error), otherwise a generic message; the cause is logged
// under the job's id.
func clientMessage(id string, err error) string {
	if fe := fault.As(err); fe != nil && fe.Kind != fault.KindUnavailable {
		return fe.Detail
	}
	return "the job failed; the server log has the cause under job " + id
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

// lookup returns the class's job id. r.mu is held.
func (r *Runner) lookup(id string) (*Job, bool) {
	j, ok := r.jobs[id]
	if !ok || j.Class != r.cl.Name {
		return nil, false
	}
	return j, true
}

// Get returns the job id.
func (r *Runner) Get(id string) (Job, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.lookup(id)
	if !ok {
		return Job{}, ErrNotFound
	}
	return j.snapshot(), nil
}

// List returns the class's jobs for which keep is true (every one when keep is nil),
// newest first.
func (r *Runner) List(keep func(j *Job) bool) []Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Job, 0, len(r.jobs))
	for _, j := range r.jobs {
		if j.Class == r.cl.Name && (keep == nil || keep(j)) {
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

// ended returns the class's job id once it has ended, or ctx's error first.
func (r *Runner) ended(ctx context.Context, id string, cancel bool) (*Job, error) {
	r.mu.Lock()
	j, ok := r.lookup(id)
	r.mu.Unlock()
	if !ok {
		return nil, ErrNotFound
	}
	if cancel {
		j.cancel()
	}
	select {
	case <-j.done:
		return j, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Wait blocks until the job id has ended or ctx ends.
func (r *Runner) Wait(ctx context.Context, id string) (Job, error) {
	if _, err := r.ended(ctx, id, false); err != nil {
		return Job{}, err
	}
	return r.Get(id)
}

// Cancel cancels a running or queued job and waits for it to stop (its partial files
// are then gone, its Cleanup has run); the job stays listed, status dismissed with the
// message "cancelled", until Keep passes or it is dismissed. A finished job is left as it
// is. It returns the job's last state.
func (r *Runner) Cancel(ctx context.Context, id string) (Job, error) {
	if _, err := r.ended(ctx, id, true); err != nil {
		return Job{}, err
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
	j, err := r.ended(ctx, id, true)
	if err != nil {
		return Job{}, err
	}
	if r.dir != "" {
		if err := os.RemoveAll(filepath.Join(r.dir, id)); err != nil {
			return Job{}, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.jobs, id)
	j.Status, j.Message, j.Files = Dismissed, "dismissed", nil
	j.Updated = time.Now().UTC()
	return j.snapshot(), nil
}

// prune forgets finished jobs older than their class's Keep and removes their files. r.mu
// is held.
func (s *state) prune() {
	now := time.Now()
	for id, j := range s.jobs {
		if j.Finished == nil {
			continue
		}
		keep := 7 * 24 * time.Hour // a stored job of a class not defined in this process
		if c, ok := s.classes[j.Class]; ok {
			keep = c.Keep
		}
		if !j.Finished.Before(now.Add(-keep)) {
			continue
		}
		if s.dir != "" {
			if err := os.RemoveAll(filepath.Join(s.dir, id)); err != nil {
				s.log.Warn("jobs: pruning", "job", id, "err", err)
				continue
			}
		}
		delete(s.jobs, id)
	}
}

// Close cancels every job of every class and waits for them to stop; the runner then
// refuses new jobs. It may be called more than once, on any class's view.
func (r *Runner) Close() { r.close() }

func (s *state) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.wg.Wait()
}
