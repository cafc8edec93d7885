package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/layers"
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

// Jobs runs imports in the background (for the API's import of large files) on the shared
// job queue (internal/jobs/queue): an import is a row of the class ClassImport whose
// upload is stored with it in the database (job_files), so any cityreach process's worker
// may run it, and any process answers its status. The quotas count the class's open
// rows: PerOwner per owner (none queued), Max in all. An import is tried once
// (max_attempts 1): its transaction dies with a killed worker, and the import then fails
// with the queue's message rather than run twice. The zero value is not usable; call
// NewJobs.
type Jobs struct {
	Pool *pgxpool.Pool
	// Keep is how long a finished import is kept (default one hour).
	Keep time.Duration
	// PerOwner bounds the imports one owner runs at once, Max those of all owners (each
	// holds a database connection and a transaction); 0 means DefaultImportsPerOwner and
	// DefaultImports.
	PerOwner, Max int
	// Registry is the layer allow-list the worker imports with; nil means layers.Default().
	Registry *layers.Registry
	// Dir is where a worker copies an upload to read it; "" means DefaultSpoolDir().
	Dir string
	// Lease and Renew are the queue's lease and this worker's renewal period (progress is
	// written at each renewal); 0 means queue.DefaultLease and 1 s.
	Lease, Renew time.Duration
	// Log receives the causes of failures that JobStatus.Error does not show.
	Log *slog.Logger

	worker *queue.Worker
	stop   context.CancelFunc
	done   chan struct{}
}

// ClassImport is the queue class of the background imports.
const ClassImport = "import"

// NewJobs returns the background imports on pool (the primary); Start runs a worker.
func NewJobs(pool *pgxpool.Pool) *Jobs {
	return &Jobs{Pool: pool, Keep: time.Hour}
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

// quotaError words the queue's refusal for imports; other errors are returned as they are.
func quotaError(err error) error {
	var qe *queue.QuotaError
	switch {
	case !errors.As(err, &qe):
		return err
	case qe.PerOwner:
		return &QuotaError{Detail: fmt.Sprintf("you have %d background imports running, the most one token may run; poll them and try again when one has ended", qe.Count), Limit: qe.Limit}
	default:
		return &QuotaError{Detail: fmt.Sprintf("the server runs %d background imports, its limit; try again later", qe.Count), Limit: qe.Limit}
	}
}

func (j *Jobs) store() queue.Store { return queue.Store{Pool: j.Pool, Lease: j.Lease} }

func (j *Jobs) quota() queue.Quota {
	per, most := j.PerOwner, j.Max
	if per <= 0 {
		per = DefaultImportsPerOwner
	}
	if most <= 0 {
		most = DefaultImports
	}
	return queue.Quota{PerOwner: per, All: most, RetryAfter: ImportRetryAfter}
}

// Admit reports whether owner may start one more background import now: nil, or a
// *QuotaError. Start checks again, under the queue's lock; this lets a caller refuse
// before spooling an upload.
func (j *Jobs) Admit(ctx context.Context, owner string) error {
	q := j.quota()
	var mine, all int
	if err := j.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE owner = $2), count(*) FROM jobs
		WHERE class = $1 AND status IN ('accepted', 'running')`, ClassImport, owner).Scan(&mine, &all); err != nil {
		return err
	}
	switch {
	case mine >= q.PerOwner:
		return quotaError(&queue.QuotaError{Class: ClassImport, PerOwner: true, Count: mine, Limit: q.PerOwner})
	case all >= q.All:
		return quotaError(&queue.QuotaError{Class: ClassImport, Count: all, Limit: q.All})
	}
	return nil
}

// importInputs are what a worker needs to run an import: the options that are values
// (not the registry or the progress callback), those of Open, and the upload's name.
type importInputs struct {
	Upload      string  `json:"upload"`
	City        string  `json:"city"`
	DataSource  string  `json:"data_source,omitempty"`
	CRS         string  `json:"crs,omitempty"`
	Mapping     Mapping `json:"mapping,omitempty"`
	SkipInvalid bool    `json:"skip_invalid,omitempty"`
	Upsert      string  `json:"upsert,omitempty"`
	DryRun      bool    `json:"dry_run,omitempty"`
	Encoding    string  `json:"encoding,omitempty"`
	Table       string  `json:"table,omitempty"`
	Limits      Limits  `json:"limits"`
}

// Start stores an import of the file at path (named by its extension, as Open wants it)
// into layer with the options o and open, and returns the job id at once, or a
// *QuotaError when a quota is used up; o.Actor is the job's owner. The file is stored
// with the job in the same transaction; the caller may remove it once Start returns.
func (j *Jobs) Start(ctx context.Context, layer, path string, o Options, open OpenOptions) (string, error) {
	name := "upload" + filepath.Ext(path)
	in := importInputs{Upload: name, City: o.City, DataSource: o.DataSource, CRS: o.CRS, Mapping: o.Mapping,
		SkipInvalid: o.SkipInvalid, Upsert: o.Upsert, DryRun: o.DryRun, Encoding: open.Encoding, Table: open.Table, Limits: o.Limits}
	r, err := j.store().Submit(ctx, queue.New{Class: ClassImport, Owner: o.Actor, Process: layer, Inputs: in, MaxAttempts: 1,
		Files: []queue.Blob{{Name: name, Path: path}}}, j.quota())
	if err != nil {
		return "", quotaError(err)
	}
	return r.ID, nil
}

// readMessage is the running message that carries the features read so far.
const readMessage = "read %d features"

// handler runs one claimed import: the upload is copied from the database into a local
// file, opened and imported; the report is the job's result whichever way it ends.
func (j *Jobs) handler(ctx context.Context, qj queue.Job, progress func(float64, string)) (any, error) {
	var in importInputs
	if err := json.Unmarshal(qj.Inputs, &in); err != nil {
		return nil, err
	}
	dir := j.Dir
	if dir == "" {
		dir = DefaultSpoolDir()
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	// Named as the spool's uploads are (upload-<pid>-…), so NewSpool removes what a killed
	// worker left behind.
	tmp, err := os.MkdirTemp(dir, "upload-"+strconv.Itoa(os.Getpid())+"-job-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) //nolint:errcheck // a leftover is removed with the spool
	path, err := j.store().FetchFile(ctx, qj.ID, in.Upload, tmp)
	if err != nil {
		return nil, err
	}
	src, closeSrc, err := Open(ctx, path, OpenOptions{Encoding: in.Encoding, Table: in.Table, Limits: in.Limits})
	if err != nil {
		return nil, clientFault(ctx, err)
	}
	defer closeSrc() //nolint:errcheck // read-only
	o := Options{City: in.City, Actor: qj.Owner, DataSource: in.DataSource, CRS: in.CRS, Mapping: in.Mapping,
		SkipInvalid: in.SkipInvalid, Upsert: in.Upsert, DryRun: in.DryRun, Registry: j.Registry, Limits: in.Limits,
		Progress: func(n int) { progress(0, fmt.Sprintf(readMessage, n)) }}
	rep, err := Import(ctx, j.Pool, qj.Process, src, o)
	return rep, clientFault(ctx, err)
}

// clientFault makes the importer's own refusal the job's message; any other cause the
// worker logs under the job's id and does not show.
func clientFault(ctx context.Context, err error) error {
	if err != nil && ctx.Err() == nil && ClientSafe(err) {
		return fault.Unprocessable(err.Error())
	}
	return err
}

// Run starts a worker of the class on ctx (the server's) until Close: slots claim loops
// (0 means Max).
func (j *Jobs) Run(ctx context.Context, slots int) {
	if slots <= 0 {
		slots = j.quota().All
	}
	renew := j.Renew
	if renew <= 0 {
		renew = time.Second
	}
	keep := j.Keep
	if keep <= 0 {
		keep = time.Hour
	}
	j.worker = &queue.Worker{Store: j.store(), Class: ClassImport, Slots: slots, Poll: 250 * time.Millisecond, Renew: renew,
		Keep: keep, Log: j.Log, Handlers: map[string]queue.Handler{}}
	for _, l := range j.registry().All() {
		j.worker.Handlers[l.ID] = j.handler
	}
	ctx, j.stop = context.WithCancel(ctx)
	j.done = make(chan struct{})
	w := j.worker
	go func() {
		defer close(j.done)
		if _, err := w.Run(ctx, false); err != nil && j.Log != nil {
			j.Log.Error("imports: the worker stopped", "err", err)
		}
	}()
}

func (j *Jobs) registry() *layers.Registry {
	if j.Registry != nil {
		return j.Registry
	}
	return layers.Default()
}

// Status returns the job's status; ok is false for an unknown id (or another class's).
func (j *Jobs) Status(ctx context.Context, id string) (JobStatus, bool, error) {
	r, err := j.store().Get(ctx, id)
	if errors.Is(err, queue.ErrNotFound) || (err == nil && r.Class != ClassImport) {
		return JobStatus{}, false, nil
	}
	if err != nil {
		return JobStatus{}, false, err
	}
	return status(r), true, nil
}

func status(r queue.Job) JobStatus {
	st := JobStatus{ID: r.ID, Layer: r.Process, Owner: r.Owner, Started: r.Created}
	_, _ = fmt.Sscanf(r.Message, readMessage, &st.Read)
	switch r.Status {
	case queue.Accepted, queue.Running:
		st.State = JobRunning
	case queue.Successful:
		st.State = JobSucceeded
	case queue.Dismissed:
		st.State, st.Error = JobCancelled, "cancelled; nothing was written"
	default:
		st.State, st.Error = JobFailed, r.Message
	}
	if r.Finished != nil {
		st.Finished = *r.Finished
	}
	if len(r.Result) > 0 && string(r.Result) != "null" {
		var rep Report
		if json.Unmarshal(r.Result, &rep) == nil {
			st.Report, st.Read = &rep, rep.Read
		}
	}
	return st
}

// Cancel stops a running job and waits (until ctx ends) for its transaction to roll
// back, or forgets a finished one. It returns the job's last status; ok is false for an
// unknown id. A cancelled job stays listed (state cancelled) until dismissed or Keep
// passes. An import this process runs stops at once, one another process runs at its
// worker's next renewal.
func (j *Jobs) Cancel(ctx context.Context, id string) (JobStatus, bool, error) {
	st, ok, err := j.Status(ctx, id)
	if !ok || err != nil {
		return st, ok, err
	}
	s := j.store()
	if st.State != JobRunning {
		if err := s.Delete(ctx, id); err != nil && !errors.Is(err, queue.ErrNotFound) {
			return st, true, err
		}
		return st, true, nil
	}
	r, err := s.Cancel(ctx, id)
	if err != nil {
		return st, true, err
	}
	if !queue.Ended(r.Status) {
		if j.worker != nil {
			j.worker.Cancel(id)
		}
		if r, err = s.AwaitCancel(ctx, id, 50*time.Millisecond); err != nil {
			return st, true, err
		}
	}
	return status(r), true, nil
}

// Close stops the worker and waits for it; an import it ran is rolled back (its
// context is cancelled) and, tried once, fails when its lease has passed.
func (j *Jobs) Close() {
	if j.stop != nil {
		j.stop()
		<-j.done
	}
}
