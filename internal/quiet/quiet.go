// Package quiet runs work once edits have stopped for a while: the background jobs that
// bring derived state up to date after edits (park coverage's keep-warm, the tile store's
// fills) wait for a quiet moment instead of redoing their work after every statement of an
// import.
package quiet

import (
	"context"
	"slices"
	"time"
)

// Counters reports an epoch (raised when edits may have been missed) and a counter of
// edits per watched table; ok false when they cannot be known now.
type Counters func() (epoch uint64, gens []uint64, ok bool)

// After calls fn whenever the counters have moved and then stood still for quiet, until
// ctx ends. It polls every quiet/4 (at least 50 ms).
func After(ctx context.Context, counters Counters, quiet time.Duration, fn func()) {
	tick := time.NewTicker(max(quiet/4, 50*time.Millisecond))
	defer tick.Stop()
	epoch, gens, _ := counters()
	var pending bool
	var changed time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		e, g, ok := counters()
		if !ok {
			continue
		}
		if e != epoch || !slices.Equal(g, gens) {
			epoch, gens, pending, changed = e, g, true, time.Now()
			continue
		}
		if pending && time.Since(changed) >= quiet {
			pending = false
			fn()
		}
	}
}
