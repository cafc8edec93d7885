package quiet

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAfterWaitsForTheEditsToStop: counters that move for a while and then stand still
// give one call, after the last move; a lost-edits epoch counts as a move; counters that
// cannot be read are ignored.
func TestAfterWaitsForTheEditsToStop(t *testing.T) {
	var mu sync.Mutex
	epoch, n, ok := uint64(0), uint64(0), true
	counters := func() (uint64, []uint64, bool) {
		mu.Lock()
		defer mu.Unlock()
		return epoch, []uint64{n}, ok
	}
	set := func(f func()) { mu.Lock(); f(); mu.Unlock() }
	var calls atomic.Int32
	var last atomic.Int64
	var lastMove atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		After(ctx, counters, 200*time.Millisecond, func() {
			calls.Add(1)
			last.Store(time.Now().UnixNano())
		})
	}()
	for range 5 { // edits every 60 ms: never quiet for 200 ms
		time.Sleep(60 * time.Millisecond)
		set(func() { n++ })
		lastMove.Store(time.Now().UnixNano())
	}
	set(func() { ok = false }) // unreadable for a while: no call
	time.Sleep(400 * time.Millisecond)
	if c := calls.Load(); c != 0 {
		t.Fatalf("%d calls while the counters could not be read", c)
	}
	set(func() { ok = true })
	time.Sleep(500 * time.Millisecond)
	if c := calls.Load(); c != 1 {
		t.Fatalf("%d calls after the edits stopped, want 1", c)
	}
	if d := time.Duration(last.Load() - lastMove.Load()); d < 200*time.Millisecond {
		t.Fatalf("called %v after the last edit, before the quiet time", d)
	}
	set(func() { epoch++ })
	time.Sleep(500 * time.Millisecond)
	cancel()
	<-done
	if c := calls.Load(); c != 2 {
		t.Fatalf("%d calls after a new epoch, want 2", c)
	}
}
