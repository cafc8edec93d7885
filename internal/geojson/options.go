package geojson

// Defaults that apply when an Options field is zero. They suit one feature
// posted to the REST API; importers of whole files raise MaxBytes.
const (
	// DefaultMaxBytes is the default input size limit, 16 MiB.
	DefaultMaxBytes = 16 << 20
	// DefaultMaxDepth is the default nesting limit of JSON arrays and objects.
	// A MultiPolygon inside a FeatureCollection needs 8 levels.
	DefaultMaxDepth = 32
	// DefaultMaxCoordinates is the default limit on positions per feature.
	DefaultMaxCoordinates = 1_000_000
)

// Options bounds what the decoder accepts. The zero value is ready to use and
// applies the defaults above without range checks.
type Options struct {
	// MaxBytes is the largest input accepted, in bytes; 0 means
	// DefaultMaxBytes and a negative value means no limit (for trusted
	// imports that stream with StreamFeatureCollection).
	MaxBytes int64
	// MaxDepth is the deepest nesting of JSON arrays and objects accepted,
	// counting the outermost object as 1, in geometry and properties alike;
	// 0 or a negative value means DefaultMaxDepth (there is no "unlimited",
	// because the decoder recurses once per level).
	MaxDepth int
	// MaxCoordinates is the largest number of positions accepted in one
	// feature's geometry; 0 means DefaultMaxCoordinates and a negative value
	// means no limit.
	MaxCoordinates int
	// GeographicRange checks that longitudes lie in [-180, 180] and latitudes
	// in [-90, 90] when the feature's CRS is geographic: always without a
	// legacy "crs" member, and when it names CRS84, EPSG:4326, EPSG:4490 or
	// GCJ-02. Projected CRSs (metres) are not range-checked.
	GeographicRange bool
	// RejectGeometryCollection makes a GeometryCollection an error, for
	// endpoints whose layers hold a single geometry type.
	RejectGeometryCollection bool
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes == 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

func (o Options) maxDepth() int {
	if o.MaxDepth <= 0 {
		return DefaultMaxDepth
	}
	return o.MaxDepth
}

func (o Options) maxCoordinates() int {
	if o.MaxCoordinates == 0 {
		return DefaultMaxCoordinates
	}
	return o.MaxCoordinates
}
