package coverage

import (
	"errors"
	"testing"

	"github.com/cityreach/cityreach/internal/fault"
)

var drawnSeeds = []string{
	``,
	`{"type":"FeatureCollection","features":[]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"东河口袋公园"},"geometry":{"type":"Polygon","coordinates":[[[109.8,40.6],[109.8003,40.6],[109.8003,40.6003],[109.8,40.6]]]}}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","properties":null,"geometry":{"type":"Point","coordinates":[109.8,40.6]}}]}`,
	`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[200,40.6],[109.8003,40.6],[109.8003,40.6003],[200,40.6]]]}}]}`,
	`{"type":"Feature"}`,
	`[1,2`,
}

// TestParseDrawn: the seeds' verdicts worked by hand.
func TestParseDrawn(t *testing.T) {
	for i, want := range []int{0, 0, 1, -1, -1, -1, -1} {
		got, err := ParseDrawn([]byte(drawnSeeds[i]))
		switch {
		case want < 0 && !isInvalid(err):
			t.Errorf("seed %d: %v, want an Invalid fault", i, err)
		case want >= 0 && (err != nil || len(got) != want):
			t.Errorf("seed %d: %d candidates, %v; want %d", i, len(got), err, want)
		}
	}
	if got, _ := ParseDrawn([]byte(drawnSeeds[2])); got[0].Name != "东河口袋公园" {
		t.Errorf("name %q", got[0].Name)
	}
}

// FuzzParseDrawn: any body gives candidates or an Invalid fault, never a panic, and every
// candidate's geometry is a Polygon that parses again.
func FuzzParseDrawn(f *testing.F) {
	for _, s := range drawnSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseDrawn(b)
		if err != nil {
			if !isInvalid(err) {
				t.Fatalf("%v is not an Invalid fault", err)
			}
			return
		}
		if len(got) > MaxDrawnSites {
			t.Fatalf("%d candidates", len(got))
		}
	})
}

func isInvalid(err error) bool {
	var fe *fault.Error
	return errors.As(err, &fe) && fe.Kind == fault.KindInvalid
}
