package auth

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxLifetime bounds a token's expiry: a token meant to live longer should not expire.
const MaxLifetime = 10 * 366 * 24 * time.Hour

// ParseExpiry reads the --expires of `cityreach token create` relative to now: a number of
// days ("90d"), hours ("12h") or weeks ("2w"), or a date ("2027-01-01", the token stops at
// 00:00 UTC that day) or an RFC 3339 instant. "" or "never" is the zero time (no expiry).
// The result must lie after now and at most MaxLifetime ahead.
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "never" {
		return time.Time{}, nil
	}
	var t time.Time
	if n := len(s); n >= 2 && strings.ContainsRune("dhw", rune(s[n-1])) && isDigits(s[:n-1]) {
		k, err := strconv.Atoi(s[:n-1])
		if err != nil || k <= 0 || k > 100000 {
			return time.Time{}, fmt.Errorf("expiry %q: the number must be from 1 to 100000", s)
		}
		unit := map[byte]time.Duration{'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[n-1]]
		t = now.Add(time.Duration(k) * unit)
	} else if d, err := time.Parse(time.DateOnly, s); err == nil {
		t = d
	} else if d, err := time.Parse(time.RFC3339, s); err == nil {
		t = d
	} else {
		return time.Time{}, fmt.Errorf("expiry %q must be a lifetime such as 90d, 12h or 2w, a date such as 2027-01-01, or never", s)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("expiry %q is not in the future", s)
	}
	if t.Sub(now) > MaxLifetime {
		return time.Time{}, fmt.Errorf("expiry %q is more than ten years ahead; omit --expires for a token that does not expire", s)
	}
	return t.UTC(), nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
