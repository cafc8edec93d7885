package jobs_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/cityreach/cityreach/internal/jobs"
	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/testdb"
)

// TestJobsListsProcessesOnly: a job of another class of the same queue (an import of
// ed's) is neither listed by GET /jobs, nor found, nor deleted under /jobs/{id}; ed's one
// process job is listed.
func TestJobsListsProcessesOnly(t *testing.T) {
	release, started := make(chan struct{}), make(chan string, 2)
	defer close(release)
	db := testdb.New(t)
	srv, _ := newServerWith(t, db.Pool, jobs.Options{Dir: t.TempDir()}, true, blocking(release, started))
	imp, err := queue.Store{Pool: db.Pool}.Submit(context.Background(), queue.New{Class: "import", Owner: "ed", Process: "parks"}, queue.Quota{})
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
	if j, err := (queue.Store{Pool: db.Pool}).Get(context.Background(), imp.ID); err != nil || j.Status != queue.Accepted {
		t.Errorf("the import after the requests: %+v %v, want it accepted as it was", j, err)
	}
}
