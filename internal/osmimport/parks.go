package osmimport

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb/geo"
	"github.com/paulmach/osm"

	"github.com/cityreach/cityreach/internal/openness"
)

// parkKinds are the leisure values imported as parks (docs/osm-mapping.md).
var parkKinds = set("park", "garden", "playground", "dog_park")

func isPark(t osm.Tags) bool { return parkKinds[t.Find("leisure")] || t.Find("place") == "square" }

// Park class thresholds, CJJ/T 85-2017 (standards.md §1): 综合公园 over 10 ha, 社区公园
// over 1 ha, smaller parks are 游园. 口袋公园 (pocket parks) are 游园 of 400–10 000 m², the
// range of the 住建部 2022 pocket-park notice.
const (
	comprehensiveMinM2 = 100_000
	communityMinM2     = 10_000
	pocketMinM2        = 400
	pocketMaxM2        = 10_000
)

// parkClass returns the park_class, pocket flag and open_status of a park polygon of
// areaM2 square metres (geodesic) with tags t.
func parkClass(t osm.Tags, areaM2 float64) (class string, pocket bool, open string) {
	open = "open"
	switch t.Find("access") {
	case "private", "no":
		open = "closed"
	case "customers", "permit", "destination":
		open = "shared"
	}
	switch {
	case t.Find("place") == "square":
		return "square", false, open
	case t.Find("leisure") == "dog_park", t.Find("garden:type") == "botanical":
		return "specialized", false, open
	case t.Find("leisure") == "park" && areaM2 > comprehensiveMinM2:
		class = "comprehensive"
	case t.Find("leisure") == "park" && areaM2 > communityMinM2:
		class = "community"
	default:
		class = "garden"
		pocket = areaM2 >= pocketMinM2 && areaM2 < pocketMaxM2
	}
	return class, pocket, open
}

// parkName is the name tag, else name:zh, else name:en, else a label with the OSM id.
func parkName(a area) string {
	for _, k := range []string{"name", "name:zh", "name:en"} {
		if v := a.Tags.Find(k); v != "" {
			return v
		}
	}
	kind := a.Tags.Find("leisure")
	if kind == "" {
		kind = "square"
	}
	return "unnamed " + kind + " (OSM " + a.Ref + ")"
}

// geodesicArea is the area of an assembled polygon in m² on the spheroid approximation of
// orb/geo, good to well under 1 % at park sizes: enough to pick a class.
func geodesicArea(a area) float64 { return geo.Area(a.Geom) }

// parkKind is the leisure value of a park, or "square" for place=square.
func parkKind(t osm.Tags) string {
	if k := t.Find("leisure"); parkKinds[k] {
		return k
	}
	return "square"
}

// parkHours maps a park's opening_hours tag to parks.open_hours: the value when it is in
// the subset cityreach reads (internal/openness: 24/7, off, HH:MM-HH:MM,…), else "" (no
// hours: always open) and a note in the report, since a park mapped with day-by-day hours
// (Mo-Fr …) is open on some day at those times.
func parkHours(t osm.Tags, note func(reason string)) string {
	v := strings.TrimSpace(t.Find("opening_hours"))
	if v == "" {
		return ""
	}
	h, err := openness.Parse(v)
	if err != nil {
		note(fmt.Sprintf("opening_hours %q is outside the supported subset and is left out (%v)", clipTag(v), err))
		return ""
	}
	return h.String()
}

func clipTag(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
