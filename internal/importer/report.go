package importer

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// ErrRefused is wrapped by the error Import returns when at least one feature is invalid
// and Options.SkipInvalid is off: nothing was written, the Report says why.
var ErrRefused = errors.New("import refused: invalid features, nothing was written")

// Rejection is one feature that was not imported, and why.
type Rejection struct {
	Index  int    `json:"index"`        // position in the file, from 0 (-1: outside any feature)
	ID     string `json:"id,omitempty"` // the feature's id in the file
	Stage  string `json:"stage"`        // read, geometry, attributes, database, key
	Reason string `json:"reason"`
}

// PreviewRow is one mapped feature as it would be written.
type PreviewRow struct {
	Index    int            `json:"index"`
	ID       string         `json:"id,omitempty"`
	Geometry string         `json:"geometry"` // the geometry type after fitting
	Values   map[string]any `json:"values"`
}

// Report says what an import did (or, for a dry run or a refused import, would have done).
type Report struct {
	Layer         string            `json:"layer"`
	City          string            `json:"city"`
	Format        string            `json:"format"`
	CRS           []string          `json:"crs"` // source CRSs met, e.g. ["EPSG:4546"]
	DataSource    string            `json:"data_source"`
	DryRun        bool              `json:"dry_run"`
	Committed     bool              `json:"committed"`
	Read          int               `json:"read"`
	Inserted      int               `json:"inserted"`
	Updated       int               `json:"updated"`
	Unchanged     int               `json:"unchanged"`
	Rejected      []Rejection       `json:"rejected"`
	Mapping       map[string]string `json:"mapping"`            // attribute → file field or =constant
	IgnoredFields []string          `json:"ignored_fields"`     // file fields no attribute takes
	Warnings      []string          `json:"warnings,omitempty"` // doubts that did not stop the import (a .cpg that may be wrong)
	Preview       []PreviewRow      `json:"preview,omitempty"`
	Seconds       float64           `json:"seconds"`
	PerSecond     float64           `json:"features_per_second"`
}

func (r *Report) reject(idx int, id, stage, reason string) {
	r.Rejected = append(r.Rejected, Rejection{Index: idx, ID: id, Stage: stage, Reason: reason})
}

func (r *Report) finish(start time.Time) {
	sort.SliceStable(r.Rejected, func(i, j int) bool { return r.Rejected[i].Index < r.Rejected[j].Index })
	r.Seconds = time.Since(start).Seconds()
	if r.Seconds > 0 {
		r.PerSecond = float64(r.Read) / r.Seconds
	}
}

// WriteText prints the report for a terminal: the outcome, counts, the mapping, every
// rejected feature and the preview rows.
func (r *Report) WriteText(w io.Writer) {
	outcome := "committed"
	switch {
	case r.DryRun:
		outcome = "dry run, nothing written"
	case !r.Committed:
		outcome = "refused, nothing written"
	}
	fmt.Fprintf(w, "import %s into %s (city %s): %s\n", r.Format, r.Layer, r.City, outcome)
	fmt.Fprintf(w, "  source CRS: %s; data_source: %s\n", strings.Join(r.CRS, ", "), r.DataSource)
	fmt.Fprintf(w, "  read %d, inserted %d, updated %d, unchanged %d, rejected %d (%.1f s, %.0f features/s)\n",
		r.Read, r.Inserted, r.Updated, r.Unchanged, len(r.Rejected), r.Seconds, r.PerSecond)
	keys := make([]string, 0, len(r.Mapping))
	for k := range r.Mapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "  mapping:")
	for _, k := range keys {
		fmt.Fprintf(w, "    %-16s ← %s\n", k, r.Mapping[k])
	}
	if len(r.IgnoredFields) > 0 {
		fmt.Fprintf(w, "  file fields not imported: %s\n", strings.Join(r.IgnoredFields, ", "))
	}
	for _, msg := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", msg)
	}
	for _, x := range r.Rejected {
		id := ""
		if x.ID != "" {
			id = fmt.Sprintf(" id %q", x.ID)
		}
		fmt.Fprintf(w, "  rejected feature %d%s [%s]: %s\n", x.Index, id, x.Stage, x.Reason)
	}
	for _, p := range r.Preview {
		keys := make([]string, 0, len(p.Values))
		for k := range p.Values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s=%v", k, p.Values[k]))
		}
		fmt.Fprintf(w, "  row %d (%s): %s\n", p.Index, p.Geometry, strings.Join(parts, " "))
	}
}
