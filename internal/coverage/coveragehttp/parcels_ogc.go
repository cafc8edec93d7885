package coveragehttp

import (
	"context"
	"errors"

	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/cql2"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/ogcapi"
)

// ParcelCollectionID is the OGC API collection of the per-parcel park coverage.
const ParcelCollectionID = "park_coverage_parcels"

// ParcelCollection is the per-parcel park coverage as a read-only OGC API – Features
// collection, computed on the current data like GET /api/v1/indicators/park-coverage/parcels
// (the same result, behind the indicator's stored run): one MultiPolygon feature per
// residential parcel, its id the parcel's. city= may be left out when the database holds
// one city (QGIS and GDAL open a collection without parameters); caliber_id= and method=
// default as the indicator's (the city's default caliber, its method). Paged by cursor; its
// extent is the residential parcels' box.
type ParcelCollection struct {
	Service *coverage.Service
}

// Description implements ogcapi.Collection.
func (c ParcelCollection) Description() ogcapi.Description {
	ro := ogcapi.ReadOnly
	return ogcapi.Description{
		ID: ParcelCollectionID, Title: "Park service-radius coverage by residential parcel", GeometryType: "MultiPolygon",
		Description: "公园绿地服务半径覆盖(逐居住用地) — each residential parcel's area within a counted park's " +
			"service area, computed on the current data. city= chooses the city (required when the database holds several; " +
			"without it, the only city); caliber_id= and method= choose the " +
			"caliber and method (default: the city's default caliber, the caliber's own method).",
		Properties: []layers.Attribute{
			ro("id", layers.Integer, "居住用地编号", "Residential parcel"),
			ro("city", layers.String, "城市代码", "City slug"),
			ro("caliber_id", layers.String, "口径", "Caliber"),
			ro("method", layers.String, "距离方法", "Distance method"),
			ro("area_m2", layers.Number, "用地面积(m²)", "Parcel area (m²)"),
			ro("covered_m2", layers.Number, "覆盖面积(m²)", "Covered area (m²)"),
			ro("share", layers.Number, "覆盖比例", "Covered share"),
			ro("population", layers.Number, "人口", "Residents"),
			ro("covered_population", layers.Number, "覆盖人口", "Residents covered"),
		},
		Keyset: true,
	}
}

// page computes the page of q after after, at most limit parcels.
func (c ParcelCollection) page(ctx context.Context, q ogcapi.Query, after int64, limit int) (*coverage.ParcelPage, error) {
	t, err := ogcapi.ComputedTerms(q, "city", "caliber_id", "method")
	if err != nil {
		return nil, err
	}
	city, err := c.parcels().City(ctx, t["city"])
	if err != nil {
		return nil, err
	}
	cq := coverage.Query{City: city, Caliber: t["caliber_id"], Method: t["method"]}
	res, _, err := c.Service.ParcelResult(ctx, cq)
	if err != nil {
		return nil, ogcapi.ComputedInvalid(err, map[string]string{"caliber": "caliber_id"})
	}
	return res.Parcels(&after, limit)
}

// Items implements ogcapi.Collection.
func (c ParcelCollection) Items(ctx context.Context, q ogcapi.Query) (ogcapi.Page, error) {
	limit := min(q.Limit, coverage.MaxParcelPage)
	page, err := c.page(ctx, q, q.After, limit)
	if err != nil {
		return ogcapi.Page{}, err
	}
	fs, err := c.features(ctx, page, q.Out)
	if err != nil {
		return ogcapi.Page{}, err
	}
	return ogcapi.Page{Matched: int64(page.Matched), More: page.Next != 0, Features: fs}, nil
}

func (c ParcelCollection) features(ctx context.Context, page *coverage.ParcelPage, out ogcapi.Output) ([]ogcapi.Feature, error) {
	b, err := c.Service.Store.ParcelsGeoJSON(ctx, page)
	if err != nil {
		return nil, err
	}
	return ogcapi.ComputedFeatures(b, out)
}

// Item implements ogcapi.Collection: the parcel of that id under its city's default caliber
// and that caliber's method.
func (c ParcelCollection) Item(ctx context.Context, id string, o ogcapi.Output) (ogcapi.Feature, error) {
	n, err := ogcapi.ComputedItemID(id)
	if err != nil {
		return ogcapi.Feature{}, err
	}
	city, err := c.Service.Store.ParcelCity(ctx, n)
	if errors.Is(err, coverage.ErrCityNotFound) {
		return ogcapi.Feature{}, ogcapi.ErrNotFound
	}
	if err != nil {
		return ogcapi.Feature{}, err
	}
	q := ogcapi.Query{Filter: cql2.Compare{Prop: "city", Op: "=", Value: cql2.Literal{Kind: cql2.LitString, Text: city}}, Out: o}
	page, err := c.page(ctx, q, n-1, 1)
	if err != nil {
		return ogcapi.Feature{}, err
	}
	if len(page.Parcels) == 0 || page.Parcels[0].ID != n {
		return ogcapi.Feature{}, ogcapi.ErrNotFound
	}
	fs, err := c.features(ctx, page, o)
	if err != nil {
		return ogcapi.Feature{}, err
	}
	return fs[0], nil
}

// Extent implements ogcapi.Extenter: the box of every residential parcel (PostGIS's
// ST_Extent), cached by the service until residential_land changes.
func (c ParcelCollection) Extent(ctx context.Context) (ogcapi.Extent, error) {
	return c.parcels().Extent(ctx)
}

// ExtentLayers implements ogcapi.Extenter.
func (c ParcelCollection) ExtentLayers() []string { return c.parcels().ExtentLayers() }

func (c ParcelCollection) parcels() ogcapi.ResidentialParcels {
	return residentialParcels(c.Service)
}

func residentialParcels(s *coverage.Service) ogcapi.ResidentialParcels {
	return ogcapi.ResidentialParcels{Pool: s.Store.Pool}
}
