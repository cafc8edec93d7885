package jobs_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/cityreach/cityreach/internal/jobs/runner"
)

// TestJobsListsProcessesOnly: a job of another class of the same runner (an import of
// ed's) is neither listed by GET /jobs, nor found, nor deleted under /jobs/{id}; ed's one
// process job is listed.
func TestJobsListsProcessesOnly(t *testing.T) {
	release, started := make(chan struct{}), make(chan string, 2)
	defer close(release)
	srv, r := newServer(t, t.TempDir(), blocking(release, started))
	imp, err := r.Class(runner.Class{Name: "import", NoFiles: true}).Submit(runner.Spec{Owner: "ed", Process: "parks",
		Work: func(ctx context.Context, _ string, _ func(float64, string)) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}})
	if err != nil {
		t.Fatal(err)
	}
	resp, m := do(t, context.Background(), http.MethodPost, srv.URL+"/api/v1/processes/block/execution", `{"inputs":{}}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("execute: %d %v", resp.StatusCode, m)
	}
	for _, who := range []string{"crk_ed", "crk_root"} {
		_, list := doAs(t, context.Background(), who, http.MethodGet, srv.URL+"/api/v1/jobs", "")
		js, _ := list["jobs"].([]any)
		if len(js) != 1 || js[0].(map[string]any)["jobID"] != m["jobID"] {
			t.Errorf("GET /jobs as %s: %v, want the process job %v alone", who, list, m["jobID"])
		}
	}
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		if resp, _ := doAs(t, context.Background(), "crk_root", method, srv.URL+"/api/v1/jobs/"+imp.ID, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s /jobs/{import}: %d, want 404", method, resp.StatusCode)
		}
	}
}
