package coverage

import (
	"context"
	"os"
	"testing"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/caliber"
)

// BenchmarkParkEditBuffer measures, in memory on the generated scale-1 city (50 000
// parcels, 600 parks), what the live service does after one committed park edit with the
// buffer method, without the database: the state's new snapshot (Snapshot.WithAssigned then
// sortedByID, as Store.advance), the kept result brought forward (Result.Apply, then
// onSnapshot, as Service.resultOn) and the figures of every level (ByLevel, as saveRun).
// Each iteration moves one park by 10 m on the result of the previous one, as edits follow
// one another. COVERAGE_BENCH_SCALE10=1 takes the scale-10 city instead (500 000 parcels,
// 6 000 parks; its first computation takes a minute or more).
func BenchmarkParkEditBuffer(b *testing.B) {
	ctx := context.Background()
	cal := builtin(b, "gbt50563-2010")
	scale := 1
	if os.Getenv("COVERAGE_BENCH_SCALE10") == "1" {
		scale = 10
	}
	snap := generateCity(1, 50000*scale, 600*scale).Snapshot().sortedByID()
	res, err := Compute(ctx, snap, cal, Options{Method: caliber.Buffer, Gaps: true})
	if err != nil {
		b.Fatal(err)
	}
	k := 0
	for b.Loop() {
		p := res.snapshot.Parks[k%len(res.snapshot.Parks)]
		k += 7
		moved := Park(p)
		moved.Geom = translate(p.Geom, 10, 0)
		ch := Changes{DeleteParks: []int64{p.ID}, AddParks: []Park{moved}}
		st := res.snapshot.WithAssigned(ch).sortedByID()
		next, _, err := res.Apply(ctx, ch)
		if err != nil {
			b.Fatal(err)
		}
		res = next.onSnapshot(st)
		for _, lv := range Levels {
			if _, err := res.ByLevel(lv); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func translate(g orb.MultiPolygon, dx, dy float64) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(g))
	for i, poly := range g {
		out[i] = make(orb.Polygon, len(poly))
		for j, ring := range poly {
			out[i][j] = make(orb.Ring, len(ring))
			for k, pt := range ring {
				out[i][j][k] = orb.Point{pt[0] + dx, pt[1] + dy}
			}
		}
	}
	return out
}
