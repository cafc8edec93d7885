package coverage

import (
	"context"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/tiles"
	"github.com/cityreach/cityreach/internal/tiles/tilestest"
)

// TestKeepWarmAfterAnImport: with the listener, KeepWarm brings a city's kept state to
// the data version PostgreSQL reports after a single park edit without computing anything
// ahead (no run of the default caliber for that version is stored), and after a change of
// every parcel (an import: more than 5 % of the rows) it loads the city in full and
// stores the default caliber's run of the new version by itself, before any request.
func TestKeepWarmAfterAnImport(t *testing.T) {
	pool := newDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ts := tilestest.Live(t, ctx, pool, tiles.Options{CacheBytes: 1 << 20})
	slug := "keepwarm"
	city := generateCity(7, 300, 8).load(t, pool, slug)
	reg, _ := caliber.NewRegistry()
	svc := &Service{Store: Store{Pool: pool}, Calibers: reg, Watch: ts}
	if err := svc.Warm(ctx, slug); err != nil {
		t.Fatal(err)
	}
	q := Query{City: slug}
	cal, err := svc.Validate(ctx, &q)
	if err != nil {
		t.Fatal(err)
	}
	warmed := make(chan string, 4)
	go svc.KeepWarm(ctx, 100*time.Millisecond, func(s string) { warmed <- s })

	// waitState waits until the kept state is at the version PostgreSQL reads now.
	waitState := func(label string) *cityState {
		t.Helper()
		dv, err := svc.Store.DataVersion(ctx, city)
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			lc := svc.liveCity(slug)
			lc.mu.Lock()
			st := lc.st
			lc.mu.Unlock()
			if st != nil && st.dv.Hash == dv.Hash {
				return st
			}
		}
		t.Fatalf("%s: the kept state did not reach version %s", label, dv.Hash)
		return nil
	}
	stored := func(hash string) bool {
		t.Helper()
		run, err := svc.Store.Find(ctx, pool, city, cal, q.Method, hash, ageKey{}, "")
		if err != nil {
			t.Fatal(err)
		}
		return run != nil
	}

	if _, err := pool.Exec(ctx, `UPDATE parks SET name = name || '!' WHERE id = (SELECT min(id) FROM parks WHERE city_id = $1)`, city); err != nil {
		t.Fatal(err)
	}
	st := waitState("one park edited")
	if st.from == nil {
		t.Error("one park edited: the city was loaded in full, not brought forward")
	}
	if stored(st.dv.Hash) {
		t.Error("one park edited: the default caliber's run was computed ahead of any request")
	}

	if _, err := pool.Exec(ctx, `UPDATE residential_land SET population = population + 1 WHERE city_id = $1`, city); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-warmed:
		if s != slug {
			t.Fatalf("warmed %q, want %q", s, slug)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("every parcel edited: the city was not warmed again")
	}
	st = waitState("every parcel edited")
	if st.from != nil {
		t.Error("every parcel edited: brought forward row by row, not loaded in full")
	}
	// The run's gaps are stored after its figures; it is found once complete.
	deadline := time.Now().Add(30 * time.Second)
	for !stored(st.dv.Hash) {
		if time.Now().After(deadline) {
			t.Fatal("every parcel edited: no run of the default caliber stored for the new version")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
