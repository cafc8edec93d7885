package queue_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/jobs/queue"
	"github.com/cityreach/cityreach/internal/testdb"
)

// largeObjects counts the database's large objects.
func largeObjects(t *testing.T, st queue.Store) int {
	t.Helper()
	var n int
	if err := st.Pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_largeobject_metadata").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFilesGoWithTheClaim: a job submitted with an input file of 3 MiB + 5 bytes (past the
// copy buffer, so it is written and read in pieces) reads it back byte for byte. Its first
// worker loses the claim (lease expired, claimed by a second): the first one's Finish with
// a result file records nothing and leaves no large object; the second's replaces the
// input by its result (one large object: the result), whose bytes CopyFile returns; an
// unknown name is ErrNoFile. Delete removes the row and its large object.
func TestFilesGoWithTheClaim(t *testing.T) {
	db := testdb.New(t)
	st := queue.Store{Pool: db.Pool}
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	input := bytes.Repeat([]byte("0123456789abcdef"), (3<<20)/16)
	input = append(input, "tail!"...)
	j, err := st.Submit(ctx, queue.New{Class: "f", Owner: "ed", Process: "p", Files: []queue.Blob{{Name: "in.bin", Path: write("in.bin", input)}}}, queue.Quota{})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if n, err := st.CopyFile(ctx, j.ID, "in.bin", &got); err != nil || n != int64(len(input)) || !bytes.Equal(got.Bytes(), input) {
		t.Fatalf("the input read back: %d bytes, %v, equal %v", n, err, bytes.Equal(got.Bytes(), input))
	}
	if _, err := st.CopyFile(ctx, j.ID, "nope", &got); !errors.Is(err, queue.ErrNoFile) {
		t.Errorf("an unknown file: %v", err)
	}
	if _, err := st.Claim(ctx, "f", "w1"); err != nil {
		t.Fatal(err)
	}
	expire(t, st, j.ID)
	if c, err := st.Claim(ctx, "f", "w2"); err != nil || c == nil || c.ID != j.ID {
		t.Fatalf("the second claim: %+v %v", c, err)
	}
	stale := queue.Outcome{Status: queue.Successful, Blobs: []queue.Blob{{Name: "out.txt", Type: "text/plain", Path: write("w1.txt", []byte("from w1"))}}}
	if ok, err := st.Finish(ctx, j.ID, "w1", stale); ok || err != nil {
		t.Fatalf("the stale worker's Finish: %v %v", ok, err)
	}
	if n := largeObjects(t, st); n != 1 {
		t.Errorf("%d large objects after the stale Finish, want 1 (the input)", n)
	}
	fresh := queue.Outcome{Status: queue.Successful, Blobs: []queue.Blob{{Name: "out.txt", Type: "text/plain", Path: write("w2.txt", []byte("from w2"))}}}
	if ok, err := st.Finish(ctx, j.ID, "w2", fresh); !ok || err != nil {
		t.Fatalf("the holder's Finish: %v %v", ok, err)
	}
	got.Reset()
	if _, err := st.CopyFile(ctx, j.ID, "out.txt", &got); err != nil || got.String() != "from w2" {
		t.Errorf("the result: %q %v, want w2's", got.String(), err)
	}
	if _, err := st.CopyFile(ctx, j.ID, "in.bin", &got); !errors.Is(err, queue.ErrNoFile) {
		t.Errorf("the input after the final update: %v, want ErrNoFile", err)
	}
	if n := largeObjects(t, st); n != 1 {
		t.Errorf("%d large objects after the final update, want 1 (the result)", n)
	}
	if err := st.Delete(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	if n := largeObjects(t, st); n != 0 {
		t.Errorf("%d large objects after Delete, want 0", n)
	}
	if err := st.Delete(ctx, j.ID); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("a second Delete: %v", err)
	}
}

// TestClaimLimitedPerOwner: with one running job per owner, ed's second job is passed over
// while his first runs under a live lease, al's (younger) is claimed instead; once ed's
// first has ended, or its lease has passed, his second is claimable. Eight concurrent
// claimers over four jobs of one owner, bound 2, claim exactly two.
func TestClaimLimitedPerOwner(t *testing.T) {
	db := testdb.New(t)
	st := queue.Store{Pool: db.Pool}
	ctx := context.Background()
	e1 := submit(t, st, queue.New{Class: "c", Owner: "ed", Process: "p"})
	e2 := submit(t, st, queue.New{Class: "c", Owner: "ed", Process: "p"})
	a1 := submit(t, st, queue.New{Class: "c", Owner: "al", Process: "p"})
	claim := func(w string) string {
		t.Helper()
		j, err := st.ClaimLimited(ctx, "c", w, 1)
		if err != nil {
			t.Fatal(err)
		}
		if j == nil {
			return ""
		}
		return j.ID
	}
	if id := claim("w1"); id != e1.ID {
		t.Fatalf("first claim %s, want ed's first", id)
	}
	if id := claim("w2"); id != a1.ID {
		t.Fatalf("second claim %s, want al's (ed has one running)", id)
	}
	if id := claim("w3"); id != "" {
		t.Fatalf("third claim %s, want none", id)
	}
	expire(t, st, e1.ID) // ed's first worker died: its row no longer counts as running
	if id := claim("w3"); id != e1.ID && id != e2.ID {
		t.Fatalf("after the lease: %q, want one of ed's", id)
	}

	for range 4 {
		submit(t, st, queue.New{Class: "d", Owner: "bo", Process: "p"})
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	claimed := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := st.ClaimLimited(ctx, "d", "c"+string(rune('a'+i)), 2)
			if err != nil {
				t.Error(err)
				return
			}
			if j != nil {
				mu.Lock()
				claimed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if claimed != 2 {
		t.Errorf("%d concurrent claims under a bound of 2", claimed)
	}
}

// TestValidIDAgreesWithTheTable: every id the table's jobs_id_format accepts is valid and
// every one it refuses is not, over hostile and ordinary ids; Get of an invalid id is
// ErrNotFound, not a database error.
func TestValidIDAgreesWithTheTable(t *testing.T) {
	db := testdb.New(t)
	st := queue.Store{Pool: db.Pool}
	ctx := context.Background()
	for _, id := range []string{"a", "national-x.synth-001", "A_b-9.z", "", "a b", "a\x00b", "../x", "é", "a/b", "%00",
		string(bytes.Repeat([]byte("a"), 128)), string(bytes.Repeat([]byte("a"), 129))} {
		var ok bool
		if err := db.Pool.QueryRow(ctx, `SELECT $1 ~ '^[A-Za-z0-9_.-]{1,128}$'`, string(bytes.ReplaceAll([]byte(id), []byte{0}, []byte("?")))).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if got := queue.ValidID(id); got != ok {
			t.Errorf("ValidID(%q) = %v, the table says %v", id, got, ok)
		}
		if !ok {
			if _, err := st.Get(ctx, id); !errors.Is(err, queue.ErrNotFound) {
				t.Errorf("Get(%q): %v, want ErrNotFound", id, err)
			}
		}
	}
}

// TestAwaitCancelOfADeadWorkersJob: a running job whose worker is gone (no renewal, no
// worker left to sweep) is dismissed by AwaitCancel once its lease has passed; a
// running job under a live lease is still running when the wait's context ends.
func TestAwaitCancelOfADeadWorkersJob(t *testing.T) {
	db := testdb.New(t)
	st := queue.Store{Pool: db.Pool, Lease: time.Hour}
	ctx := context.Background()
	j := submit(t, st, queue.New{Class: "x", Owner: "ed", Process: "p"})
	if _, err := st.Claim(ctx, "x", "gone"); err != nil {
		t.Fatal(err)
	}
	if c, err := st.Cancel(ctx, j.ID); err != nil || c.Status != queue.Running || !c.Cancel {
		t.Fatalf("cancel: %+v %v", c, err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if r, err := st.AwaitCancel(short, j.ID, 20*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) || r.Status != queue.Running {
		t.Errorf("under a live lease: %s %v, want still running when the wait ends", r.Status, err)
	}
	expire(t, st, j.ID)
	if r, err := st.AwaitCancel(ctx, j.ID, 20*time.Millisecond); err != nil || r.Status != queue.Dismissed || r.Finished == nil {
		t.Errorf("past the lease: %+v %v, want dismissed", r, err)
	}
}
