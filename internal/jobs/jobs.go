// Package jobs runs long computations as asynchronous jobs in the style of OGC API –
// Processes (Part 1: Core): a client POSTs to /api/v1/processes/{id}/execution and gets 201
// with the job's Location, polls GET /api/v1/jobs/{id} for status and progress, lists and
// downloads the results under /api/v1/jobs/{id}/results, and DELETEs the job to cancel it
// (or dismiss a finished one). docs/reports.md describes the report process.
//
// The jobs are rows of the shared queue (internal/jobs/queue, the jobs table) of the class
// ClassProcess: submitting stores the job, a worker of any cityreach process claims it and
// rebuilds its task from the stored inputs (Process.Prepare), its progress is written to
// the row, and its result files are stored in the database (job_files) with its final
// update, so every process reads the same job and a job outlives the process that ran
// it. The status values are the queue's (queue.Accepted, …).
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/jobs/queue"
)

// ClassProcess is the queue class of the OGC API – Processes jobs.
const ClassProcess = "process"

// ErrNotFound is returned for an unknown job id, or the id of another class's job.
var ErrNotFound = errors.New("jobs: no such job")

// Task is the work of one job: it writes its files into dir and reports progress (0…1)
// with a message. It must return promptly with ctx.Err() once ctx is cancelled. A job may
// run more than once (its first worker died): a task must be idempotent.
type Task func(ctx context.Context, dir string, progress func(done float64, message string)) error

// File is one result file of a successful job.
type File struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"`
}

// Job is the state of one job, as reported by GET /jobs/{id}.
type Job struct {
	ID       string
	Process  string
	Status   string
	Message  string
	Progress int // percent
	Created  time.Time
	Started  *time.Time
	Finished *time.Time
	Updated  time.Time
	Inputs   json.RawMessage
	// Owner is the name of the token that started the job; only it and admins see it.
	Owner    string
	Attempts int
	Files    []File
}

func fromRow(r queue.Job) Job {
	j := Job{ID: r.ID, Process: r.Process, Status: r.Status, Message: r.Message, Progress: r.Progress, Created: r.Created,
		Started: r.Started, Finished: r.Finished, Updated: r.Updated, Inputs: r.Inputs, Owner: r.Owner, Attempts: r.Attempts}
	if len(r.Files) > 0 {
		_ = json.Unmarshal(r.Files, &j.Files) // written by this package's worker
	}
	return j
}

// Options configure the Service.
type Options struct {
	// Dir is where a worker writes a job's files before they are stored in the database;
	// "" means the system's temporary directory. It need not be shared between processes.
	Dir string
	// Workers is how many process jobs this process runs at once; 0 means 1 (reports are
	// CPU-bound and already parallel inside).
	Workers int
	// NoWorker means this process runs no process jobs (Start does nothing): it submits
	// and serves them, and other processes' workers run them.
	NoWorker bool
	// Keep is how long a finished job and its files are kept; 0 means 7 days.
	Keep time.Duration
	// RunningPerOwner is how many of one owner's jobs run at once over every process;
	// QueuedPerOwner how many more may wait; Queue bounds the open jobs of all owners. 0
	// means the defaults below.
	RunningPerOwner int
	QueuedPerOwner  int
	Queue           int
	// Lease is how long a claim holds without a renewal (queue.DefaultLease when 0);
	// Renew how often the worker renews it and writes the job's progress (1 s when 0).
	Lease, Renew time.Duration
}

// Default quotas (docs/security.md).
const (
	DefaultRunningPerOwner = 2
	DefaultQueuedPerOwner  = 4
	DefaultQueue           = 32
	// RetryAfter is what a refused job is told to wait before it tries again.
	RetryAfter = 30 * time.Second
)

func (o Options) normalized() Options {
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.RunningPerOwner <= 0 {
		o.RunningPerOwner, o.QueuedPerOwner = DefaultRunningPerOwner, DefaultQueuedPerOwner
	}
	o.QueuedPerOwner = max(0, o.QueuedPerOwner)
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.Keep <= 0 {
		o.Keep = 7 * 24 * time.Hour
	}
	if o.Renew <= 0 {
		o.Renew = time.Second
		if o.Lease > 0 {
			o.Renew = min(o.Renew, o.Lease/3)
		}
	}
	if o.Dir == "" {
		o.Dir = filepath.Join(os.TempDir(), "cityreach-jobs")
	}
	return o
}

// OptionsFromEnv reads CITYREACH_JOBS_DIR, CITYREACH_JOBS_WORKERS (0: this process runs
// none), CITYREACH_JOBS_KEEP and CITYREACH_JOBS_LEASE (Go durations).
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	var o Options
	o.Dir = getenv("CITYREACH_JOBS_DIR")
	if v := getenv("CITYREACH_JOBS_WORKERS"); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &o.Workers); err != nil || o.Workers < 0 {
			return o, fmt.Errorf("CITYREACH_JOBS_WORKERS=%q: want 0 (no worker in this process) or a positive integer", v)
		}
		o.NoWorker = o.Workers == 0
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"CITYREACH_JOBS_KEEP", &o.Keep}, {"CITYREACH_JOBS_LEASE", &o.Lease}} {
		if v := getenv(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return o, fmt.Errorf("%s=%q: want a positive duration such as 168h or 30s", d.name, v)
			}
			*d.dst = t
		}
	}
	return o, nil
}

// Service submits, reads, cancels and runs the process jobs of one process. Every
// process of a deployment has one, on the same primary; any of them may run any job.
type Service struct {
	store     queue.Store
	opt       Options
	processes []Process
	worker    *queue.Worker
	log       *slog.Logger
	stop      context.CancelFunc
	done      chan struct{}
}

// New returns the Service of processes on the queue store (the primary); Start runs its
// worker.
func New(store queue.Store, opt Options, processes []Process, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opt = opt.normalized()
	if opt.Lease > 0 {
		store.Lease = opt.Lease
	}
	if err := os.MkdirAll(opt.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("jobs directory: %w", err)
	}
	s := &Service{store: store, opt: opt, processes: processes, log: log}
	handlers := map[string]queue.Handler{}
	for _, p := range processes {
		handlers[p.ID] = s.handler(p)
	}
	s.worker = &queue.Worker{Store: store, Class: ClassProcess, Handlers: handlers, Slots: opt.Workers, Poll: 250 * time.Millisecond,
		Renew: opt.Renew, RunningPerOwner: opt.RunningPerOwner, Keep: opt.Keep, Log: log}
	return s, nil
}

// Processes are the processes clients can execute.
func (s *Service) Processes() []Process { return s.processes }

// Limits returns the options, defaults filled in.
func (s *Service) Limits() Options { return s.opt }

// Start runs the worker's claim loops on ctx (the server's) until Close. Without Start the
// process only submits and reads jobs; another process's worker runs them.
func (s *Service) Start(ctx context.Context) {
	if s.opt.NoWorker {
		return
	}
	ctx, s.stop = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if _, err := s.worker.Run(ctx, false); err != nil {
			s.log.Error("jobs: the worker stopped", "class", ClassProcess, "err", err)
		}
	}()
}

// Close stops the worker and waits for it: the jobs it ran are left to their leases,
// so another process's worker takes them over.
func (s *Service) Close() {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
}

// handler runs a job of p: it rebuilds the task from the stored inputs, runs it in a
// fresh directory and hands the files to the worker, which stores them with the outcome.
func (s *Service) handler(p Process) queue.Handler {
	return func(ctx context.Context, j queue.Job, progress func(float64, string)) (any, error) {
		in := j.Inputs
		if len(in) == 0 {
			in = json.RawMessage("{}")
		}
		_, task, err := p.Prepare(ctx, in)
		if err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp(s.opt.Dir, ".tmp-"+j.ID+"-")
		if err != nil {
			return nil, err
		}
		if err := task(ctx, dir, progress); err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		blobs, err := listFiles(dir, p.MediaType)
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, err
		}
		return queue.Published{Blobs: blobs, Dir: dir}, nil
	}
}

// listFiles lists the regular files of dir by name with their types (os.ReadDir sorts by
// name).
func listFiles(dir string, mediaType func(string) string) ([]queue.Blob, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var blobs []queue.Blob
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		typ := "application/octet-stream"
		if mediaType != nil {
			typ = mediaType(e.Name())
		}
		blobs = append(blobs, queue.Blob{Name: e.Name(), Type: typ, Path: filepath.Join(dir, e.Name())})
	}
	return blobs, nil
}

// Submit stores a job of process p for owner (a token name) with its normalized inputs,
// status accepted. Beyond the quotas it refuses the job with a *queue.QuotaError, a
// TooMany fault carrying RetryAfter.
func (s *Service) Submit(ctx context.Context, owner string, p Process, inputs any) (Job, error) {
	r, err := s.store.Submit(ctx, queue.New{Class: ClassProcess, Owner: owner, Process: p.ID, Inputs: inputs},
		queue.Quota{PerOwner: s.opt.RunningPerOwner + s.opt.QueuedPerOwner, All: s.opt.Queue, RetryAfter: RetryAfter})
	if err != nil {
		return Job{}, err
	}
	return fromRow(r), nil
}

// Get returns the job id.
func (s *Service) Get(ctx context.Context, id string) (Job, error) {
	r, err := s.store.Get(ctx, id)
	if errors.Is(err, queue.ErrNotFound) || (err == nil && r.Class != ClassProcess) {
		return Job{}, ErrNotFound
	}
	if err != nil {
		return Job{}, err
	}
	return fromRow(r), nil
}

// List returns the jobs of owner ("" for every owner's), newest first.
func (s *Service) List(ctx context.Context, owner string) ([]Job, error) {
	rows, err := s.store.List(ctx, ClassProcess, owner)
	if err != nil {
		return nil, err
	}
	out := make([]Job, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// Wait blocks until the job id has ended or ctx ends.
func (s *Service) Wait(ctx context.Context, id string) (Job, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return Job{}, err
	}
	r, err := s.store.Wait(ctx, id, 50*time.Millisecond)
	if err != nil {
		return Job{}, err
	}
	return fromRow(r), nil
}

// CopyFile writes the result file name of the successful job id to w; ErrNotFound when
// the job has no such file.
func (s *Service) CopyFile(ctx context.Context, id, name string, w io.Writer) error {
	_, err := s.store.CopyFile(ctx, id, name, w)
	if errors.Is(err, queue.ErrNoFile) {
		return ErrNotFound
	}
	return err
}

// Cancel cancels an accepted or running job and waits (until ctx ends) for it to stop:
// a job this process runs stops at once, one another process runs at its worker's next
// renewal (Options.Renew), one whose worker died when its lease passes. A finished job is
// left as it is. It returns the job's state.
func (s *Service) Cancel(ctx context.Context, id string) (Job, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return Job{}, err
	}
	r, err := s.store.Cancel(ctx, id)
	if err != nil {
		return Job{}, err
	}
	if !queue.Ended(r.Status) {
		s.worker.Cancel(id)
		if r, err = s.store.AwaitCancel(ctx, id, 50*time.Millisecond); err != nil {
			return Job{}, err
		}
	}
	return fromRow(r), nil
}

// Dismiss cancels an accepted or running job, waits for it to stop, and removes the job
// and its files.
func (s *Service) Dismiss(ctx context.Context, id string) (Job, error) {
	j, err := s.Cancel(ctx, id)
	if err != nil {
		return Job{}, err
	}
	if err := s.store.Delete(ctx, id); err != nil && !errors.Is(err, queue.ErrNotFound) {
		return Job{}, err
	}
	j.Status, j.Message, j.Files = queue.Dismissed, "dismissed", nil
	j.Updated = time.Now().UTC()
	return j, nil
}

// Pool is the database of the queue (the primary).
func (s *Service) Pool() *pgxpool.Pool { return s.store.Pool }
