package coverage

import (
	"context"
	"time"

	"github.com/cityreach/cityreach/internal/quiet"
)

// KeepWarm keeps every city warm after start-up. Whenever the Watcher has seen edits of
// the input tables and then none for wait, it brings each city's kept state to the new
// data version (state: the changed rows applied, or a full load when the change was too
// large to apply — an import); a city loaded in full is then warmed again as at start-up
// (Warm: assignment, walking graph, the default caliber's figures computed and stored)
// and reported to warmed, so the first request after an import does not pay for them.
// Without a Watcher it returns at once; otherwise it returns when ctx ends.
func (s *Service) KeepWarm(ctx context.Context, wait time.Duration, warmed func(slug string)) {
	if s.Watch == nil {
		return
	}
	quiet.After(ctx, func() (uint64, []uint64, bool) { return s.Watch.Generations(inputTables) }, wait,
		func() { s.rewarm(ctx, warmed) })
}

// rewarm brings every city's state forward and warms those loaded in full.
func (s *Service) rewarm(ctx context.Context, warmed func(slug string)) {
	slugs, err := s.Store.Cities(ctx)
	if err != nil {
		if s.Log != nil {
			s.Log.Warn("keep-warm: cities not listed", "err", err)
		}
		return
	}
	for _, slug := range slugs {
		lc := s.liveCity(slug)
		lc.mu.Lock()
		prev := lc.st
		lc.mu.Unlock()
		st, err := s.state(ctx, s.Store.Pool, slug)
		if err != nil {
			if s.Log != nil {
				s.Log.Warn("keep-warm: snapshot not loaded", "city", slug, "err", err)
			}
			continue
		}
		if st == prev || st.from != nil || (prev != nil && prev.dv.Hash == st.dv.Hash) {
			continue // unchanged, or brought forward by the changed rows
		}
		t := time.Now()
		if err := s.Warm(ctx, slug); err != nil {
			if s.Log != nil {
				s.Log.Warn("keep-warm: park coverage not warmed", "city", slug, "err", err)
			}
			continue
		}
		if warmed != nil {
			warmed(slug)
		}
		if s.Log != nil {
			s.Log.Info("keep-warm: city warmed again after a large change", "city", slug, "ms", time.Since(t).Milliseconds())
		}
	}
}
