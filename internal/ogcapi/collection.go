package ogcapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/cql2"
	"github.com/cityreach/cityreach/internal/crs"
	"github.com/cityreach/cityreach/internal/layers"
)

// Collection is one feature collection of the service. Implementations must be safe for
// concurrent use. A Collection only answers checked queries: by the time Items is called,
// every property name in the Query is one of Description().Properties, the limit is
// within bounds and the CRSs are on the service's list.
type Collection interface {
	// Description is the collection's metadata; it must not change after registration.
	Description() Description
	// Items returns one page of the features matching q and how many match in all.
	Items(ctx context.Context, q Query) (Page, error)
	// Item returns the feature with the given id, ErrNotFound when there is none, or an
	// *InvalidError (parameter "featureId") when id is not an id of this collection at all.
	Item(ctx context.Context, id string, out Output) (Feature, error)
}

// Description is what /collections/{id} and the queryables say about a collection.
type Description struct {
	ID          string // URL name: lower-case letters, digits, _ and -
	Title       string
	Description string
	// GeometryType is the GeoJSON type of every geometry: Point, LineString, MultiPolygon…
	GeometryType string
	// Properties are the queryable, returnable properties in output order; Sortable marks
	// the sortby keys. Nothing else may be named in filter, sortby or properties.
	Properties []layers.Attribute
	// Temporal is set on versioned collections: datetime selects features by validity.
	Temporal *Temporal
	// Keyset says Items honours Query.After: feature ids are positive whole numbers (or,
	// with StringIDs, strings and Query.AfterID) and the default order is by id, so a next
	// link can carry a cursor instead of an offset.
	Keyset bool
	// StringIDs says, on a Keyset collection, that feature ids are JSON strings (a
	// composite key such as "<parcel id>:<category>"): the cursor carries the last id as
	// text in Query.AfterID, and the collection orders by its own key.
	StringIDs bool
	// AsOf says Items honours Query.AsOf: the collection can be read as it stood at an
	// edition or an instant (docs/editions.md).
	AsOf bool
}

// Extent is what a collection's data covers, computed from the data.
type Extent struct {
	// BBox is minLon, minLat, maxLon, maxLat in OGC:CRS84; nil when there are no features.
	BBox *[4]float64
	// Interval is the earliest start and the latest end of validity (RFC 3339 dates); ""
	// is an open end. Nil on collections that are not temporal.
	Interval *[2]string
}

// Extenter is a collection that can compute its extent. The service caches the answer
// until the collection's data changes (API.Changes).
type Extenter interface {
	Extent(ctx context.Context) (Extent, error)
	// ExtentLayers are the tables whose edits change the extent.
	ExtentLayers() []string
}

// Temporal names the properties holding a feature's validity [From, To); To is null while
// the feature is in force.
type Temporal struct{ From, To string }

// Property returns the property called name, or nil.
func (d *Description) Property(name string) *layers.Attribute {
	for i := range d.Properties {
		if d.Properties[i].Name == name {
			return &d.Properties[i]
		}
	}
	return nil
}

// Output says how features are written.
type Output struct {
	// CRS of the coordinates; OGC:CRS84 by default.
	CRS crs.CRS
	// LatLon swaps the coordinates to latitude first, as EPSG:4326 and EPSG:4490 define
	// their axes; set when the client asked for one of them explicitly.
	LatLon bool
	// Properties to include, nil for all, empty for none.
	Properties []string
}

// SortKey orders by one sortable property.
type SortKey struct {
	Prop string
	Desc bool
}

// Period is a date interval with optional (open) ends, both inclusive.
type Period struct{ From, To *time.Time }

// Query is a checked items request.
type Query struct {
	Limit  int
	Offset int64
	// After, when positive, asks for the features with an id above it, in id order (a
	// cursor; only on Keyset collections, never with Sort or Offset).
	After int64
	// AfterID is the cursor's last id as text on StringIDs collections ("" from the first
	// feature); After stays 0 there.
	AfterID string
	// Continued says the request follows a next link, whose first page gave the number
	// matched: a collection may leave Page.Matched at -1 rather than count again.
	Continued bool
	// BBox is minX, minY, maxX, maxY in BBoxCRS, x (longitude, easting) first.
	BBox    *[4]float64
	BBoxCRS crs.CRS
	// Filter is the CQL2 filter ANDed with the attribute equality parameters, with
	// literal geometries in FilterCRS, x first; nil when there is none.
	Filter    cql2.Expr
	FilterCRS crs.CRS
	Sort      []SortKey
	// Datetime selects, on temporal collections, features valid at some day of the period.
	Datetime *Period
	// AsOf is the as_of parameter as given (an edition name, a date or an RFC 3339
	// instant), "" for the current data; only on AsOf collections.
	AsOf string
	Out  Output
}

// Page is one page of items; Matched is -1 when it was not counted (Query.Continued).
type Page struct {
	Matched int64
	// More says features follow this page; Keyset collections set it, and their next
	// links depend on it rather than on Matched.
	More     bool
	Features []Feature
}

// Feature is one feature as serialised JSON pieces: the id (a JSON number or string),
// the geometry and the properties object; ETag is the strong entity tag of its version
// ("" for collections that keep none), sent as the ETag header of a single feature.
type Feature struct {
	ID         json.RawMessage
	Geometry   json.RawMessage
	Properties json.RawMessage
	ETag       string
}

// ErrNotFound means there is no feature with the id.
var ErrNotFound = errors.New("no such feature")

// InvalidError is a request the collection refuses: 400 naming the parameter.
type InvalidError struct {
	Param string
	Msg   string
}

func (e *InvalidError) Error() string { return e.Param + ": " + e.Msg }

// Catalog is the ordered set of collections. Register every collection before the
// server starts; the catalog is read-only while it serves.
type Catalog struct {
	byID  map[string]Collection
	order []string
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{byID: map[string]Collection{}} }

var collectionID = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// Register adds c; a second collection with the same id, or an id that is not a plain
// URL name, is an error.
func (c *Catalog) Register(col Collection) error {
	d := col.Description()
	if !collectionID.MatchString(d.ID) {
		return fmt.Errorf("ogcapi: collection id %q must match %s", d.ID, collectionID)
	}
	if _, dup := c.byID[d.ID]; dup {
		return fmt.Errorf("ogcapi: collection %q registered twice", d.ID)
	}
	for _, p := range d.Properties {
		if p.Name == "geometry" {
			return fmt.Errorf("ogcapi: collection %q: property name %q is reserved", d.ID, p.Name)
		}
	}
	c.byID[d.ID] = col
	c.order = append(c.order, d.ID)
	return nil
}

// Lookup returns the collection called id, or nil.
func (c *Catalog) Lookup(id string) Collection { return c.byID[id] }

// All returns the collections in registration order.
func (c *Catalog) All() []Collection {
	out := make([]Collection, len(c.order))
	for i, id := range c.order {
		out[i] = c.byID[id]
	}
	return out
}

// Resolver is the cql2.Resolver of a collection whose properties are columns of the same
// name and whose geometry is the column "geom" in EPSG:4326: the allow-list is d's
// properties, quoted with pgx.Identifier. SQL-backed collections outside the registry use
// it with cql2.ToSQL.
func Resolver(d *Description) cql2.Resolver { return resolver{d} }

type resolver struct{ d *Description }

func (r resolver) Property(name string) (string, layers.Type, bool) {
	a := r.d.Property(name)
	if a == nil {
		return "", "", false
	}
	return pgx.Identifier{a.Name}.Sanitize(), a.Type, true
}

func (r resolver) Geometry(name string) (string, bool) {
	if name == "geometry" || name == "geom" {
		return `"geom"`, true
	}
	return "", false
}
