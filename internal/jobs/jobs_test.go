package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/jobs"
	"github.com/cityreach/cityreach/internal/jobs/jobshttp"
	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/problem"
	"github.com/cityreach/cityreach/internal/report"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/walk"
)

var quiet = slog.New(slog.DiscardHandler)

// blocking is a process whose task writes a partial file, then waits for release or
// cancellation.
func blocking(release <-chan struct{}, started chan<- string) jobs.Process {
	return jobs.Process{ID: "block", Title: "test",
		Prepare: func(_ context.Context, in json.RawMessage) (any, jobs.Task, error) {
			var v struct {
				Fail bool `json:"fail"`
			}
			if err := json.Unmarshal(in, &v); err != nil {
				return nil, nil, fault.Invalid("bad inputs")
			}
			return v, func(ctx context.Context, dir string, progress func(float64, string)) error {
				if err := os.WriteFile(filepath.Join(dir, "partial.txt"), []byte("half"), 0o644); err != nil {
					return err
				}
				progress(0.5, "half way")
				started <- dir
				select {
				case <-release:
				case <-ctx.Done():
					return ctx.Err()
				}
				if v.Fail {
					return errors.New("boom: secret cause")
				}
				return os.WriteFile(filepath.Join(dir, "done.txt"), []byte("whole"), 0o644)
			}, nil
		}}
}

// tokens are the test tokens: the editors ed and al, and the admin root.
var tokens = auth.Static{"crk_ed": {Name: "ed", Role: auth.Editor}, "crk_al": {Name: "al", Role: auth.Editor}, "crk_root": {Name: "root", Role: auth.Admin}}

func newServer(t *testing.T, dir string, procs ...jobs.Process) (*httptest.Server, *jobs.Service) {
	t.Helper()
	return newServerWith(t, testdb.New(t).Pool, jobs.Options{Dir: dir, Workers: 2}, true, procs...)
}

// newServerWith serves the jobs of procs on pool; with work, the service's worker runs.
// The renewal, which writes a running job's progress, is 100 ms.
func newServerWith(t *testing.T, pool *pgxpool.Pool, o jobs.Options, work bool, procs ...jobs.Process) (*httptest.Server, *jobs.Service) {
	t.Helper()
	if o.Renew == 0 {
		o.Renew = 100 * time.Millisecond
	}
	r, err := jobs.New(queue.Store{Pool: pool}, o, procs, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if work {
		r.Start(context.Background())
		t.Cleanup(r.Close)
	}
	srv := httptest.NewServer(httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: quiet, MaxBody: 1 << 20, Policy: httpapi.Policy{Tokens: tokens}}, jobshttp.Handler{Jobs: r, Log: quiet})))
	t.Cleanup(srv.Close)
	return srv, r
}

// do sends a request as the editor ed.
// reply is what do and doAs keep of a response, whose body they read and close.
type reply struct {
	StatusCode int
	Header     http.Header
}

func do(t *testing.T, ctx context.Context, method, url, body string) (reply, map[string]any) {
	t.Helper()
	return doAs(t, ctx, "crk_ed", method, url, body)
}

func doAs(t *testing.T, ctx context.Context, secret, method, url, body string) (reply, map[string]any) {
	t.Helper()
	r, b := send(t, ctx, secret, method, url, body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return r, m
}

// send sends a request as the token secret and returns the response with its body.
func send(t *testing.T, ctx context.Context, secret, method, url, body string) (reply, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() //nolint:errcheck // test clean-up
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header}, b
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && p != dir {
			out = append(out, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	return out
}

func TestCancelRemovesPartialFiles(t *testing.T) {
	dir := t.TempDir()
	release, started := make(chan struct{}), make(chan string, 1)
	srv, _ := newServer(t, dir, blocking(release, started))
	resp, m := do(t, context.Background(), http.MethodPost, srv.URL+"/api/v1/processes/block/execution", `{"inputs":{}}`)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") == "" {
		t.Fatalf("execute: %d %v", resp.StatusCode, m)
	}
	loc := resp.Header.Get("Location")
	tmp := <-started
	if _, err := os.Stat(filepath.Join(tmp, "partial.txt")); err != nil {
		t.Fatalf("the task's partial file: %v", err)
	}
	// The progress reaches the row at the worker's next renewal (100 ms here).
	var st map[string]any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, st = do(t, context.Background(), http.MethodGet, srv.URL+loc, ""); st["progress"] == 50.0 {
			break
		}
	}
	if st["status"] != queue.Running || st["progress"].(float64) != 50 || st["message"] != "half way" {
		t.Errorf("status while running: %v", st)
	}
	resp, st = do(t, context.Background(), http.MethodDelete, srv.URL+loc, "")
	if resp.StatusCode != http.StatusOK || st["status"] != queue.Dismissed {
		t.Fatalf("dismiss: %d %v", resp.StatusCode, st)
	}
	if left := entries(t, dir); len(left) != 0 {
		t.Errorf("a cancelled job left %v", left)
	}
	if resp, _ := do(t, context.Background(), http.MethodGet, srv.URL+loc, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("dismissed job: %d, want 404", resp.StatusCode)
	}
}

func TestFailedJobLeavesNothingAndHidesCause(t *testing.T) {
	dir := t.TempDir()
	release, started := make(chan struct{}), make(chan string, 1)
	srv, r := newServer(t, dir, blocking(release, started))
	resp, m := do(t, context.Background(), http.MethodPost, srv.URL+"/api/v1/processes/block/execution", `{"inputs":{"fail":true}}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("execute: %d %v", resp.StatusCode, m)
	}
	<-started
	close(release)
	j, err := r.Wait(context.Background(), m["jobID"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != queue.Failed || strings.Contains(j.Message, "secret") {
		t.Errorf("failed job: %+v", j)
	}
	if left := entries(t, dir); len(left) != 0 {
		t.Errorf("a failed job left %v", left)
	}
	if resp, _ := do(t, context.Background(), http.MethodGet, srv.URL+"/api/v1/jobs/"+j.ID+"/results", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("results of a failed job: %d", resp.StatusCode)
	}
}

func TestHostileRequests(t *testing.T) {
	dir := t.TempDir()
	release, started := make(chan struct{}), make(chan string, 1)
	srv, r := newServer(t, dir, blocking(release, started))
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPost, "/api/v1/processes/nope/execution", `{}`, 404},
		{http.MethodPost, "/api/v1/processes/block/execution", `{"inputs":[1]}`, 400},
		{http.MethodPost, "/api/v1/processes/block/execution", `not json`, 400},
		{http.MethodGet, "/api/v1/jobs/../../etc/passwd", "", 404},
		{http.MethodGet, "/api/v1/jobs/nope", "", 404},
		{http.MethodDelete, "/api/v1/jobs/nope", "", 404},
		{http.MethodGet, "/api/v1/processes", "", 200},
		{http.MethodGet, "/api/v1/processes/block", "", 200},
	} {
		resp, m := do(t, context.Background(), c.method, srv.URL+c.path, c.body)
		if resp.StatusCode != c.want {
			t.Errorf("%s %s: %d %v, want %d", c.method, c.path, resp.StatusCode, m, c.want)
		}
	}
	// A finished job serves only the files it listed.
	resp, m := do(t, context.Background(), http.MethodPost, srv.URL+"/api/v1/processes/block/execution", `{"inputs":{}}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatal(m)
	}
	<-started
	id := m["jobID"].(string)
	if resp, _ := do(t, context.Background(), http.MethodGet, srv.URL+"/api/v1/jobs/"+id+"/results", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("results before the end: %d", resp.StatusCode)
	}
	close(release)
	if _, err := r.Wait(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	_, res := do(t, context.Background(), http.MethodGet, srv.URL+"/api/v1/jobs/"+id+"/results", "")
	files, _ := res["files"].([]any)
	if len(files) != 2 {
		t.Errorf("results %v, want partial.txt and done.txt", res)
	}
	for _, p := range []string{"/results/..%2F..%2Fetc%2Fpasswd", "/results/.job.json", "/results/nope"} {
		if resp, _ := do(t, context.Background(), http.MethodGet, srv.URL+"/api/v1/jobs/"+id+p, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	// Another service on the same database (another process's) knows the finished job.
	r2, err := jobs.New(queue.Store{Pool: r.Pool()}, jobs.Options{Dir: t.TempDir()}, nil, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if j, err := r2.Get(context.Background(), id); err != nil || j.Status != queue.Successful || len(j.Files) != 2 || j.Owner != "ed" {
		t.Errorf("the job seen from another service: %+v %v", j, err)
	}
}

// TestReportJob runs the report process on the demo city over HTTP: the job survives a
// client that disconnects right after the 201, and a cancelled report leaves no files.
func TestReportJob(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the demo city")
	}
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	reg, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	ws := walk.NewService(db.Pool, quiet)
	src := &report.Sources{Store: report.Store{Pool: db.Pool}, Walk: ws,
		Coverage: &coverage.Service{Store: coverage.Store{Pool: db.Pool}, Calibers: reg, Log: quiet},
		Checks:   &checks.Service{Store: &checks.Store{Pool: db.Pool}, Config: checks.DefaultConfig(), Reach: checks.NetworkReach{Walk: ws}}}
	dir := t.TempDir()
	srv, r := newServerWith(t, db.Pool, jobs.Options{Dir: dir, Workers: 2}, true, jobs.ReportProcess(src, report.Options{}))

	t.Run("bad inputs", func(t *testing.T) {
		for body, want := range map[string]int{
			`{"inputs":{"city":"atlantis"}}`:                     404,
			`{"inputs":{"city":"baotou","level":"province"}}`:    400,
			`{"inputs":{"city":"baotou","indicators":["nope"]}}`: 400,
			`{"inputs":{"city":"baotou","unknown":1}}`:           400,
			`{"inputs":{"city":"baotou","formats":["exe"]}}`:     400,
			// as_of is resolved when the job is submitted: an unknown edition, a bad date, the
			// future, a scenario with it (TestRequestAsOf: a section with no past state named).
			`{"inputs":{"city":"baotou","as_of":"1999 现状"}}`:                 400,
			`{"inputs":{"city":"baotou","as_of":"2024-13-01"}}`:              400,
			`{"inputs":{"city":"baotou","as_of":"2999-01-01"}}`:              400,
			`{"inputs":{"city":"baotou","as_of":"2024-01-01","scenario":1}}`: 400,
		} {
			if resp, m := do(t, ctx, http.MethodPost, srv.URL+"/api/v1/processes/report/execution", body); resp.StatusCode != want {
				t.Errorf("%s: %d %v, want %d", body, resp.StatusCode, m, want)
			}
		}
	})

	t.Run("survives a disconnecting client", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		resp, m := do(t, cctx, http.MethodPost, srv.URL+"/api/v1/processes/report/execution",
			`{"inputs":{"city":"baotou","level":"district","formats":["xlsx","csv","geojson"]}}`)
		cancel() // the client goes away right after the 201
		http.DefaultClient.CloseIdleConnections()
		if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(resp.Header.Get("Location"), "/api/v1/jobs/") {
			t.Fatalf("execute: %d %v", resp.StatusCode, m)
		}
		wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute)
		defer wcancel()
		j, err := r.Wait(wctx, m["jobID"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != queue.Successful {
			t.Fatalf("job %+v", j)
		}
		_, res := do(t, ctx, http.MethodGet, srv.URL+"/api/v1/jobs/"+j.ID+"/results", "")
		files, _ := res["files"].([]any)
		var xlsx string
		for _, f := range files {
			f := f.(map[string]any)
			if f["name"] == "report.xlsx" {
				xlsx = f["href"].(string)
			}
		}
		if xlsx == "" {
			t.Fatalf("results %v lack report.xlsx", res)
		}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+xlsx, nil)
		req.Header.Set("Authorization", "Bearer crk_ed")
		dl, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(dl.Body)
		dl.Body.Close() //nolint:errcheck // test clean-up
		if dl.StatusCode != 200 || len(b) < 1000 || string(b[:2]) != "PK" {
			t.Errorf("download: %d, %d bytes", dl.StatusCode, len(b))
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(left) != 0 {
			t.Errorf("temporary directories left: %v", left)
		}
	})

	t.Run("cancelled report leaves no files", func(t *testing.T) {
		before := entries(t, dir)
		resp, m := do(t, ctx, http.MethodPost, srv.URL+"/api/v1/processes/report/execution",
			`{"inputs":{"city":"baotou","level":"community"}}`)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("execute: %d %v", resp.StatusCode, m)
		}
		id := m["jobID"].(string)
		// Cancel while Chromium prints the PDF: the HTML, XLSX and CSV are written by then.
		deadline := time.Now().Add(2 * time.Minute)
		for {
			j, _ := r.Get(ctx, id)
			if j.Status != queue.Running && j.Status != queue.Accepted {
				t.Fatalf("the job ended before it could be cancelled: %+v", j)
			}
			if j.Progress >= 85 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the job never reached the PDF")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if tmp, _ := filepath.Glob(filepath.Join(dir, ".tmp-"+id+"-*", "*")); len(tmp) < 3 {
			t.Errorf("partial files before the cancel: %v", tmp)
		}
		resp, st := do(t, ctx, http.MethodDelete, srv.URL+"/api/v1/jobs/"+id, "")
		if resp.StatusCode != http.StatusOK || st["status"] != queue.Dismissed {
			t.Fatalf("dismiss: %d %v", resp.StatusCode, st)
		}
		after := entries(t, dir)
		if strings.Join(after, "\n") != strings.Join(before, "\n") {
			t.Errorf("the cancelled job changed the output directory:\nbefore %v\nafter  %v", before, after)
		}
	})
}

// TestQuotas: with one running and one queued job per token and a queue of three, ed's
// third job and al's second are refused with 429, Retry-After and a problem document; ed's
// queued job waits for ed's slot without holding a worker, so al's job starts beside ed's
// running one; a refused job leaves the job list unchanged.
func TestQuotas(t *testing.T) {
	release, started := make(chan struct{}), make(chan string, 4)
	srv, r := newServerWith(t, testdb.New(t).Pool, jobs.Options{Dir: t.TempDir(), Workers: 2, RunningPerOwner: 1, QueuedPerOwner: 1, Queue: 3}, true, blocking(release, started))
	defer close(release)
	exec := srv.URL + "/api/v1/processes/block/execution"
	start := func(secret string, want int) map[string]any {
		t.Helper()
		resp, m := doAs(t, context.Background(), secret, http.MethodPost, exec, `{"inputs":{}}`)
		if resp.StatusCode != want {
			t.Fatalf("%s: %d %v, want %d", secret, resp.StatusCode, m, want)
		}
		if want == http.StatusTooManyRequests {
			if resp.Header.Get("Retry-After") != "30" || resp.Header.Get("Content-Type") != problem.ContentType || m["retry_after"] != 30.0 {
				t.Errorf("429 without Retry-After 30 as problem+json: %v %v", resp.Header, m)
			}
		}
		return m
	}
	first := start("crk_ed", http.StatusCreated)
	<-started
	second := start("crk_ed", http.StatusCreated)
	if m := start("crk_ed", http.StatusTooManyRequests); m["limit"] != 2.0 {
		t.Errorf("per-token refusal: %v", m)
	}
	start("crk_al", http.StatusCreated)
	<-started // al's job runs although ed's second waits: Workers=2, one taken by ed
	if j, _ := r.Get(context.Background(), second["jobID"].(string)); j.Status != queue.Accepted {
		t.Errorf("ed's second job is %s, want accepted behind ed's first", j.Status)
	}
	if m := start("crk_al", http.StatusTooManyRequests); m["limit"] != 3.0 {
		t.Errorf("queue refusal: %v", m)
	}
	if js, _ := r.List(context.Background(), ""); len(js) != 3 {
		t.Errorf("%d jobs after two refusals, want 3", len(js))
	}
	// Dismissing ed's first frees ed's slot.
	if resp, _ := do(t, context.Background(), http.MethodDelete, srv.URL+"/api/v1/jobs/"+first["jobID"].(string), ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("dismiss: %d", resp.StatusCode)
	}
	<-started // ed's second job now runs
	start("crk_ed", http.StatusCreated)
}
