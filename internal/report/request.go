package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cityreach/cityreach/internal/fault"
)

// Levels a report can be made at, from the largest down.
var Levels = []string{"district", "subdistrict", "community"}

// Formats are the outputs a report can write.
var Formats = []string{"html", "pdf", "xlsx", "csv", "geojson", "gpkg"}

// Request says what to report.
type Request struct {
	City  string `json:"city"`
	Level string `json:"level"` // district, subdistrict or community; "" means district
	// Indicators are indicator keys (Keys()); "checks" stands for every check; empty means
	// every available indicator.
	Indicators []string `json:"indicators,omitempty"`
	// Caliber and Method of park coverage; "" means the city's default caliber and the
	// caliber's default method (coverage.Service.Validate). Build fills them in, so the
	// report states what it used.
	Caliber string `json:"caliber,omitempty"`
	Method  string `json:"method,omitempty"` // buffer or network
	// CaliberFrom and MethodFrom say where Build's caliber and method came from (set by
	// Build, never read from a request).
	CaliberFrom string   `json:"-"`
	MethodFrom  string   `json:"-"`
	Lang        string   `json:"lang,omitempty"`    // zh (default) or en
	Formats     []string `json:"formats,omitempty"` // subset of Formats; empty means all
	// AsOf, when set, is a data edition of the city, an RFC 3339 time or a date
	// (docs/editions.md): every section is computed on the data as it was then. Sections
	// with no past state (NoAsOf) are left out with a note, or refused when named.
	AsOf string `json:"as_of,omitempty"`
	// Scenario is accepted only to be refused: a report is of the current data or of an
	// edition, never of a what-if scenario.
	Scenario int64 `json:"scenario,omitempty"`
	// Omitted are the sections Normalize left out because they cannot be as of AsOf (set
	// by Normalize, never read from a request).
	Omitted []string `json:"-"`
}

// NoAsOf are the indicators that cannot be computed as of an edition: the capacity tables
// read the residents by age band, which have no past editions.
var NoAsOf = []string{"capacity"}

// Normalize validates r and fills its defaults; its errors are Invalid faults naming the
// parameter. avail is the list of indicators the running process can compute.
func (r *Request) Normalize(avail []string) error {
	if r.City == "" {
		return fault.Invalid("city is required").With("parameter", "city")
	}
	if r.Level == "" {
		r.Level = "district"
	}
	if !slices.Contains(Levels, r.Level) {
		return fault.Invalid(fmt.Sprintf("level must be one of %s", strings.Join(Levels, ", "))).With("parameter", "level")
	}
	if r.Lang == "" {
		r.Lang = "zh"
	}
	if r.Lang != "zh" && r.Lang != "en" {
		return fault.Invalid("lang must be zh or en").With("parameter", "lang")
	}
	if r.Method != "" && r.Method != "buffer" && r.Method != "network" {
		return fault.Invalid("method must be buffer or network").With("parameter", "method")
	}
	if r.Scenario != 0 {
		if r.AsOf != "" {
			return fault.Invalid("give scenario or as_of, not both: a scenario changes the current data").With("parameter", "as_of")
		}
		return fault.Invalid("a report is of the current data or of a data edition (as_of); it does not take a scenario").With("parameter", "scenario")
	}
	if len(r.AsOf) > 200 {
		return fault.Invalid("as_of is too long").With("parameter", "as_of")
	}
	want := map[string]bool{}
	for _, k := range r.Indicators {
		for _, k := range strings.Split(k, ",") {
			k = strings.TrimSpace(k)
			switch {
			case k == "":
			case k == "checks":
				for _, c := range checkKeys {
					want[c] = true
				}
			case k == "all":
				for _, c := range avail {
					want[c] = true
				}
			case slices.Contains(avail, k) && r.AsOf != "" && slices.Contains(NoAsOf, k):
				return fault.Invalid(fmt.Sprintf("indicator %q cannot be computed as of an edition (its inputs have no past editions); leave it out or omit as_of", k)).With("parameter", "indicators")
			case slices.Contains(avail, k):
				want[k] = true
			default:
				return fault.Invalid(fmt.Sprintf("unknown indicator %q; one of %s, checks, all", k, strings.Join(avail, ", "))).With("parameter", "indicators")
			}
		}
	}
	r.Indicators = r.Indicators[:0]
	r.Omitted = nil
	for _, k := range avail { // the registry's order, whatever order was asked
		if len(want) == 0 || want[k] {
			if r.AsOf != "" && slices.Contains(NoAsOf, k) {
				r.Omitted = append(r.Omitted, k)
				continue
			}
			r.Indicators = append(r.Indicators, k)
		}
	}
	if len(r.Formats) == 0 {
		r.Formats = append([]string(nil), Formats...)
	} else {
		var fs []string
		for _, f := range r.Formats {
			for _, f := range strings.Split(f, ",") {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				if !slices.Contains(Formats, f) {
					return fault.Invalid(fmt.Sprintf("unknown format %q; one of %s", f, strings.Join(Formats, ", "))).With("parameter", "formats")
				}
				if !slices.Contains(fs, f) {
					fs = append(fs, f)
				}
			}
		}
		r.Formats = fs
	}
	return nil
}

// wants reports whether the request asks for format f.
func (r *Request) wants(f string) bool { return slices.Contains(r.Formats, f) }
