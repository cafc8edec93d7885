package walkhttp

import (
	"context"
	"errors"

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
// on surface, where its walk starts), its id the parcel's, for one category. city= and
// category= are required. Paged by cursor.
type ParcelCollection struct {
	Service *walk.Service
}

// Description implements ogcapi.Collection.
func (c ParcelCollection) Description() ogcapi.Description {
	ro := func(name string, t layers.Type, zh, en string) layers.Attribute {
		return layers.Attribute{Name: name, Type: t, ReadOnly: true, TitleZH: zh, TitleEN: en}
	}
	return ogcapi.Description{
		ID: ParcelCollectionID, Title: "15-minute living circle by residential parcel", GeometryType: "Point",
		Description: "15分钟生活圈(逐居住用地) — each residential parcel's walking distance to the nearest facility " +
			"of one category and that facility, computed on the current network and data. city= and category= " +
			"(a facility category code, e.g. kindergarten) are required.",
		Properties: []layers.Attribute{
			ro("id", layers.Integer, "居住用地编号", "Residential parcel"),
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
		Keyset: true,
	}
}

// page computes the page of q after after, at most limit parcels.
func (c ParcelCollection) page(ctx context.Context, q ogcapi.Query, after int64, limit int) (*walk.ParcelPage, error) {
	t, err := ogcapi.ComputedTerms(q, "city", "category")
	if err != nil {
		return nil, err
	}
	for _, p := range []string{"city", "category"} {
		if t[p] == "" {
			return nil, &ogcapi.InvalidError{Param: p, Msg: p + " is required (e.g. city=baotou&category=kindergarten)"}
		}
	}
	page, err := c.Service.LivingCircleParcels(ctx, t["city"], walk.Options{}, walk.ParcelQuery{Categories: []string{t["category"]}, After: &after, Limit: limit})
	var f *fault.Error
	if errors.As(err, &f) && f.Kind == fault.KindInvalid {
		p, _ := f.Extra["parameter"].(string)
		return nil, &ogcapi.InvalidError{Param: p, Msg: f.Detail}
	}
	return page, err
}

func (c ParcelCollection) features(ctx context.Context, page *walk.ParcelPage, out ogcapi.Output) ([]ogcapi.Feature, error) {
	b, err := c.Service.ParcelsGeoJSON(ctx, page, func(p *walk.ParcelReach) map[string]any {
		m := p.CategoryProperties()
		m["city"] = page.City.Slug
		return m
	})
	if err != nil {
		return nil, err
	}
	return ogcapi.ComputedFeatures(b, out)
}

// Items implements ogcapi.Collection.
func (c ParcelCollection) Items(ctx context.Context, q ogcapi.Query) (ogcapi.Page, error) {
	page, err := c.page(ctx, q, q.After, min(q.Limit, walk.MaxParcelPage))
	if err != nil {
		return ogcapi.Page{}, err
	}
	fs, err := c.features(ctx, page, q.Out)
	if err != nil {
		return ogcapi.Page{}, err
	}
	return ogcapi.Page{Matched: int64(page.Matched), More: page.Next != 0, Features: fs}, nil
}

// Item implements ogcapi.Collection. A single item has no category to answer for (the
// request carries no filter), so it is refused with a pointer to the items.
func (c ParcelCollection) Item(ctx context.Context, id string, o ogcapi.Output) (ogcapi.Feature, error) {
	if _, err := ogcapi.ComputedItemID(id); err != nil {
		return ogcapi.Feature{}, err
	}
	return ogcapi.Feature{}, &ogcapi.InvalidError{Param: "featureId",
		Msg: "a parcel of this collection is read among /items?city=…&category=…; a single item names no category"}
}
