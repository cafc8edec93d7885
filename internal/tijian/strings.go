package tijian

import "github.com/cityreach/cityreach/internal/report"

// itemEN are the English names of the complete-community items of checks' defaults
// (their Chinese labels come with the configuration).
var itemEN = map[string]string{
	"community_service": "community service station",
	"kindergarten":      "kindergarten",
	"nursery":           "nursery",
	"elderly_care":      "elderly service station",
	"clinic":            "community health station",
	"supermarket":       "supermarket",
	"post_express":      "post and parcel points",
	"other_outlets":     "daily outlets (convenience store, vegetables, canteen, pharmacy, repairs)",
	"activity_ground":   "public activity ground",
	"community_park":    "community garden ≥ 4000 m²",
	"service_floor":     "service floor ≥ 30 m² per 100 households",
}

// label is the label key in lang (internal/report/strings.go holds the words, as for the
// report, under "tj_" + key).
func label(lang, key string) string { return report.T(lang, "tj_"+key) }
