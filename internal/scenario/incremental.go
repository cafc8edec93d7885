package scenario

import (
	"context"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/coverage"
)

// Baseline is a baseline coverage result kept for incremental recomputation: the snapshot
// and, per parcel, its covered area and gap.
type Baseline struct {
	Snap  *coverage.Snapshot
	Res   *coverage.Result // computed with gaps
	index map[int64]int    // parcel id → index in Snap.Parcels
}

// NewBaseline computes the baseline once (with gaps) under cal and method.
func NewBaseline(ctx context.Context, snap *coverage.Snapshot, cal caliber.Caliber, method string) (*Baseline, error) {
	res, err := coverage.Compute(ctx, snap, cal, coverage.Options{Method: method, Gaps: true})
	if err != nil {
		return nil, err
	}
	// Locate every parcel and park in its areas now, once: scenarios reuse it.
	if _, err := res.ByLevel(coverage.LevelCommunity); err != nil {
		return nil, err
	}
	b := &Baseline{Snap: snap, Res: res, index: make(map[int64]int, len(snap.Parcels))}
	for i := range snap.Parcels {
		b.index[snap.Parcels[i].ID] = i
	}
	return b, nil
}

// Incremental is a scenario's coverage and what it took.
type Incremental struct {
	Res *coverage.Result
	// Recomputed lists the scenario parcels (indexes into Res.Snapshot().Parcels) whose
	// covered area was recomputed; every other parcel keeps its baseline figure.
	Recomputed []int
	Duration   time.Duration
}

// Apply computes the coverage of base + ch, recomputing only the parcels ch can reach
// (coverage.Result.Apply says which).
func (b *Baseline) Apply(ctx context.Context, ch coverage.Changes) (*Incremental, error) {
	start := time.Now()
	res, recomputed, err := b.Res.Apply(ctx, ch)
	if err != nil {
		return nil, err
	}
	return &Incremental{Res: res, Recomputed: recomputed, Duration: time.Since(start)}, nil
}
