package osmimport

import (
	"strings"

	"github.com/paulmach/osm"
)

// FacilityRule maps one OSM tag (Key=Value) to a facility category of the
// facility_categories vocabulary (standards.md §2). Rules are tried in the order of
// FacilityRules and the first match wins, so an object tagged both amenity=pharmacy and
// shop=chemist is counted once. docs/osm-mapping.md prints this table; a test keeps the
// two in step.
type FacilityRule struct {
	Key, Value string
	Category   string
}

// FacilityRules is the tag → category table. amenity=school is split by level in
// facilityCategory: isced:level or school:level naming 2 or 3 (lower/upper secondary)
// makes it a middle school, anything else a primary school.
var FacilityRules = []FacilityRule{
	{"amenity", "nursing_home", "elderly_care"},
	{"social_facility", "nursing_home", "elderly_care"},
	{"social_facility", "assisted_living", "elderly_care"},
	{"amenity", "clinic", "clinic"},
	{"amenity", "doctors", "clinic"},
	{"amenity", "hospital", "clinic"},
	{"healthcare", "clinic", "clinic"},
	{"healthcare", "doctor", "clinic"},
	{"healthcare", "centre", "clinic"},
	{"healthcare", "hospital", "clinic"},
	{"amenity", "pharmacy", "pharmacy"},
	{"healthcare", "pharmacy", "pharmacy"},
	{"amenity", "kindergarten", "kindergarten"},
	{"amenity", "childcare", "nursery"},
	{"amenity", "school", "primary_school"}, // or middle_school, see above
	{"amenity", "marketplace", "vegetable_market"},
	{"shop", "greengrocer", "vegetable_market"},
	{"shop", "supermarket", "supermarket"},
	{"shop", "convenience", "convenience_store"},
	{"shop", "bakery", "breakfast"},
	{"amenity", "post_office", "post_express"},
	{"amenity", "parcel_locker", "post_express"},
	{"shop", "hairdresser", "household_services"},
	{"shop", "laundry", "household_services"},
	{"shop", "dry_cleaning", "household_services"},
	{"amenity", "community_centre", "community_service"},
	{"amenity", "social_centre", "community_service"},
	{"amenity", "library", "culture"},
	{"amenity", "arts_centre", "culture"},
	{"amenity", "theatre", "culture"},
	{"leisure", "sports_centre", "sports"},
	{"leisure", "fitness_centre", "sports"},
	{"leisure", "fitness_station", "sports"},
	{"amenity", "canteen", "canteen"},
	{"highway", "bus_stop", "transit_stop"},
	{"amenity", "bus_station", "transit_stop"},
	{"railway", "station", "rail_station"},
	{"railway", "halt", "rail_station"},
	{"railway", "tram_stop", "rail_station"},
}

// facilityCategory returns the category of an object's tags, "" for none.
func facilityCategory(t osm.Tags) string {
	for _, r := range FacilityRules {
		if t.Find(r.Key) != r.Value {
			continue
		}
		if r.Category == "primary_school" && secondaryLevel(t) {
			return "middle_school"
		}
		return r.Category
	}
	return ""
}

func secondaryLevel(t osm.Tags) bool {
	for _, k := range []string{"isced:level", "school:level"} {
		v := strings.ToLower(t.Find(k))
		if strings.ContainsAny(v, "23") || strings.Contains(v, "secondary") || strings.Contains(v, "middle") {
			return true
		}
	}
	return false
}
