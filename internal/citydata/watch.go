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

// Barrier is a Watcher after one Sync: what it has counted includes every edit committed
// before the Sync began. Several readings of one call share it (the capacity indicator's:
// the walking inputs and the age tables), so the call waits for one barrier, not one per
// set of tables. The zero Barrier knows nothing: its Current reads every part.
type Barrier struct {
	w  Watcher
	ok bool
}

// Synced returns w's Barrier now: Sync, or the zero Barrier without a Watcher or when
// Sync fails (no live listener).
func Synced(ctx context.Context, w Watcher) Barrier {
	if w == nil || w.Sync(ctx) != nil {
		return Barrier{}
	}
	return Barrier{w: w, ok: true}
}

// Current is Synced(ctx, w).Current: a reading with a barrier of its own.
func Current(ctx context.Context, q Querier, w Watcher, cityID int, tables []string, prev Watched) (Watched, error) {
	return Synced(ctx, w).Current(ctx, q, cityID, tables, prev)
}

// Current returns the city's data version of tables now, read on q: prev's when the
// Watcher saw no edit of them since prev was read, prev's with the parts of the edited
// tables read again, or every part read (the zero Barrier, a different epoch or set of
// tables). The Watcher's state is taken after the barrier and before the reading, so an
// edit committed before the barrier began is counted, and one that lands between the
// state and the reading is read again by the next call rather than missed. The answer is
// Read's, always.
func (b Barrier) Current(ctx context.Context, q Querier, cityID int, tables []string, prev Watched) (Watched, error) {
	var cur Watched
	if b.ok {
		cur.epoch, cur.gens, cur.watched = b.w.Generations(tables)
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
