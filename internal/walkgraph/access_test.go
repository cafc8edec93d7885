package walkgraph

import (
	"slices"
	"testing"

	"github.com/paulmach/orb"
	geos "github.com/twpayne/go-geos"
)

// TestParkAccessPoints works the rule by hand on a park, the square [0,100]×[0,100]:
//
//   - a path from (50, −10) to (50, 110) crosses it at (50, 0) and (50, 100), a street along
//     the boundary from (100, 20) to (100, 40) gives its two ends, a street at y = −15 (within
//     20 m) and a diagonal street 10 m off the corner (100, 100) give nothing: crossings win;
//   - without the path and the boundary street, the corner street x + y = 200 + 10√2 is
//     nearest the corner (100, 100) (10 m) and the street from (40, −30) to (40, −15) is
//     nearest (40, 0) (15 m); a street 25 m off, from (−25, 0) to (−25, 100), gives nothing;
//   - with only that far street: no access point.
func TestParkAccessPoints(t *testing.T) {
	c := geos.NewContext()
	park := orb.MultiPolygon{{{{0, 0}, {100, 0}, {100, 100}, {0, 100}, {0, 0}}}}
	const d = 14.142135623730951 // 10√2: the corner street passes 10 m from (100, 100)
	path := orb.LineString{{50, -10}, {50, 110}}
	along := orb.LineString{{100, 20}, {100, 40}}
	below := orb.LineString{{-50, -15}, {150, -15}}
	corner := orb.LineString{{200 + d - 150, 150}, {150, 200 + d - 150}}
	spur := orb.LineString{{40, -30}, {40, -15}}
	far := orb.LineString{{-25, 0}, {-25, 100}}
	for _, tc := range []struct {
		name  string
		edges []orb.LineString
		want  []orb.Point
	}{
		{"crossings", []orb.LineString{below, path, corner, along, far}, []orb.Point{{50, 0}, {50, 100}, {100, 20}, {100, 40}}},
		{"nearest within 20 m", []orb.LineString{corner, spur, far}, []orb.Point{{40, 0}, {100, 100}}},
		{"none", []orb.LineString{far}, nil},
	} {
		got, err := ParkAccessPoints(c, park, tc.edges)
		if err != nil {
			t.Fatal(err)
		}
		ok := len(got) == len(tc.want)
		for i := 0; ok && i < len(got); i++ {
			ok = abs(got[i][0]-tc.want[i][0]) < 1e-9 && abs(got[i][1]-tc.want[i][1]) < 1e-9
		}
		if !ok {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
		if !slices.IsSortedFunc(got, func(a, b orb.Point) int {
			if a[0] != b[0] {
				return cmpF(a[0], b[0])
			}
			return cmpF(a[1], b[1])
		}) {
			t.Errorf("%s: %v not sorted", tc.name, got)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
