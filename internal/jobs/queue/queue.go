// Package queue is the job queue shared by every cityreach process: the jobs table of
// migration 0023 on the primary. Submit inserts a job, Claim hands one to a worker of any
// process (FOR UPDATE SKIP LOCKED, so concurrent claimers never take the same job), Renew
// extends the claim's lease with the job's progress and tells the worker whether it was
// cancelled, and Finish records the outcome only if the worker still holds the claim. A
// process that dies stops renewing; once its lease has passed, another worker claims the
// job again, up to the job's attempt bound. docs/scale-out.md ("Jobs across processes")
// describes the protocol and what it guarantees.
package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
var ErrNotFound = errors.New("queue: no such job")

// ErrLost is returned by Renew to a worker that no longer holds the job's claim: its lease
// passed and another worker claimed the job, or the job ended. The worker must stop; its
// Finish would change nothing.
var ErrLost = errors.New("queue: the claim was lost")

// DefaultLease is how long a claim holds without a renewal.
const DefaultLease = 30 * time.Second

// DefaultMaxAttempts bounds the claims of one job: a job whose worker died this many
// times fails instead of being claimed again.
const DefaultMaxAttempts = 3

// Store is the queue on one database (the primary).
type Store struct {
	Pool *pgxpool.Pool
	// Lease is how long a claim holds without a renewal; 0 means DefaultLease.
	Lease time.Duration
}

func (s Store) lease() time.Duration {
	if s.Lease > 0 {
		return s.Lease
	}
	return DefaultLease
}

// Job is one row of the jobs table.
type Job struct {
	ID          string          `json:"id"`
	Class       string          `json:"class"`
	Owner       string          `json:"owner"`
	Process     string          `json:"process"`
	Inputs      json.RawMessage `json:"inputs,omitempty"`
	Status      string          `json:"status"`
	Progress    int             `json:"progress"` // percent
	Message     string          `json:"message,omitempty"`
	Worker      string          `json:"worker,omitempty"`
	LeaseUntil  *time.Time      `json:"lease_until,omitempty"`
	Attempts    int             `json:"attempts"`
	MaxAttempts int             `json:"max_attempts"`
	Cancel      bool            `json:"cancel_requested"`
	Result      json.RawMessage `json:"result,omitempty"`
	Files       json.RawMessage `json:"files,omitempty"`
	CityID      *int            `json:"city_id,omitempty"`
	ParentID    *string         `json:"parent_id,omitempty"`
	Created     time.Time       `json:"created"`
	Started     *time.Time      `json:"started,omitempty"`
	Finished    *time.Time      `json:"finished,omitempty"`
	Updated     time.Time       `json:"updated"`
}

// columns are the columns scan reads, in its order.
const columns = `id, class, owner, process, inputs, status, progress, message, worker, lease_until, attempts,
	max_attempts, cancel_requested, result, files, city_id, parent_id, created_at, started_at, finished_at, updated_at`

func scan(row pgx.Row) (Job, error) {
	var j Job
	var worker *string
	err := row.Scan(&j.ID, &j.Class, &j.Owner, &j.Process, &j.Inputs, &j.Status, &j.Progress, &j.Message, &worker,
		&j.LeaseUntil, &j.Attempts, &j.MaxAttempts, &j.Cancel, &j.Result, &j.Files, &j.CityID, &j.ParentID,
		&j.Created, &j.Started, &j.Finished, &j.Updated)
	if worker != nil {
		j.Worker = *worker
	}
	return j, err
}

// NewID returns a random job id.
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// New describes a job for Submit.
type New struct {
	// ID is the job's id; "" means a random one. A fixed id makes a submission
	// idempotent (SubmitOnce).
	ID      string
	Class   string
	Owner   string
	Process string
	Inputs  any
	// CityID is the city the job is about, 0 for none.
	CityID   int
	ParentID string
	// MaxAttempts bounds the claims; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// Files are stored with the job (its files column, StoredFile) in Submit's
	// transaction: what the job reads, such as an upload, for a worker of any process.
	// The job's outcome replaces them (Finish).
	Files []Blob
}

// Quota bounds the open (accepted or running) jobs of a class: PerOwner for one owner,
// All over every owner; 0 means no bound.
type Quota struct {
	PerOwner, All int
	// RetryAfter is what a refused job is told to wait.
	RetryAfter time.Duration
}

// QuotaError is a job refused by a Quota: a TooMany fault with the member "limit".
type QuotaError struct {
	Class        string
	PerOwner     bool
	Count, Limit int
	fault        *fault.Error
}

func (e *QuotaError) Error() string { return e.fault.Detail }

// Unwrap gives the fault.
func (e *QuotaError) Unwrap() error { return e.fault }

func (n New) args() (id string, inputs []byte, city *int, parent *string, maxAttempts int, err error) {
	id = n.ID
	if id == "" {
		id = NewID()
	}
	if n.Inputs != nil {
		if inputs, err = json.Marshal(n.Inputs); err != nil {
			return
		}
	}
	if n.CityID != 0 {
		city = &n.CityID
	}
	if n.ParentID != "" {
		parent = &n.ParentID
	}
	maxAttempts = n.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	return
}

// Submit inserts the job n, status accepted, unless q refuses it. The quotas count the
// class's open jobs in the same transaction, under a transaction-scoped advisory lock on
// the class, so two processes submitting at once cannot both take the last place.
func (s Store) Submit(ctx context.Context, n New, q Quota) (Job, error) {
	id, inputs, city, parent, maxAttempts, err := n.args()
	if err != nil {
		return Job{}, err
	}
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return Job{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op
	if q.PerOwner > 0 || q.All > 0 {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('cityreach_jobs:' || $1))", n.Class); err != nil {
			return Job{}, err
		}
		var mine, all int
		if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE owner = $2), count(*) FROM jobs
			WHERE class = $1 AND status IN ('accepted', 'running')`, n.Class, n.Owner).Scan(&mine, &all); err != nil {
			return Job{}, err
		}
		if q.PerOwner > 0 && mine >= q.PerOwner {
			return Job{}, &QuotaError{Class: n.Class, PerOwner: true, Count: mine, Limit: q.PerOwner,
				fault: fault.TooMany(fmt.Sprintf("you have %d jobs waiting or running, the most one token may have (%d); wait for one to finish or DELETE one", mine, q.PerOwner), q.RetryAfter).
					With("limit", q.PerOwner)}
		}
		if q.All > 0 && all >= q.All {
			return Job{}, &QuotaError{Class: n.Class, Count: all, Limit: q.All,
				fault: fault.TooMany(fmt.Sprintf("the server's job queue is full (%d jobs waiting or running); try again later", all), q.RetryAfter).
					With("limit", q.All)}
		}
	}
	var files []byte
	if len(n.Files) > 0 {
		stored, err := storeFiles(ctx, tx, n.Files)
		if err != nil {
			return Job{}, err
		}
		if files, err = json.Marshal(stored); err != nil {
			return Job{}, err
		}
	}
	j, err := scan(tx.QueryRow(ctx, `INSERT INTO jobs (id, class, owner, process, inputs, city_id, parent_id, max_attempts, files)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+columns, id, n.Class, n.Owner, n.Process, inputs, city, parent, maxAttempts, files))
	if err != nil {
		return Job{}, err
	}
	return j, tx.Commit(ctx)
}

// SubmitOnce inserts the job n (n.ID must be set) unless a job with its id exists, and
// returns the job as it is now, and whether it was inserted. No quota applies: it is for
// the children of a run, which the run's own admission bounds.
func (s Store) SubmitOnce(ctx context.Context, n New) (Job, bool, error) {
	if n.ID == "" {
		return Job{}, false, errors.New("queue: SubmitOnce needs an id")
	}
	id, inputs, city, parent, maxAttempts, err := n.args()
	if err != nil {
		return Job{}, false, err
	}
	j, err := scan(s.Pool.QueryRow(ctx, `INSERT INTO jobs (id, class, owner, process, inputs, city_id, parent_id, max_attempts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING `+columns,
		id, n.Class, n.Owner, n.Process, inputs, city, parent, maxAttempts))
	if errors.Is(err, pgx.ErrNoRows) {
		j, err = s.Get(ctx, id)
		return j, false, err
	}
	return j, err == nil, err
}

// Claim gives worker the oldest claimable job of class and marks it running under
// worker with a fresh lease and one more attempt; nil when there is none. A job is
// claimable when it is accepted, or running with a lease that has passed (its worker
// died or lost the database), and it has attempts left and is not cancelled. SKIP LOCKED
// makes concurrent claimers pass over each other's rows instead of waiting, and the
// row's WHERE is re-checked on its newest version under the lock, so two claimers never
// take the same job.
func (s Store) Claim(ctx context.Context, class, worker string) (*Job, error) {
	return s.ClaimLimited(ctx, class, worker, 0)
}

// ClaimLimited is Claim that passes over the jobs of an owner who already has perOwner
// jobs of the class running under a live lease (0: no bound). The count and the claim are
// one statement under a transaction-scoped advisory lock on the class's claims, so two
// processes claiming at once cannot both take an owner's last running place (at READ
// COMMITTED the statement after the lock sees every claim committed before it).
func (s Store) ClaimLimited(ctx context.Context, class, worker string, perOwner int) (*Job, error) {
	if perOwner <= 0 {
		return s.claim(ctx, s.Pool, class, worker, 0)
	}
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('cityreach_jobs_claim:' || $1))", class); err != nil {
		return nil, err
	}
	j, err := s.claim(ctx, tx, class, worker, perOwner)
	if err != nil {
		return nil, err
	}
	return j, tx.Commit(ctx)
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s Store) claim(ctx context.Context, q querier, class, worker string, perOwner int) (*Job, error) {
	j, err := scan(q.QueryRow(ctx, `UPDATE jobs SET status = 'running', worker = $2,
			lease_until = now() + make_interval(secs => $3), attempts = attempts + 1,
			started_at = coalesce(started_at, now()), message = 'started', updated_at = now()
		WHERE id = (SELECT id FROM jobs c
			WHERE class = $1 AND NOT cancel_requested AND attempts < max_attempts
			  AND (status = 'accepted' OR (status = 'running' AND lease_until < now()))
			  AND ($4 = 0 OR (SELECT count(*) FROM jobs r WHERE r.class = $1 AND r.owner = c.owner
				AND r.status = 'running' AND r.lease_until >= now()) < $4)
			ORDER BY created_at, id
			FOR UPDATE SKIP LOCKED LIMIT 1)
		RETURNING `+columns, class, worker, s.lease().Seconds(), perOwner))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// Sweep ends the class's jobs that no worker will take again: a running job whose lease
// has passed after its last attempt fails, and one whose cancel was requested is
// dismissed. It returns how many it ended.
func (s Store) Sweep(ctx context.Context, class string) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE jobs SET
			status = CASE WHEN cancel_requested THEN 'dismissed' ELSE 'failed' END,
			message = CASE WHEN cancel_requested THEN 'cancelled'
				ELSE 'the job''s worker stopped ' || attempts || ' times; it is not tried again' END,
			finished_at = now(), updated_at = now()
		WHERE class = $1 AND status = 'running' AND lease_until < now()
		  AND (cancel_requested OR attempts >= max_attempts)`, class)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// Renew extends worker's lease on job id and records its progress (0…1, shown as a
// percent up to 99) and message. It reports whether the job's cancel was requested, or
// ErrLost when worker no longer holds the claim.
func (s Store) Renew(ctx context.Context, id, worker string, done float64, message string) (cancel bool, err error) {
	pct := max(0, min(99, int(done*100)))
	err = s.Pool.QueryRow(ctx, `UPDATE jobs SET lease_until = now() + make_interval(secs => $3),
			progress = greatest(progress, $4), message = $5, updated_at = now()
		WHERE id = $1 AND status = 'running' AND worker = $2
		RETURNING cancel_requested`, id, worker, s.lease().Seconds(), pct, message).Scan(&cancel)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, ErrLost
	}
	return cancel, err
}

// Outcome is how a job ended, for Finish.
type Outcome struct {
	Status  string // Successful, Failed or Dismissed
	Message string
	Result  any
	Files   any
	// Blobs, when any, are stored as the job's files (in place of Files) in the
	// transaction of the final update, only when it is recorded.
	Blobs []Blob
}

// Finish records the outcome of worker's attempt at job id, only while worker holds the
// claim (status running, worker = worker): of two workers that both ran the job (the
// first lost its lease but did not die), only the one holding the claim counts. It
// reports whether the outcome was recorded.
func (s Store) Finish(ctx context.Context, id, worker string, o Outcome) (bool, error) {
	var res []byte
	var err error
	if o.Result != nil {
		if res, err = json.Marshal(o.Result); err != nil {
			return false, err
		}
	}
	progress := "progress"
	if o.Status == Successful {
		progress = "100"
	}
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op
	var old []byte
	err = tx.QueryRow(ctx, "SELECT files FROM jobs WHERE id = $1 AND status = 'running' AND worker = $2 FOR UPDATE", id, worker).Scan(&old)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil // the claim is not worker's: nothing is recorded
	}
	if err != nil {
		return false, err
	}
	if err := unlinkFiles(ctx, tx, old); err != nil {
		return false, err
	}
	files := o.Files
	if len(o.Blobs) > 0 {
		if files, err = storeFiles(ctx, tx, o.Blobs); err != nil {
			return false, err
		}
	}
	var fb []byte
	if files != nil {
		if fb, err = json.Marshal(files); err != nil {
			return false, err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE jobs SET status = $2, message = $3, result = $4, files = $5,
			progress = `+progress+`, finished_at = now(), updated_at = now(), lease_until = NULL
		WHERE id = $1`, id, o.Status, o.Message, res, fb); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

// Cancel requests the cancellation of job id: an accepted job is dismissed at once; a
// running one is flagged, and its worker stops at its next renewal. An ended job is left
// as it is. It returns the job as it is after the request.
func (s Store) Cancel(ctx context.Context, id string) (Job, error) {
	if !ValidID(id) {
		return Job{}, ErrNotFound
	}
	j, err := scan(s.Pool.QueryRow(ctx, `UPDATE jobs SET cancel_requested = status IN ('accepted', 'running'),
			status = CASE WHEN status = 'accepted' THEN 'dismissed' ELSE status END,
			message = CASE WHEN status = 'accepted' THEN 'cancelled' ELSE message END,
			finished_at = CASE WHEN status = 'accepted' THEN now() ELSE finished_at END,
			updated_at = now()
		WHERE id = $1 RETURNING `+columns, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, ErrNotFound
	}
	return j, err
}

// ValidID reports whether id can be a job's id (the table's jobs_id_format): a request's
// id that cannot is not sent to the database (a NUL byte is an error there, not a miss).
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// Get returns the job id.
func (s Store) Get(ctx context.Context, id string) (Job, error) {
	if !ValidID(id) {
		return Job{}, ErrNotFound
	}
	j, err := scan(s.Pool.QueryRow(ctx, "SELECT "+columns+" FROM jobs WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Job{}, ErrNotFound
	}
	return j, err
}

// List returns the jobs of class, newest first: every one when owner is "", else the
// owner's.
func (s Store) List(ctx context.Context, class, owner string) ([]Job, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+columns+` FROM jobs WHERE class = $1 AND ($2 = '' OR owner = $2)
		ORDER BY created_at DESC, id`, class, owner)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Job, error) { return scan(r) })
}

// Delete removes the job id and its stored files; ErrNotFound when there is none.
func (s Store) Delete(ctx context.Context, id string) error {
	if !ValidID(id) {
		return ErrNotFound
	}
	n, err := s.remove(ctx, "id = $1", id)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return err
}

// Prune removes the jobs of class (and their stored files) that ended more than keep
// ago; a run's children stay with their parent.
func (s Store) Prune(ctx context.Context, class string, keep time.Duration) (int64, error) {
	return s.remove(ctx, "class = $1 AND parent_id IS NULL AND finished_at < now() - make_interval(secs => $2)", class, keep.Seconds())
}

// remove deletes the rows matching where (a constant of this file with bind parameters)
// and unlinks their files' large objects, in one transaction.
func (s Store) remove(ctx context.Context, where string, args ...any) (int64, error) {
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op
	rows, err := tx.Query(ctx, "DELETE FROM jobs WHERE "+where+" RETURNING files", args...)
	if err != nil {
		return 0, err
	}
	var all [][]byte
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return 0, err
		}
		all = append(all, raw)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, raw := range all {
		if err := unlinkFiles(ctx, tx, raw); err != nil {
			return 0, err
		}
	}
	return int64(len(all)), tx.Commit(ctx)
}

// Ended reports whether the status is a final one.
func Ended(status string) bool {
	return status == Successful || status == Failed || status == Dismissed
}

// Wait polls the job id every poll until it has ended or ctx ends, and returns it.
func (s Store) Wait(ctx context.Context, id string, poll time.Duration) (Job, error) {
	for {
		j, err := s.Get(ctx, id)
		if err != nil || Ended(j.Status) {
			return j, err
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// AwaitCancel waits, polling every poll, until the job id whose cancellation was
// requested (Cancel) has ended, or ctx ends, and returns it. A running job whose lease
// passes meanwhile (its worker died) is dismissed here, so the wait is bounded by the
// lease even when no worker is left to sweep it.
func (s Store) AwaitCancel(ctx context.Context, id string, poll time.Duration) (Job, error) {
	for {
		if _, err := s.Pool.Exec(ctx, `UPDATE jobs SET status = 'dismissed', message = 'cancelled', finished_at = now(), updated_at = now()
			WHERE id = $1 AND status = 'running' AND cancel_requested AND lease_until < now()`, id); err != nil {
			return Job{}, err
		}
		j, err := s.Get(ctx, id)
		if err != nil || Ended(j.Status) {
			return j, err
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// Children returns the jobs of parent, oldest first.
func (s Store) Children(ctx context.Context, parent string) ([]Job, error) {
	rows, err := s.Pool.Query(ctx, "SELECT "+columns+" FROM jobs WHERE parent_id = $1 ORDER BY created_at, id", parent)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Job, error) { return scan(r) })
}

// Counts are a parent's children by status.
type Counts map[string]int

// Ended is how many children have ended, whichever way.
func (c Counts) Ended() int { return c[Successful] + c[Failed] + c[Dismissed] }

// Total is how many children there are.
func (c Counts) Total() int { return c.Ended() + c[Accepted] + c[Running] }

// CountChildren counts parent's children by status.
func (s Store) CountChildren(ctx context.Context, parent string) (Counts, error) {
	rows, err := s.Pool.Query(ctx, "SELECT status, count(*) FROM jobs WHERE parent_id = $1 GROUP BY status", parent)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	c := Counts{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		c[st] = n
	}
	return c, rows.Err()
}

// Retry makes parent's failed and dismissed children claimable again, with their attempts
// reset: a resumed run gives them another chance while keeping the successful ones. It
// returns how many it reset.
func (s Store) Retry(ctx context.Context, parent string) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE jobs SET status = 'accepted', attempts = 0, cancel_requested = false,
			worker = NULL, lease_until = NULL, progress = 0, message = '', result = NULL, files = NULL,
			started_at = NULL, finished_at = NULL, updated_at = now()
		WHERE parent_id = $1 AND status IN ('failed', 'dismissed')`, parent)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// Complete ends parent, running under no worker of its own, as successful with result once
// every child has succeeded (the check and the update are one statement); it reports
// whether it did.
func (s Store) Complete(ctx context.Context, parent string, result any) (bool, error) {
	b, err := json.Marshal(result)
	if err != nil {
		return false, err
	}
	tag, err := s.Pool.Exec(ctx, `UPDATE jobs p SET status = 'successful', progress = 100, message = 'done', result = $2,
			finished_at = now(), updated_at = now(), lease_until = NULL
		WHERE p.id = $1 AND p.status IN ('accepted', 'running')
		  AND NOT EXISTS (SELECT 1 FROM jobs c WHERE c.parent_id = p.id AND c.status <> 'successful')`, parent, b)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}
