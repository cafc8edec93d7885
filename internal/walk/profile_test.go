package walk

import (
	"errors"
	"math"
	"testing"

	"github.com/cityreach/cityreach/internal/fault"
)

// TestProfileElderly: on the living-circle fixture (livingFixture), the elderly profile
// (3.6 km/h) scales the kindergarten tier from 300 m to 270 m and the primary tier from
// 500 m to 450 m. Parcel 2 (200 residents of C1) is 280 m from the kindergarten, so at
// 3.6 km/h only parcel 1 (100 of C1's 350) reaches it: 100/350 instead of 300/350. Every
// primary-school distance in C1 (230, 130, 210 m) stays within 450 m: share 1. An explicit
// reach override in metres wins over the profile.
func TestProfileElderly(t *testing.T) {
	pool, city := livingFixture(t)
	svc := NewService(pool, quiet())
	ctx := ctxT(t)
	rep, err := svc.LivingCircle(ctx, city.Slug, Options{Level: LevelCommunity, Profile: "elderly"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Profile == nil || rep.Profile.SpeedKmh != 3.6 {
		t.Fatalf("profile %+v", rep.Profile)
	}
	c1 := rep.Areas[0]
	for _, c := range []struct {
		code        string
		reach, want float64
	}{{"kindergarten", 270, 100.0 / 350}, {"primary_school", 450, 1}} {
		f := figure(c1, c.code)
		if math.Abs(f.ReachM-c.reach) > 1e-9 || math.Abs(f.PopulationShare-c.want) > 1e-9 {
			t.Errorf("%s: tier %v share %v, want %v and %v", c.code, f.ReachM, f.PopulationShare, c.reach, c.want)
		}
	}
	rep, err = svc.LivingCircle(ctx, city.Slug, Options{Level: LevelCommunity, Profile: "elderly", Reach: map[string]float64{"kindergarten": 300}})
	if err != nil {
		t.Fatal(err)
	}
	if f := figure(rep.Areas[0], "kindergarten"); f.ReachM != 300 || math.Abs(f.PopulationShare-300.0/350) > 1e-9 {
		t.Errorf("override: tier %v share %v, want 300 m and 300/350", f.ReachM, f.PopulationShare)
	}
	_, err = svc.LivingCircle(ctx, city.Slug, Options{Profile: "sprinter"})
	var pe *fault.Error
	if !errors.As(err, &pe) || pe.Kind != fault.KindInvalid || pe.Extra["parameter"] != "profile" {
		t.Errorf("unknown profile: %v", err)
	}
}
