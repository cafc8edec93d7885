package scenario

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/fault"
)

// Scenario is a named set of changes over one city's baseline.
type Scenario struct {
	ID          int64      `json:"id"`
	City        string     `json:"city"`
	CityID      int        `json:"-"`
	MetricSRID  int        `json:"-"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Owner       string     `json:"owner"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	PromotedAt  *time.Time `json:"promoted_at,omitempty"`
	PromotedBy  *string    `json:"promoted_by,omitempty"`
	// Changes in order; set by Get, empty in lists.
	Changes []Change `json:"changes,omitempty"`
	// NChanges is the number of changes.
	NChanges int `json:"n_changes"`
}

// The operations of a change.
const (
	OpAdd    = "add"
	OpModify = "modify"
	OpDelete = "delete"
)

// Layers lists the layers a scenario may change.
var Layers = []string{"parks", "park_entrances", "facilities", "residential_land", "network_edges", "eco_corridors", "growth_boundaries"}

func knownLayer(id string) bool {
	for _, l := range Layers {
		if l == id {
			return true
		}
	}
	return false
}

// Change is one edit of a scenario. Target names the baseline feature of a modify or
// delete, or, when negative, the feature added by change -Target of the same scenario; an
// added feature is known to overlays by the id -N.
type Change struct {
	N             int            `json:"n"`
	Layer         string         `json:"layer"`
	Op            string         `json:"op"`
	Target        int64          `json:"target_id,omitempty"`
	TargetVersion *int32         `json:"target_version,omitempty"`
	Properties    map[string]any `json:"properties,omitempty"`
	// Resolved holds every writable property of the feature once the change applies.
	Resolved map[string]any `json:"resolved,omitempty"`
	// Geometry is the GeoJSON geometry as given (EPSG:4326); absent when a modify keeps it.
	Geometry json.RawMessage `json:"geometry,omitempty"`
	// Entrances are the recorded entrances given with a park (GeoJSON MultiPoint).
	Entrances json.RawMessage `json:"entrances,omitempty"`

	// Metric geometry of the feature once the change applies, its area (m²) or length (m)
	// as the baseline table computes them, and the metric entrances.
	GeomM      orb.Geometry `json:"-"`
	Measure    float64      `json:"-"`
	EntrancesM []orb.Point  `json:"-"`
	// HasEntrances is true when the change gives entrances (possibly none).
	HasEntrances bool `json:"-"`
}

// FeatureID is the id overlays know the changed feature by.
func (c Change) FeatureID() int64 {
	if c.Op == OpAdd {
		return -int64(c.N)
	}
	return c.Target
}

// ChangeInput is the body of POST /scenarios/{id}/changes.
type ChangeInput struct {
	Layer  string `json:"layer"`
	Op     string `json:"op"`
	Target int64  `json:"target_id,omitempty"`
	// Feature is a GeoJSON Feature (EPSG:4326). For add: geometry and the layer's required
	// properties. For modify: the properties to change and/or a new geometry (a null
	// geometry keeps the feature's own). Absent for delete.
	Feature json.RawMessage `json:"feature,omitempty"`
	// Entrances (parks only): a GeoJSON MultiPoint of recorded entrances, replacing the
	// park's own.
	Entrances json.RawMessage `json:"entrances,omitempty"`
}

// ParseID reads a scenario id (the path segment or the scenario= parameter).
func ParseID(name, v string) (int64, error) {
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.Invalid(name+" must be a scenario id (a positive integer)").With("parameter", name)
	}
	return id, nil
}
