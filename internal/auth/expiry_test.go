package auth_test

import (
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/auth"
)

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"never", time.Time{}},
		{"90d", time.Date(2026, 5, 30, 12, 0, 0, 0, time.UTC)}, // March 31 − 1 + April 30 + 30 = 90 days
		{"12h", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"2w", time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)},
		{"2027-01-01", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-03-01T21:00:00+08:00", time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)},
	} {
		got, err := auth.ParseExpiry(c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%q = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"0d", "-3d", "3x", "d", "90 d", "2026-02-30", "2026-03-01", "2026-03-01T13:00:00+08:00", "2040-01-01", "99999999d", "1e3d", "tomorrow"} {
		if got, err := auth.ParseExpiry(bad, now); err == nil {
			t.Errorf("%q accepted as %v", bad, got)
		}
	}
}

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"90d", "12h", "2w", "2027-01-01", "never", "", "2027-01-01T00:00:00Z", "0d", "9999999999999999999d"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := auth.ParseExpiry(s, now)
		if err != nil || got.IsZero() {
			return
		}
		if !got.After(now) || got.Sub(now) > auth.MaxLifetime {
			t.Fatalf("%q gave %v outside (now, now+MaxLifetime]", s, got)
		}
	})
}
