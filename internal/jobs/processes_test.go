package jobs_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/seed"
	"github.com/cityreach/cityreach/internal/testdb"
)

// server is a `cityreach serve` process of the built binary.
type server struct {
	cmd *exec.Cmd
	url string
	tag string // ":<pid>:", as in the worker ids it claims under
	out *bytes.Buffer
}

// serve starts the binary on a free port with env and waits until it answers.
func serve(ctx context.Context, t *testing.T, bin string, env []string, args ...string) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--listen", addr}, args...)...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, url: "http://" + addr, tag: ":" + strconv.Itoa(cmd.Process.Pid) + ":", out: &out}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for {
		resp, err := http.Get(s.url + "/api/v1/processes")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("the server did not start: %v\n%s", err, &out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitEnded polls the job through s until it has ended.
func waitEnded(ctx context.Context, t *testing.T, s *server, secret, id string) map[string]any {
	t.Helper()
	for {
		resp, st := doAs(t, ctx, secret, http.MethodGet, s.url+"/api/v1/jobs/"+id, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET the job: %d %v", resp.StatusCode, st)
		}
		if queue.Ended(st["status"].(string)) {
			return st
		}
		if ctx.Err() != nil {
			t.Fatalf("the job did not end: %v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// download fetches a job's file through s.
func download(ctx context.Context, t *testing.T, s *server, secret, href string) (int, []byte) {
	t.Helper()
	r, b := send(t, ctx, secret, http.MethodGet, s.url+href, "")
	return r.StatusCode, b
}

// TestJobsAcrossProcesses runs report jobs over several `cityreach serve` processes of the
// built binary on one database (the "many servers": they share nothing else; each
// has its own jobs directory), with quotas of 1 running + 1 queued per token and 3 in all:
//
//  1. Quotas across processes: A and Q run no worker (CITYREACH_JOBS_WORKERS=0); ed's two
//     jobs, one submitted through each, fill his quota, so his third is refused (429,
//     limit 2) through either; al's job fills the queue, so al's second is refused
//     (limit 3). Each is dismissed through the process that did not accept it.
//  2. Submitted through A, run by B: ed's district CSV report is run by B's worker (the
//     row's worker carries B's pid) and its result fetched through A: the park-coverage
//     CSV has one line per district of the city (counted by SQL) plus the header, each
//     district's name in it, and the size the listing gives.
//     Owner isolation: al gets 404 for the job, its results, its file and its deletion,
//     through either process; root (admin) sees it.
//  3. A worker killed mid-job: ed's community report is claimed by B, B is SIGKILLed
//     while the row is still running under it, and C (started then) takes it over after
//     the 2 s lease: successful once, at attempt 2 under C, its files fetched through A
//     with their listed sizes; the large objects in the database are exactly the files
//     the two jobs list (B's attempt stored nothing).
func TestJobsAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, seeds the demo city and starts four servers")
	}
	db := testdb.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute) // a hang guard only
	defer cancel()
	if _, err := seed.Demo(ctx, db.Pool, 0.05); err != nil {
		t.Fatal(err)
	}
	secret := map[string]string{}
	ts := &auth.Store{Pool: db.Pool}
	for name, role := range map[string]auth.Role{"ed": auth.Editor, "al": auth.Editor, "root": auth.Admin} {
		_, s, err := ts.Create(ctx, name, role)
		if err != nil {
			t.Fatal(err)
		}
		secret[name] = s
	}
	bin := filepath.Join(t.TempDir(), "cityreach")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/cityreach/cityreach/cmd/cityreach").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	start := func(workers int) *server {
		env := append(os.Environ(), "DATABASE_URL="+db.URL, "CITYREACH_JOBS_DIR="+t.TempDir(), "CITYREACH_LOG_LEVEL=warn",
			"CITYREACH_JOBS_LEASE=2s", "CITYREACH_JOBS_WORKERS="+strconv.Itoa(workers))
		return serve(ctx, t, bin, env, "--jobs-running-per-token", "1", "--jobs-queued-per-token", "1", "--jobs-queue", "3")
	}
	submit := func(s *server, who, inputs string, want int) map[string]any {
		t.Helper()
		resp, m := doAs(t, ctx, secret[who], http.MethodPost, s.url+"/api/v1/processes/report/execution", `{"inputs":`+inputs+`}`)
		if resp.StatusCode != want {
			t.Fatalf("%s submits through %s: %d %v, want %d", who, s.url, resp.StatusCode, m, want)
		}
		return m
	}
	const small = `{"city":"baotou","level":"district","indicators":["park-coverage"],"formats":["csv"]}`

	// 1. Quotas across processes.
	a, q := start(0), start(0)
	e1, e2 := submit(a, "ed", small, 201), submit(q, "ed", small, 201)
	for _, s := range []*server{a, q} {
		if m := submit(s, "ed", small, 429); m["limit"] != 2.0 {
			t.Errorf("ed's third job: %v, want the per-token limit 2", m)
		}
	}
	l1 := submit(q, "al", small, 201)
	if m := submit(a, "al", small, 429); m["limit"] != 3.0 {
		t.Errorf("al's second job: %v, want the queue's limit 3", m)
	}
	for _, d := range []struct {
		s  *server
		id any
	}{{q, e1["jobID"]}, {a, e2["jobID"]}, {a, l1["jobID"]}} {
		who := "ed"
		if d.id == l1["jobID"] {
			who = "al"
		}
		if resp, m := doAs(t, ctx, secret[who], http.MethodDelete, d.s.url+"/api/v1/jobs/"+d.id.(string), ""); resp.StatusCode != 200 || m["status"] != queue.Dismissed {
			t.Errorf("dismissing %v through the other process: %d %v", d.id, resp.StatusCode, m)
		}
	}
	_ = q.cmd.Process.Signal(syscall.SIGTERM)

	// 2. Submitted through A, run by B, fetched through A.
	b := start(1)
	id := submit(a, "ed", small, 201)["jobID"].(string)
	if st := waitEnded(ctx, t, a, secret["ed"], id); st["status"] != queue.Successful {
		t.Fatalf("the small report: %v\n%s", st, b.out)
	}
	var worker string
	if err := db.Pool.QueryRow(ctx, "SELECT worker FROM jobs WHERE id = $1", id).Scan(&worker); err != nil || !strings.Contains(worker, b.tag) {
		t.Errorf("the job ran under %q (%v), want B's worker %s", worker, err, b.tag)
	}
	_, res := doAs(t, ctx, secret["ed"], http.MethodGet, a.url+"/api/v1/jobs/"+id+"/results", "")
	files, _ := res["files"].([]any)
	var f map[string]any
	for _, x := range files {
		if x := x.(map[string]any); x["name"] == "park-coverage-district.csv" {
			f = x
		}
	}
	if f == nil {
		t.Fatalf("results through A lack park-coverage-district.csv: %v", res)
	}
	stored := len(files)
	code, csv := download(ctx, t, a, secret["ed"], f["href"].(string))
	if code != 200 || float64(len(csv)) != f["size"].(float64) {
		t.Fatalf("the CSV through A: %d, %d bytes, listed %v", code, len(csv), f["size"])
	}
	rows, err := db.Pool.Query(ctx, "SELECT d.name FROM districts d JOIN cities c ON c.id = d.city_id WHERE c.slug = 'baotou'")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(csv), "\r\n", "\n")), "\n")
	if len(names) == 0 || len(lines) != len(names)+1 {
		t.Errorf("the CSV has %d lines, want %d districts + the header:\n%s", len(lines), len(names), csv)
	}
	for _, n := range names {
		if !strings.Contains(string(csv), n) {
			t.Errorf("the CSV lacks the district %s", n)
		}
	}
	for _, s := range []*server{a, b} {
		for _, c := range []struct{ method, path string }{{http.MethodGet, ""}, {http.MethodGet, "/results"},
			{http.MethodGet, "/results/report.csv"}, {http.MethodDelete, ""}} {
			if resp, _ := doAs(t, ctx, secret["al"], c.method, s.url+"/api/v1/jobs/"+id+c.path, ""); resp.StatusCode != http.StatusNotFound {
				t.Errorf("al: %s %s%s: %d, want 404", c.method, s.url, c.path, resp.StatusCode)
			}
		}
		if resp, _ := doAs(t, ctx, secret["root"], http.MethodGet, s.url+"/api/v1/jobs/"+id, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("root: GET the job through %s: %d", s.url, resp.StatusCode)
		}
	}

	// 3. B killed mid-job; C takes the job over.
	big := submit(a, "ed", `{"city":"baotou","level":"community","formats":["xlsx","csv","geojson","gpkg"]}`, 201)["jobID"].(string)
	for {
		var st, w string
		_ = db.Pool.QueryRow(ctx, "SELECT status, coalesce(worker, '') FROM jobs WHERE id = $1", big).Scan(&st, &w)
		if st == queue.Running && strings.Contains(w, b.tag) {
			break
		}
		if ctx.Err() != nil || queue.Ended(st) {
			t.Fatalf("B never held the job: %s %s\n%s", st, w, b.out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = b.cmd.Wait()
	var status string
	if err := db.Pool.QueryRow(ctx, "SELECT status, worker FROM jobs WHERE id = $1", big).Scan(&status, &worker); err != nil {
		t.Fatal(err)
	}
	if status != queue.Running || !strings.Contains(worker, b.tag) {
		t.Fatalf("B finished the job before the kill reached it (%s by %s): the test could not kill mid-job", status, worker)
	}
	c := start(1)
	if st := waitEnded(ctx, t, a, secret["ed"], big); st["status"] != queue.Successful {
		t.Fatalf("the report after B's death: %v\n%s", st, c.out)
	}
	var attempts int
	if err := db.Pool.QueryRow(ctx, "SELECT attempts, worker FROM jobs WHERE id = $1", big).Scan(&attempts, &worker); err != nil ||
		attempts != 2 || !strings.Contains(worker, c.tag) {
		t.Errorf("the job ended at attempt %d under %q (%v), want 2 under C %s", attempts, worker, err, c.tag)
	}
	_, res = doAs(t, ctx, secret["ed"], http.MethodGet, a.url+"/api/v1/jobs/"+big+"/results", "")
	files, _ = res["files"].([]any)
	if len(files) < 4 {
		t.Fatalf("results of the taken-over job: %v", res)
	}
	stored += len(files)
	for _, f := range files {
		f := f.(map[string]any)
		if code, body := download(ctx, t, a, secret["ed"], f["href"].(string)); code != 200 || float64(len(body)) != f["size"].(float64) || len(body) == 0 {
			t.Errorf("%s through A: %d, %d bytes, listed %v", f["name"], code, len(body), f["size"])
		}
	}
	var los, listed int
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_largeobject_metadata),
		(SELECT coalesce(sum(jsonb_array_length(files)), 0) FROM jobs WHERE files IS NOT NULL)`).Scan(&los, &listed); err != nil {
		t.Fatal(err)
	}
	if los != stored || listed != stored {
		t.Errorf("%d large objects, %d files listed; want %d and %d (the results of steps 2 and 3)", los, listed, stored, stored)
	}
}
