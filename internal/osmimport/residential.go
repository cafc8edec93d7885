package osmimport

import (
	"strconv"
	"strings"

	"github.com/paulmach/osm"
)

// nonResidentialBuildings are building values that house nobody; their floor area does
// not count towards the population of the residential land around them.
var nonResidentialBuildings = set("commercial", "industrial", "retail", "office", "warehouse",
	"church", "chapel", "cathedral", "mosque", "temple", "synagogue", "religious", "school",
	"university", "college", "kindergarten", "hospital", "public", "civic", "government",
	"garage", "garages", "carport", "shed", "roof", "parking", "kiosk", "service",
	"transformer_tower", "hangar", "train_station", "transportation", "sports_hall", "stadium", "no")

func isResidentialLand(t osm.Tags) bool { return t.Find("landuse") == "residential" }

// isDwelling reports whether a building counts for population.
func isDwelling(t osm.Tags) bool {
	b := t.Find("building")
	return b != "" && !nonResidentialBuildings[b]
}

// levels returns building:levels (the floors above ground) when it is a positive
// number, else def. "3;4" or "3-4" take the first number.
func levels(t osm.Tags, def float64) float64 {
	v := strings.TrimSpace(t.Find("building:levels"))
	if i := strings.IndexAny(v, ";-,"); i > 0 {
		v = v[:i]
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 1 && n < 200 {
		return n
	}
	return def
}
