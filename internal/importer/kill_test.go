package importer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/testdb"
)

// writePoints writes a FeatureCollection of n facility points.
func writePoints(t testing.TB, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, `{"type":"FeatureCollection","features":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteByte(',') //nolint:errcheck // writes into a bufio.Writer; its error comes back from Flush
		}
		fmt.Fprintf(w, `{"type":"Feature","id":%d,"properties":{"category":"pharmacy","name":"药店 %d","floor_area_m2":%d},"geometry":{"type":"Point","coordinates":[%.6f,%.6f]}}`,
			i, i, 50+i%500, 109.8+float64(i%1000)*1e-4, 40.6+float64(i/1000)*1e-5)
	}
	fmt.Fprint(w, "]}")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// Killing the CLI with SIGKILL once its progress bar shows leaves the table as it was:
// the rows were streamed into an uncommitted transaction that the server rolls back
// when the connection drops.
func TestKillMidImportLeavesTableUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and writes a large file")
	}
	db := testdb.New(t)
	ctx := context.Background()
	makeCity(t, db.Pool, "baotou", 4548)
	dir := t.TempDir()
	bin := filepath.Join(dir, "cityreach")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/cityreach").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// Existing rows, to see they survive untouched.
	if _, err := Import(ctx, db.Pool, "facilities", geojsonReader(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"category":"clinic","name":"x"},"geometry":{"type":"Point","coordinates":[110,40]}}]}`), Options{City: "baotou"}); err != nil {
		t.Fatal(err)
	}
	before := checksum(t, db.Pool, "facilities")
	big := filepath.Join(dir, "big.geojson")
	writePoints(t, big, 300_000)

	cmd := exec.Command(bin, "import", "facilities", big, "--city", "baotou")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+db.URL)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the progress bar reports features read, then kill -9.
	seen := make(chan string, 1)
	go func() {
		buf := make([]byte, 4096)
		var acc strings.Builder
		for {
			n, err := stderr.Read(buf)
			acc.Write(buf[:n])
			if strings.Contains(acc.String(), "features") {
				select {
				case seen <- acc.String():
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case s := <-seen:
		t.Logf("progress before kill: %q", lastLine(s))
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("no progress within 60 s")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if strings.Contains(stdout.String(), "committed") {
		t.Fatalf("the import finished before the kill; make the file larger:\n%s", stdout.String())
	}
	// The server notices the dropped connection and rolls back; wait for the backend to go.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		_ = db.Pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'cityreach' AND state <> 'idle'").Scan(&n)
		if n == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if after := checksum(t, db.Pool, "facilities"); after != before {
		t.Fatalf("table changed after kill: %s → %s", before, after)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r", "\n"))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
