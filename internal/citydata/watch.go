package citydata

import (
	"context"
	"slices"
)

// Watcher tells a cache which tables had edits, so that an unchanged city's data version
// needs no reading: the tile service's LISTEN connection (tiles.Service). Sync returns once
// every edit committed before the call has been counted; Generations counts the
// notifications of each table (of any city), and its epoch changes whenever some may have
// been lost.
type Watcher interface {
	Sync(ctx context.Context) error
	Generations(tables []string) (epoch uint64, gens []uint64, ok bool)
}

// Watched is a Version of some tables with the Watcher's state when it was read.
type Watched struct {
	Version
	epoch   uint64
	gens    []uint64
	watched bool
}

// Current returns the city's data version of tables now, read on q: prev's when w saw no
// edit of them since prev was read, prev's with the parts of the edited tables read again,
// or every part read (no Watcher, one not live, or a different epoch or set of tables).
// The Watcher's state is taken before the reading, so an edit that lands between the two
// is read again by the next call rather than missed. The answer is Read's, always.
func Current(ctx context.Context, q Querier, w Watcher, cityID int, tables []string, prev Watched) (Watched, error) {
	var cur Watched
	if w != nil && w.Sync(ctx) == nil {
		cur.epoch, cur.gens, cur.watched = w.Generations(tables)
	}
	if !cur.watched || !prev.watched || prev.epoch != cur.epoch || len(prev.gens) != len(cur.gens) ||
		len(prev.Tables) != len(tables) {
		v, err := Read(ctx, q, cityID, tables...)
		cur.Version = v
		return cur, err
	}
	var dirty []string
	for i, t := range tables {
		if _, ok := prev.Tables[t]; !ok {
			dirty = slices.Clone(tables)
			break
		}
		if cur.gens[i] != prev.gens[i] {
			dirty = append(dirty, t)
		}
	}
	if len(dirty) == 0 {
		cur.Version = prev.Version
		return cur, nil
	}
	fresh, err := Read(ctx, q, cityID, dirty...)
	if err != nil {
		return cur, err
	}
	parts := make(map[string]TableVersion, len(tables))
	for t, tv := range prev.Tables {
		parts[t] = tv
	}
	for t, tv := range fresh.Tables {
		parts[t] = tv
	}
	cur.Version = Combine(parts)
	return cur, nil
}
