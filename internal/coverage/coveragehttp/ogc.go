package coveragehttp

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/cql2"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/ogcapi"
)

// gapLayer describes the view park_coverage_gaps (migration 0009) for featureapi's SQL
// builder: read-only, one row per gap piece of a stored run.
func gapLayer() *layers.Layer {
	ro := func(name string, t layers.Type, zh, en string) layers.Attribute {
		return layers.Attribute{Name: name, Type: t, ReadOnly: true, Sortable: true, TitleZH: zh, TitleEN: en}
	}
	return &layers.Layer{
		ID: coverage.GapLayer, TitleZH: "公园绿地服务半径覆盖缺口", TitleEN: "Park service-radius coverage gaps", GeomType: "MultiPolygon",
		Attributes: []layers.Attribute{
			ro("id", layers.Integer, "编号", "ID"),
			ro("city_id", layers.Integer, "城市", "City"),
			ro("city", layers.String, "城市代码", "City slug"),
			ro("run_id", layers.Integer, "计算批次", "Coverage run"),
			ro("caliber_id", layers.String, "口径", "Caliber"),
			ro("method", layers.String, "距离方法", "Distance method"),
			ro("data_hash", layers.String, "数据版本", "Data version"),
			ro("computed_at", layers.Time, "计算时间", "Computed at"),
			ro("parcel_id", layers.Integer, "居住用地编号", "Residential parcel"),
			ro("area_m2", layers.Number, "未覆盖面积(m²)", "Uncovered area (m²)"),
			ro("population", layers.Number, "未覆盖人口", "Uncovered residents"),
		},
	}
}

// GapCollection is the gap layer as an OGC API – Features collection. Items are the gap
// pieces of the current runs: the caliber and method come from the filter's top-level
// equality conditions on caliber_id and method (as ?caliber_id=…&method=… or CQL2), by
// default each city's default caliber and its own method; city or city_id narrow it to one city. A
// filter naming run_id = n reads that stored run instead, current or not.
type GapCollection struct {
	Service *coverage.Service
	inner   ogcapi.LayerCollection
}

// NewGapCollection returns the collection reading through pool.
func NewGapCollection(ctx context.Context, pool *pgxpool.Pool, s *coverage.Service) (*GapCollection, error) {
	l := gapLayer()
	st, err := featureapi.NewStore(ctx, pool, layers.NewRegistry(l))
	if err != nil {
		return nil, err
	}
	return &GapCollection{Service: s, inner: ogcapi.LayerCollection{Store: st, Layer: l}}, nil
}

// Description implements ogcapi.Collection.
func (c *GapCollection) Description() ogcapi.Description {
	d := c.inner.Description()
	d.Description = "公园绿地服务半径覆盖缺口 — residential land outside every park's service area, " +
		"computed on the current data. Choose the caliber and method with caliber_id= and method= " +
		"(default: the city's default caliber, the caliber's own method); run_id= reads one stored run; " +
		"as_of= (a data edition of the city, a date or an instant) the gaps of the data as it stood then."
	d.AsOf = true
	return d
}

// conjuncts returns the top-level AND-ed terms of e.
func conjuncts(e cql2.Expr, out []cql2.Expr) []cql2.Expr {
	if a, ok := e.(cql2.And); ok {
		return conjuncts(a.R, conjuncts(a.L, out))
	}
	if e != nil {
		out = append(out, e)
	}
	return out
}

// Items implements ogcapi.Collection.
func (c *GapCollection) Items(ctx context.Context, q ogcapi.Query) (ogcapi.Page, error) {
	var cal, method, city string
	for _, t := range conjuncts(q.Filter, nil) {
		cmp, ok := t.(cql2.Compare)
		if !ok || cmp.Op != "=" {
			continue
		}
		switch cmp.Prop {
		case "run_id":
			if q.AsOf != "" {
				return ogcapi.Page{}, &ogcapi.InvalidError{Param: "as_of", Msg: "as_of chooses the run: it cannot be combined with run_id"}
			}
			return c.inner.Items(ctx, q) // one stored run, as asked
		case "caliber_id":
			cal = cmp.Value.Text
		case "method":
			method = cmp.Value.Text
		case "city", "city_id":
			city = cmp.Value.Text
		}
	}
	if method != "" {
		if err := coverage.CheckMethod(method); err != nil {
			return ogcapi.Page{}, &ogcapi.InvalidError{Param: "method", Msg: err.Error()}
		}
	}
	if cal != "" {
		if err := c.Service.CheckCaliber(cal); err != nil {
			return ogcapi.Page{}, &ogcapi.InvalidError{Param: "caliber_id", Msg: err.Error()}
		}
	}
	runs, err := c.Service.CurrentRuns(ctx, city, cal, method, q.AsOf)
	if err != nil {
		return ogcapi.Page{}, ogcapi.ComputedInvalid(err, map[string]string{"caliber": "caliber_id"})
	}
	q.AsOf = "" // the runs carry it; the stored gaps are read as they are
	in := cql2.In{Prop: "run_id"}
	for _, r := range runs {
		s := strconv.FormatInt(r.ID, 10)
		in.Values = append(in.Values, cql2.Literal{Kind: cql2.LitNumber, Text: s, Num: float64(r.ID)})
	}
	var restrict cql2.Expr = in
	if len(runs) == 0 {
		restrict = cql2.Compare{Prop: "run_id", Op: "=", Value: cql2.Literal{Kind: cql2.LitNumber, Text: "0", Num: 0}}
	}
	if q.Filter == nil {
		q.Filter = restrict
	} else {
		q.Filter = cql2.And{L: q.Filter, R: restrict}
	}
	return c.inner.Items(ctx, q)
}

// Extent implements ogcapi.Extenter: the residential parcels' box (every gap lies on
// residential land), so that a client zooms to the city before it reads a feature.
func (c *GapCollection) Extent(ctx context.Context) (ogcapi.Extent, error) {
	return residentialParcels(c.Service).Extent(ctx)
}

// ExtentLayers implements ogcapi.Extenter.
func (c *GapCollection) ExtentLayers() []string { return residentialParcels(c.Service).ExtentLayers() }

// Item implements ogcapi.Collection: any stored gap piece, with its run's caliber, method
// and data version among its properties.
func (c *GapCollection) Item(ctx context.Context, id string, o ogcapi.Output) (ogcapi.Feature, error) {
	return c.inner.Item(ctx, id, o)
}
