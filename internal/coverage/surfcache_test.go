package coverage

import (
	"context"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/caliber"
)

// TestSurfaceCacheGivesTheFreshSurface: the network method's figures with a shared
// SurfaceCache are those computed without one, parcel by parcel and bit for bit — after a
// full computation, after an edit brought forward with Apply (a park moved with its
// entrances left where they are, so the reach and every buffered tile are as before; a park
// moved with generated access points, which changes the reach near it), and for a second
// caliber with the same radii but other parks counted. The cached tiles must be used:
// the first edit buffers nothing anew, the second only the tiles near the park, and the
// second caliber fewer tiles than the first computation; the first edit reuses the walk
// itself, its access points being where they were.
func TestSurfaceCacheGivesTheFreshSurface(t *testing.T) {
	ctx := context.Background()
	cal := builtin(t, "gbt50563-2010")
	snap := withEntrances(generateCity(31, 3000, 60).Snapshot())
	cache := NewSurfaceCache(64 << 20)
	opt := Options{Method: caliber.Network, Gaps: true}
	cached := func(o Options) Options { o.Surfaces = cache; return o }
	res, err := Compute(ctx, snap, cal, cached(opt))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Compute(ctx, snap, cal, opt)
	if err != nil {
		t.Fatal(err)
	}
	sameFigures(t, "full", res, fresh)
	_, tiles, _, misses0 := cache.Stats()
	if tiles == 0 || misses0 == 0 {
		t.Fatalf("the full computation cached %d tiles after %d misses", tiles, misses0)
	}

	// A recorded-entrance park moved by 30 m, its entrances kept: the reach is unchanged.
	moved := func(p Park, dx float64) Park {
		p.Geom = orb.Clone(p.Geom).(orb.MultiPolygon)
		for _, pg := range p.Geom {
			for _, r := range pg {
				for i := range r {
					r[i][0] += dx
				}
			}
		}
		return p
	}
	withEnt, generated := -1, -1
	near := func(p Park, r float64) bool { // some parcel lies within r of p's box
		for _, q := range snap.Parcels {
			if p.Geom.Bound().Pad(r).Intersects(q.Geom.Bound()) {
				return true
			}
		}
		return false
	}
	for i, p := range snap.Parks {
		if r, ok := cal.Radius(p.Facts()); !ok || !near(p, r) {
			continue
		}
		if len(p.Entrances) > 0 && withEnt < 0 {
			withEnt = i
		}
		if len(p.Entrances) == 0 && generated < 0 {
			generated = i
		}
	}
	if withEnt < 0 || generated < 0 {
		t.Fatal("the generated city lacks a counted park with and one without entrances")
	}
	cur := res
	for step, k := range []int{withEnt, generated} {
		p := snap.Parks[k]
		ch := Changes{DeleteParks: []int64{p.ID}, AddParks: []Park{moved(p, 30)}}
		_, _, hits0, miss0 := cache.Stats()
		next, affected, err := cur.Apply(ctx, ch)
		if err != nil {
			t.Fatal(err)
		}
		if len(affected) == 0 {
			t.Fatalf("step %d: moving park %d recomputed nothing", step, p.ID)
		}
		_, _, hits1, miss1 := cache.Stats()
		full, err := Compute(ctx, next.snapshot, cal, opt)
		if err != nil {
			t.Fatal(err)
		}
		sameFigures(t, "edit", next, full)
		t.Logf("step %d: %d parcels recomputed, %d tiles from the cache, %d buffered", step, len(affected), hits1-hits0, miss1-miss0)
		if hits1 == hits0 {
			t.Errorf("step %d: no tile came from the cache", step)
		}
		if step == 0 && miss1 != miss0 {
			t.Errorf("step %d: the reach did not change, yet %d tiles were buffered again", step, miss1-miss0)
		}
		if reused := next.reach == cur.reach; reused != (step == 0) {
			t.Errorf("step %d: walk reused %v, want %v (the access points moved only in step 1)", step, reused, step == 0)
		}
		cur = next
	}

	// Another caliber with the same radii that counts fewer parks (not gardens).
	other := cal
	other.ID = "same-radii"
	other.Classes = nil
	for _, c := range cal.Classes {
		if c != caliber.Garden {
			other.Classes = append(other.Classes, c)
		}
	}
	if len(other.Classes) == len(cal.Classes) {
		t.Fatalf("%s counts no gardens", cal.ID)
	}
	_, _, hits0, miss0 := cache.Stats()
	got, err := Compute(ctx, cur.snapshot, other, cached(opt))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Compute(ctx, cur.snapshot, other, opt)
	if err != nil {
		t.Fatal(err)
	}
	sameFigures(t, "other caliber", got, want)
	_, _, hits1, miss1 := cache.Stats()
	t.Logf("other caliber: %d tiles from the cache, %d buffered", hits1-hits0, miss1-miss0)
	if hits1 == hits0 {
		t.Error("the second caliber took no tile from the cache")
	}
}

// sameFigures fails unless a and b give every parcel the same covered area and gap.
func sameFigures(t *testing.T, label string, a, b *Result) {
	t.Helper()
	for i := range b.Covered {
		if a.snapshot.Parcels[i].ID != b.snapshot.Parcels[i].ID || a.Covered[i] != b.Covered[i] {
			t.Fatalf("%s: parcel %d covers %.12f m², computed without the cache %.12f m²", label, b.snapshot.Parcels[i].ID, a.Covered[i], b.Covered[i])
		}
		if !orb.Equal(a.Gaps[i], b.Gaps[i]) {
			t.Fatalf("%s: parcel %d's gap differs from the one computed without the cache", label, b.snapshot.Parcels[i].ID)
		}
	}
	if a.CoveredM2 != b.CoveredM2 {
		t.Fatalf("%s: %.9f m² covered, without the cache %.9f", label, a.CoveredM2, b.CoveredM2)
	}
}
