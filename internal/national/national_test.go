package national_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/national"
	"github.com/cityreach/cityreach/internal/testdb"
)

// buildBinary builds cmd/cityreach into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cityreach")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/cityreach/cityreach/cmd/cityreach")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSpecs: scales grow geometrically from the smallest to the largest: for 3 cities of
// 0.02…0.08 the middle one is √(0.02·0.08) = 0.04; seeds 1…n; bad counts and scales are
// refused.
func TestSpecs(t *testing.T) {
	s, err := national.Specs(3, 0.02, 0.08)
	if err != nil {
		t.Fatal(err)
	}
	want := []national.Spec{{"synth-001", 1, 0.02}, {"synth-002", 2, 0.04}, {"synth-003", 3, 0.08}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("specs %v, want %v", s, want)
	}
	for _, c := range []struct {
		n        int
		min, max float64
	}{{0, 0.1, 0.1}, {1000, 0.1, 0.1}, {2, 0, 0.1}, {2, 0.2, 0.1}, {2, 0.1, 21}} {
		if _, err := national.Specs(c.n, c.min, c.max); err == nil {
			t.Errorf("Specs(%d, %v, %v) accepted", c.n, c.min, c.max)
		}
	}
	for _, bad := range []string{"", "Run", "a b", "../x", strings.Repeat("a", 42)} {
		if _, err := national.ParentID(bad); err == nil {
			t.Errorf("run name %q accepted", bad)
		}
	}
}

// TestFanOutSurvivesAKilledWorker is the done-when: a national run over two
// cityreach processes, one of which is killed (SIGKILL) while it computes a city,
// completes every city exactly once.
//
// The run is planned (4 cities), then two worker processes of the built binary start on
// it with a 2 s lease and one shared results directory. As soon as process B holds a
// city, B is killed. Process A computes the other cities, then takes over B's once its
// lease has passed, and exits when no city is left. The jobs table must then hold one
// successful child per city, the killed one at attempt 2 under A, the others at attempt
// 1; each child's result file (named in its files column) must be in the shared
// directory with the row's result; the figures must agree with SQL counts of the
// communities and with the same computation run here. Running `national` on the same run
// afterwards computes nothing (resumed: 0 new, 4 done) and completes the parent.
func TestFanOutSurvivesAKilledWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and seeds four cities")
	}
	db := testdb.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute) // a hang guard only
	defer cancel()
	bin := buildBinary(t)
	specs, err := national.Specs(4, 0.05, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := national.Ensure(ctx, db.Pool, specs, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := queue.Store{Pool: db.Pool, Lease: 2 * time.Second}
	parent, added, err := national.Plan(ctx, st, "kill", "test", specs, ids)
	if err != nil || added != 4 {
		t.Fatalf("plan: %d added, %v", added, err)
	}
	shared := t.TempDir()
	env := append(os.Environ(), "DATABASE_URL="+db.URL, "CITYREACH_JOBS_DIR="+shared, "CITYREACH_LOG_LEVEL=warn")
	start := func(name string, args ...string) (*exec.Cmd, *bytes.Buffer) {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, append([]string{"national", "work", "--lease", "2s"}, args...)...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s: %v", name, err)
		}
		return cmd, &out
	}
	b, bOut := start("B")
	a, aOut := start("A", "--until-idle")
	bTag := ":" + strconv.Itoa(b.Process.Pid) + ":"
	aTag := ":" + strconv.Itoa(a.Process.Pid) + ":"

	// Kill B as soon as it holds a city.
	var victim string
	for victim == "" {
		err := db.Pool.QueryRow(ctx, "SELECT id FROM jobs WHERE status = 'running' AND strpos(worker, $1) > 0", bTag).Scan(&victim)
		if err != nil && ctx.Err() != nil {
			t.Fatalf("B never took a city: %v\n%s", err, bOut)
		}
		if victim == "" {
			time.Sleep(5 * time.Millisecond)
		}
	}
	if err := b.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = b.Wait()
	var status, worker string
	if err := db.Pool.QueryRow(ctx, "SELECT status, worker FROM jobs WHERE id = $1", victim).Scan(&status, &worker); err != nil {
		t.Fatal(err)
	}
	if status != queue.Running || !strings.Contains(worker, bTag) {
		t.Fatalf("B finished %s before the kill reached it (%s by %s): the test could not kill mid-city", victim, status, worker)
	}
	if err := a.Wait(); err != nil {
		t.Fatalf("A: %v\n%s", err, aOut)
	}

	// The jobs table: one successful child per city, the victim taken over once by A.
	kids, err := st.Children(ctx, parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(kids) != len(specs) {
		t.Fatalf("%d children, want %d", len(kids), len(specs))
	}
	comp := national.Computer{Pool: db.Pool, Calibers: mustRegistry(t)}
	byCity := map[string]bool{}
	for _, k := range kids {
		wantAttempts := 1
		if k.ID == victim {
			wantAttempts = 2
		}
		if k.Status != queue.Successful || k.Attempts != wantAttempts || (k.ID == victim && !strings.Contains(k.Worker, aTag)) {
			t.Errorf("child %s: %s, attempts %d by %s; want successful, %d attempts (victim %s taken over by A %s)",
				k.ID, k.Status, k.Attempts, k.Worker, wantAttempts, victim, aTag)
		}
		var h national.Headline
		if err := json.Unmarshal(k.Result, &h); err != nil {
			t.Fatalf("child %s result: %v", k.ID, err)
		}
		if byCity[h.City] {
			t.Errorf("city %s has two results", h.City)
		}
		byCity[h.City] = true
		if k.CityID == nil || *k.CityID != ids[h.City] {
			t.Errorf("child %s: city id %v, want %d", k.ID, k.CityID, ids[h.City])
		}
		// The result file named in the row holds the row's result.
		var files []national.File
		if err := json.Unmarshal(k.Files, &files); err != nil || len(files) != 1 {
			t.Fatalf("child %s files %s: %v", k.ID, k.Files, err)
		}
		if want := fmt.Sprintf("%s.a%d.json", k.ID, k.Attempts); files[0].Name != want {
			t.Errorf("child %s: file %s, want %s", k.ID, files[0].Name, want)
		}
		raw, err := os.ReadFile(filepath.Join(shared, files[0].Name))
		if err != nil {
			t.Fatal(err)
		}
		var fromFile national.Headline
		if err := json.Unmarshal(raw, &fromFile); err != nil || fromFile != h || int64(len(raw)) != files[0].Size {
			t.Errorf("child %s: the file holds %+v (%d bytes), the row %+v (%d bytes)", k.ID, fromFile, len(raw), h, files[0].Size)
		}
		// The figures: the communities counted by SQL, and the same computation done here.
		var communities, withHomes int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM residential_land r
			WHERE r.city_id = c.city_id AND ST_Covers(c.geom_m, ST_PointOnSurface(r.geom_m)))) FROM communities c WHERE c.city_id = $1`, ids[h.City]).Scan(&communities, &withHomes); err != nil {
			t.Fatal(err)
		}
		if h.ScorecardCommunities != communities || h.Communities != withHomes {
			t.Errorf("%s: %d scorecard communities and %d with homes; SQL counts %d and %d", h.City, h.ScorecardCommunities, h.Communities, communities, withHomes)
		}
		var spec national.Spec
		for _, s := range specs {
			if s.Slug == h.City {
				spec = s
			}
		}
		again, err := comp.Compute(ctx, spec, func(float64, string) {})
		if err != nil {
			t.Fatal(err)
		}
		again.Seconds, h.Seconds = 0, 0
		if *again != h {
			t.Errorf("%s: stored %+v, computed here %+v", h.City, h, *again)
		}
	}
	// The shared directory holds the recorded files; a file of the victim's first attempt
	// may be there only if B was killed between writing it and recording it.
	ents, err := os.ReadDir(shared)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == victim+".a1.json" {
			continue
		}
		if !strings.HasSuffix(e.Name(), ".a1.json") && !strings.HasSuffix(e.Name(), ".a2.json") || strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("unexpected entry %s in the shared directory", e.Name())
		}
	}
	if len(ents) < len(specs) || len(ents) > len(specs)+1 {
		t.Errorf("%d entries in the shared directory, want %d (+ the victim's first attempt at most)", len(ents), len(specs))
	}

	// Resumed: nothing is computed again, the parent completes, the table lists 4 cities.
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "national", "--run", "kill", "--cities", "4", "--scale-min", "0.05", "--scale-max", "0.1",
		"--workers", "0", "--quiet", "--format", "csv")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("resume: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(errOut.String(), "4 cities, 0 new, 4 done before") {
		t.Errorf("resume said %q", errOut.String())
	}
	if lines := strings.Count(strings.TrimSpace(out.String()), "\n"); lines != 4 {
		t.Errorf("resume printed %d rows, want 4:\n%s", lines, out.String())
	}
	var total int
	if err := db.Pool.QueryRow(ctx, "SELECT sum(attempts) FROM jobs WHERE parent_id = $1", parent).Scan(&total); err != nil || total != 5 {
		t.Errorf("attempts after the resume: %d (%v), want 5 (nothing recomputed)", total, err)
	}
	if p, err := st.Get(ctx, parent); err != nil || p.Status != queue.Successful {
		t.Errorf("parent after the resume: %+v %v", p, err)
	}
}

func mustRegistry(t *testing.T) *caliber.Registry {
	t.Helper()
	r, err := caliber.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// FuzzParentID: a run name accepted gives an id the jobs table accepts (jobs_id_format,
// migration 0023), and so do its children's; a name refused is refused with a fault.
func FuzzParentID(f *testing.F) {
	for _, s := range []string{"demo", "2026", "a_b-c", "", "Run", "../x", "a b", strings.Repeat("z", 41), strings.Repeat("z", 42), "名"} {
		f.Add(s)
	}
	idFormat := regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)
	f.Fuzz(func(t *testing.T, name string) {
		id, err := national.ParentID(name)
		if err != nil {
			if fault.As(err) == nil {
				t.Fatalf("%q refused without a fault: %v", name, err)
			}
			return
		}
		for _, s := range []string{id, id + ".synth-999"} {
			if !idFormat.MatchString(s) {
				t.Fatalf("run %q gives the id %q, which the jobs table refuses", name, s)
			}
		}
	})
}

// TestPlanResumes: planning a run twice adds its children once; on resuming, a child that
// failed (its attempts used up) or was cancelled is made claimable again with its attempts
// reset, while a successful child keeps its result and is not claimed again; the parent
// completes only once every child has succeeded.
func TestPlanResumes(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	st := queue.Store{Pool: db.Pool}
	specs, err := national.Specs(3, 0.05, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	parent, added, err := national.Plan(ctx, st, "resume", "ed", specs, nil)
	if err != nil || added != 3 || parent != "national-resume" {
		t.Fatalf("first plan: %s, %d added, %v", parent, added, err)
	}
	if _, again, err := national.Plan(ctx, st, "resume", "ed", specs, nil); err != nil || again != 0 {
		t.Fatalf("second plan added %d (%v), want 0", again, err)
	}
	// synth-001 succeeds, synth-002 fails, synth-003 is cancelled while it runs.
	for _, w := range []string{"w1", "w2", "w3"} {
		if j, err := st.Claim(ctx, national.ClassCity, w); err != nil || j == nil {
			t.Fatalf("claim: %+v %v", j, err)
		}
	}
	if ok, err := st.Finish(ctx, parent+".synth-001", "w1", queue.Outcome{Status: queue.Successful, Result: national.Headline{City: "synth-001"}}); !ok || err != nil {
		t.Fatalf("finish 1: %v %v", ok, err)
	}
	if ok, err := st.Finish(ctx, parent+".synth-002", "w2", queue.Outcome{Status: queue.Failed, Message: "boom"}); !ok || err != nil {
		t.Fatalf("finish 2: %v %v", ok, err)
	}
	if _, err := st.Cancel(ctx, parent+".synth-003"); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.Finish(ctx, parent+".synth-003", "w3", queue.Outcome{Status: queue.Dismissed, Message: "cancelled"}); !ok || err != nil {
		t.Fatalf("finish 3: %v %v", ok, err)
	}
	if done, err := national.Finish(ctx, st, parent); err != nil || done {
		t.Fatalf("the run completed with a failed child: %v %v", done, err)
	}
	if _, added, err := national.Plan(ctx, st, "resume", "ed", specs, nil); err != nil || added != 0 {
		t.Fatalf("resume: %d added, %v", added, err)
	}
	kids, err := st.Children(ctx, parent)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status   string
		attempts int
	}{parent + ".synth-001": {queue.Successful, 1}, parent + ".synth-002": {queue.Accepted, 0}, parent + ".synth-003": {queue.Accepted, 0}}
	for _, k := range kids {
		if w := want[k.ID]; k.Status != w.status || k.Attempts != w.attempts || k.Cancel {
			t.Errorf("after resuming, %s is %s with %d attempts (cancel %v), want %s with %d", k.ID, k.Status, k.Attempts, k.Cancel, w.status, w.attempts)
		}
	}
	// Only the two reset children are claimed again, then nothing.
	var claimed []string
	for {
		j, err := st.Claim(ctx, national.ClassCity, "w4")
		if err != nil {
			t.Fatal(err)
		}
		if j == nil {
			break
		}
		claimed = append(claimed, j.ID)
		if ok, err := st.Finish(ctx, j.ID, "w4", queue.Outcome{Status: queue.Successful, Result: national.Headline{City: j.ID}}); !ok || err != nil {
			t.Fatalf("finish %s: %v %v", j.ID, ok, err)
		}
	}
	if strings.Join(claimed, ",") != parent+".synth-002,"+parent+".synth-003" {
		t.Errorf("claimed %v after resuming, want synth-002 and synth-003", claimed)
	}
	if done, err := national.Finish(ctx, st, parent); err != nil || !done {
		t.Fatalf("the run did not complete: %v %v", done, err)
	}
	p, err := st.Get(ctx, parent)
	var hs []national.Headline
	if err != nil || json.Unmarshal(p.Result, &hs) != nil || len(hs) != 3 || hs[0].City != "synth-001" {
		t.Errorf("the parent's result: %s %v", p.Result, err)
	}
}
