package coverage

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
)

// BenchmarkNetworkCoverage measures the network method on the package's generated city in
// memory (no PostGIS): 10 000 parcels, scale 1 (50 000 parcels, 600 parks; also with the
// gap layer, as the service computes it) and scale 10 (500 000 parcels, 6 000 parks).
// cpu-s/op is the process's CPU time per computation, steadier than the wall clock on a
// shared machine.
func BenchmarkNetworkCoverage(b *testing.B) {
	cal := builtin(b, "gbt50563-2010")
	for _, sc := range []struct {
		name           string
		parcels, parks int
		gaps           bool
	}{{"10k", 10000, 120, false}, {"scale1", 50000, 600, false}, {"scale1-gaps", 50000, 600, true}, {"scale10", 500000, 6000, false}} {
		b.Run(sc.name, func(b *testing.B) {
			snap := generateCity(1, sc.parcels, sc.parks).Snapshot()
			if _, err := snap.walkNet(); err != nil {
				b.Fatal(err)
			}
			var r float64
			cpu0 := cpuTime()
			for b.Loop() {
				res, err := Compute(context.Background(), snap, cal, Options{Method: caliber.Network, Gaps: sc.gaps})
				if err != nil {
					b.Fatal(err)
				}
				r = res.Ratio()
			}
			b.ReportMetric(100*r, "%covered")
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			b.Logf("%.9f %%", 100*r)
		})
	}
}

// cpuTime is the process's user and system CPU time: on a machine shared with other work,
// a steadier measure than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
