// Package jobs runs long computations as asynchronous jobs in the style of OGC API –
// Processes (Part 1: Core): a client POSTs to /api/v1/processes/{id}/execution and gets 201
// with the job's Location, polls GET /api/v1/jobs/{id} for status and progress, lists and
// downloads the results under /api/v1/jobs/{id}/results, and DELETEs the job to cancel it
// (or dismiss a finished one). docs/reports.md describes the report process.
//
// The jobs run on the server's one runner (internal/jobs/runner) as its process class
// (runner.ClassProcess); the names below are that package's, so that the processes and
// their adapter need only this one. The runner's other classes (the background imports)
// are not seen here: GET /jobs lists processes only.
package jobs

import (
	"context"
	"log/slog"

	"github.com/cityreach/cityreach/internal/jobs/runner"
)

// The runner's types, as the processes use them.
type (
	// Runner is the view of the process class of the runner.
	Runner = runner.Runner
	// Options configure the runner and its process class.
	Options = runner.Options
	Job     = runner.Job
	Task    = runner.Task
	File    = runner.File
)

// Status values of a job (OGC API – Processes statusCode).
const (
	Accepted   = runner.Accepted
	Running    = runner.Running
	Successful = runner.Successful
	Failed     = runner.Failed
	Dismissed  = runner.Dismissed
)

// Default quotas of the process class (docs/security.md).
const (
	DefaultRunningPerOwner = runner.DefaultRunningPerOwner
	DefaultQueuedPerOwner  = runner.DefaultQueuedPerOwner
	DefaultQueue           = runner.DefaultQueue
	RetryAfter             = runner.RetryAfter
)

// ErrNotFound is returned for an unknown job id.
var ErrNotFound = runner.ErrNotFound

// New returns the runner, as the view of its process class (runner.New).
func New(ctx context.Context, opt Options, log *slog.Logger) (*Runner, error) {
	return runner.New(ctx, opt, log)
}

// OptionsFromEnv reads CITYREACH_JOBS_DIR, CITYREACH_JOBS_WORKERS and CITYREACH_JOBS_KEEP.
func OptionsFromEnv(getenv func(string) string) (Options, error) {
	return runner.OptionsFromEnv(getenv)
}
