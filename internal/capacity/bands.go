package capacity

import (
	"fmt"
	"regexp"
	"strconv"
)

// Band is one age band, [MinAge, MaxAge) in completed years; MaxAge 0 with Open set means
// no upper bound. Code is "min-max" or "min-" (the age_bands table).
type Band struct {
	Code   string `json:"code"`
	MinAge int    `json:"min_age"`
	MaxAge int    `json:"max_age,omitempty"`
	Open   bool   `json:"open,omitempty"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
}

var bandCode = regexp.MustCompile(`^([0-9]{1,3})-([0-9]{1,3})?$`)

// ParseBand reads a band code ("6-12", "80-") into its ages.
func ParseBand(code string) (Band, error) {
	m := bandCode.FindStringSubmatch(code)
	if m == nil {
		return Band{}, fmt.Errorf("band %q is not min-max or min- in years", clip(code))
	}
	b := Band{Code: code}
	b.MinAge, _ = strconv.Atoi(m[1])
	if m[2] == "" {
		b.Open = true
	} else {
		b.MaxAge, _ = strconv.Atoi(m[2])
		if b.MaxAge <= b.MinAge {
			return Band{}, fmt.Errorf("band %q ends before it starts", code)
		}
	}
	if b.Code != canonical(b) {
		return Band{}, fmt.Errorf("band %q: write it as %q", code, canonical(b))
	}
	return b, nil
}

func canonical(b Band) string {
	if b.Open {
		return strconv.Itoa(b.MinAge) + "-"
	}
	return strconv.Itoa(b.MinAge) + "-" + strconv.Itoa(b.MaxAge)
}

// clip shortens an echoed user value to at most 40 runes.
func clip(s string) string {
	r := []rune(s)
	if len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
