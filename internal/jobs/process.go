package jobs

import (
	"context"
	"encoding/json"
)

// Process is one process clients can execute.
type Process struct {
	ID          string
	Title       string
	Description string
	// Inputs describes the inputs for GET /processes/{id} (name → description).
	Inputs map[string]any
	// Prepare validates the inputs of an execute request with the request's context and
	// returns the normalized inputs and the task to run; its errors are faults (Invalid,
	// NotFound). The worker that claims the job, in any process, calls it again on the
	// stored normalized inputs to rebuild the task.
	Prepare func(ctx context.Context, inputs json.RawMessage) (normalized any, task Task, err error)
	// MediaType names the type of a result file.
	MediaType func(name string) string
}
