package walkhttp

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/cityreach/cityreach/internal/cql2"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/ogcapi"
	"github.com/cityreach/cityreach/internal/walk"
)

// ParcelCollectionID is the OGC API collection of the per-parcel living circle.
const ParcelCollectionID = "living_circle_parcels"

// ParcelCollection is the per-parcel living circle as a read-only OGC API – Features
// collection, computed on the current data like GET /api/v1/indicators/living-circle/parcels
// (the reach the indicator aggregates): one Point feature per residential parcel (its point
// on surface, where its walk starts) and facility category, its id "<parcel id>:<category
// code>", in parcel id order and, within a parcel, in the categories' order. category=
// keeps one category; city= may be left out when the database holds one city (QGIS and
// GDAL open a collection without parameters). Paged by a cursor on (parcel, category); its
// extent is the residential parcels' box.
type ParcelCollection struct {
	Service *walk.Service
}

// Description implements ogcapi.Collection.
func (c ParcelCollection) Description() ogcapi.Description {
	ro := ogcapi.ReadOnly
	return ogcapi.Description{
		ID: ParcelCollectionID, Title: "15-minute living circle by residential parcel", GeometryType: "Point",
		Description: "15分钟生活圈(逐居住用地) — each residential parcel's walking distance to the nearest facility " +
			"of each category and that facility, computed on the current network and data: one feature per parcel and " +
			"category, id \"<parcel id>:<category code>\". category= (a facility category code, e.g. kindergarten) keeps " +
			"one category; city= chooses the city (required when the database holds several; without it, the only city).",
		Properties: []layers.Attribute{
			ro("parcel_id", layers.Integer, "居住用地编号", "Residential parcel"),
			ro("city", layers.String, "城市代码", "City slug"),
			ro("category", layers.String, "设施类别", "Facility category"),
			ro("reach_m", layers.Number, "服务半径(m)", "Tier (m)"),
			ro("distance_m", layers.Number, "步行距离(m)", "Walking distance (m)"),
			ro("within", layers.Boolean, "在服务半径内", "Within the tier"),
			ro("facility_id", layers.Integer, "最近设施编号", "Nearest facility"),
			ro("facility_name", layers.String, "最近设施名称", "Nearest facility name"),
			ro("area_m2", layers.Number, "用地面积(m²)", "Parcel area (m²)"),
			ro("population", layers.Number, "人口", "Residents"),
			ro("attached", layers.Boolean, "接入路网", "Attached to the network"),
		},
		Keyset:    true,
		StringIDs: true,
	}
}

// FeatureID is the id of the feature of parcel id and category code: "<id>:<code>".
func FeatureID(parcel int64, category string) string {
	return strconv.FormatInt(parcel, 10) + ":" + category
}

// parseFeatureID reads a FeatureID; ok false when s is not one.
func parseFeatureID(s string) (parcel int64, category string, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || i == len(s)-1 {
		return 0, "", false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, "", false
	}
	return n, s[i+1:], true
}

// row is one feature: a parcel's figures for one category.
type row struct {
	p *walk.ParcelReach
	k int // in p.Categories
}

// rows is a page of features after the feature id after ("": from the first), at most
// limit of them, with the number of features in all and whether more follow.
type rows struct {
	page    *walk.ParcelPage
	rows    []row
	matched int64
	more    bool
}

// read computes the rows of the city and category of q (as city= and category= or CQL2)
// after the feature after, at most limit.
func (c ParcelCollection) read(ctx context.Context, q ogcapi.Query, after string, limit int) (*rows, error) {
	t, err := ogcapi.ComputedTerms(q, "city", "category")
	if err != nil {
		return nil, err
	}
	city, err := c.parcels().City(ctx, t["city"])
	if err != nil {
		return nil, err
	}
	pq := walk.ParcelQuery{Limit: min(limit+1, walk.MaxParcelPage)}
	if t["category"] != "" {
		pq.Categories = []string{t["category"]}
	}
	var afterParcel int64
	var afterCat string
	if after != "" {
		var ok bool
		if afterParcel, afterCat, ok = parseFeatureID(after); !ok {
			return nil, &ogcapi.InvalidError{Param: "cursor", Msg: "cursor is not one this service made: follow the next link as given"}
		}
		from := afterParcel - 1 // the page starts at the cursor's parcel, its later categories
		pq.After = &from
	}
	page, err := c.Service.LivingCircleParcels(ctx, city, walk.Options{}, pq)
	if err != nil {
		return nil, ogcapi.ComputedInvalid(err, nil)
	}
	out := &rows{page: page, matched: int64(page.Matched) * int64(len(page.Categories))}
	skip := -1 // categories of the cursor's parcel up to this index are on earlier pages
	if after != "" {
		for k, code := range page.Categories {
			if code == afterCat {
				skip = k
			}
		}
		if skip < 0 {
			return nil, &ogcapi.InvalidError{Param: "cursor", Msg: "the cursor names a category this request does not read"}
		}
	}
	for i := range page.Parcels {
		p := &page.Parcels[i]
		for k := range p.Categories {
			if p.ID == afterParcel && after != "" && k <= skip {
				continue
			}
			if len(out.rows) == limit {
				out.more = true
				return out, nil
			}
			out.rows = append(out.rows, row{p: p, k: k})
		}
	}
	out.more = page.Next != 0
	return out, nil
}

// features renders rows as features at the parcels' points on surface.
func (c ParcelCollection) features(ctx context.Context, rs *rows, out ogcapi.Output) ([]ogcapi.Feature, error) {
	pts := make([]orb.Geometry, len(rs.rows))
	for i, r := range rs.rows {
		pts[i] = orb.Point{r.p.X, r.p.Y}
	}
	geoms, err := c.Service.Store.ToLonLat(ctx, rs.page.City.MetricSRID, pts)
	if err != nil {
		return nil, err
	}
	type feature struct {
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	fc := struct {
		Features []feature `json:"features"`
	}{Features: make([]feature, len(rs.rows))}
	for i, r := range rs.rows {
		one := *r.p
		one.Categories = r.p.Categories[r.k : r.k+1]
		m := one.CategoryProperties()
		m["parcel_id"] = m["id"]
		delete(m, "id")
		m["city"] = rs.page.City.Slug
		fc.Features[i] = feature{ID: FeatureID(r.p.ID, one.Categories[0].Category), Geometry: geoms[i], Properties: m}
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return nil, err
	}
	return ogcapi.ComputedFeatures(b, out)
}

// Items implements ogcapi.Collection.
func (c ParcelCollection) Items(ctx context.Context, q ogcapi.Query) (ogcapi.Page, error) {
	rs, err := c.read(ctx, q, q.AfterID, min(q.Limit, walk.MaxParcelPage))
	if err != nil {
		return ogcapi.Page{}, err
	}
	fs, err := c.features(ctx, rs, q.Out)
	if err != nil {
		return ogcapi.Page{}, err
	}
	return ogcapi.Page{Matched: rs.matched, More: rs.more, Features: fs}, nil
}

// Item implements ogcapi.Collection: the feature "<parcel id>:<category code>", in the
// parcel's city.
func (c ParcelCollection) Item(ctx context.Context, id string, o ogcapi.Output) (ogcapi.Feature, error) {
	parcel, cat, ok := parseFeatureID(id)
	if !ok {
		return ogcapi.Feature{}, &ogcapi.InvalidError{Param: "featureId",
			Msg: "feature ids of this collection are \"<parcel id>:<category code>\", e.g. 12:kindergarten"}
	}
	city, err := c.Service.Store.ParcelCity(ctx, parcel)
	if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
		return ogcapi.Feature{}, ogcapi.ErrNotFound
	}
	if err != nil {
		return ogcapi.Feature{}, err
	}
	q := ogcapi.Query{Filter: cql2.And{L: equals("city", city.Slug), R: equals("category", cat)}, Out: o}
	// The first row after the parcel before it, in that one category.
	rs, err := c.read(ctx, q, FeatureID(parcel-1, cat), 1)
	var inv *ogcapi.InvalidError
	if errors.As(err, &inv) && inv.Param == "category" {
		return ogcapi.Feature{}, ogcapi.ErrNotFound // no such category, so no such feature
	}
	if err != nil {
		return ogcapi.Feature{}, err
	}
	if len(rs.rows) == 0 || rs.rows[0].p.ID != parcel {
		return ogcapi.Feature{}, ogcapi.ErrNotFound
	}
	fs, err := c.features(ctx, rs, o)
	if err != nil {
		return ogcapi.Feature{}, err
	}
	return fs[0], nil
}

func equals(prop, text string) cql2.Expr {
	return cql2.Compare{Prop: prop, Op: "=", Value: cql2.Literal{Kind: cql2.LitString, Text: text}}
}

// Extent implements ogcapi.Extenter: the box of every residential parcel (PostGIS's
// ST_Extent), which holds their points on surface; cached by the service until
// residential_land changes.
func (c ParcelCollection) Extent(ctx context.Context) (ogcapi.Extent, error) {
	return c.parcels().Extent(ctx)
}

// ExtentLayers implements ogcapi.Extenter.
func (c ParcelCollection) ExtentLayers() []string { return c.parcels().ExtentLayers() }

func (c ParcelCollection) parcels() ogcapi.ResidentialParcels {
	return ogcapi.ResidentialParcels{Pool: c.Service.Store.Pool}
}
