package tiles

import (
	"context"
	"sync"
	"sync/atomic"
)

// awaitBarrier is the waiting half of the read-your-edits barriers of the poller and the
// listener. Called with mu held, it returns with mu released once *reached (guarded by mu)
// is at least want: it sleeps until the owner closes *changed (the owner then makes a new
// channel, under mu), and rechecks. It returns ctx's error when ctx ends first, and
// errNotLive when live is false on waking (the owner released its waiters because it lost
// the database).
func awaitBarrier(ctx context.Context, mu *sync.Mutex, changed *chan struct{}, reached *uint64, want uint64, live *atomic.Bool) error {
	for *reached < want {
		ch := *changed
		mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !live.Load() {
			return errNotLive
		}
		mu.Lock()
	}
	mu.Unlock()
	return nil
}
