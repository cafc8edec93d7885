package ogcapi

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/cql2"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/featureapi"
	"github.com/cityreach/cityreach/internal/layers"
)

// LayerCollection serves a registry layer through featureapi.Store, which builds the SQL:
// this type only translates the checked Query into a featureapi.ListQuery.
type LayerCollection struct {
	Store *featureapi.Store
	Layer *layers.Layer
	// Pool, when set, resolves as_of (the city and its editions): the collection can then
	// be read as it stood at an edition or an instant.
	Pool *pgxpool.Pool
}

// Description implements Collection.
func (c LayerCollection) Description() Description {
	l := c.Layer
	d := Description{
		ID:           l.ID,
		Title:        l.TitleEN,
		Description:  l.TitleZH + " — " + l.TitleEN,
		GeometryType: l.GeomType,
		Properties:   l.Attributes,
		Keyset:       true,
		AsOf:         c.Pool != nil,
	}
	if l.ValidFrom != "" {
		d.Temporal = &Temporal{From: l.ValidFrom, To: l.ValidTo}
	}
	return d
}

// Items implements Collection.
func (c LayerCollection) Items(ctx context.Context, q Query) (Page, error) {
	lq := featureapi.ListQuery{
		BBox:       q.BBox,
		BBoxSRID:   q.BBoxCRS.SRID(),
		CQL:        q.Filter,
		CQLSRID:    q.FilterCRS.SRID(),
		Limit:      q.Limit,
		Offset:     q.Offset,
		AfterID:    q.After,
		SkipCount:  q.Continued,
		OutSRID:    q.Out.CRS.SRID(),
		LatLon:     q.Out.LatLon,
		Properties: q.Out.Properties,
	}
	for _, k := range q.Sort {
		lq.Sort = append(lq.Sort, featureapi.SortKey{Attr: k.Prop, Desc: k.Desc})
	}
	if q.Datetime != nil {
		lq.Period = &featureapi.Period{From: q.Datetime.From, To: q.Datetime.To}
	}
	if err := c.checkWidths(q.Filter); err != nil {
		return Page{}, err
	}
	if q.AsOf != "" {
		at, err := c.asOf(ctx, q)
		if err != nil {
			return Page{}, err
		}
		lq.AsOf = at
	}
	lq.Limit++ // one more than asked tells whether a next page exists
	p, err := c.Store.List(ctx, c.Layer, lq)
	if err != nil {
		return Page{}, dataError(err)
	}
	more := len(p.Rows) > q.Limit
	if more {
		p.Rows = p.Rows[:q.Limit]
	}
	out := Page{Matched: p.Matched, More: more, Features: make([]Feature, len(p.Rows))}
	for i, r := range p.Rows {
		out.Features[i] = rowFeature(r)
	}
	return out, nil
}

// asOf resolves q.AsOf in the city the request names by a top-level city_id=N term (the
// attribute parameter or an AND-ed filter term), or in the database's only city, through
// the one resolver the tiles use too (edition.Store.ResolvePast): its refusals name
// city_id where the tiles' name city.
func (c LayerCollection) asOf(ctx context.Context, q Query) (*featureapi.AsOf, error) {
	id := 0
	var walk func(e cql2.Expr)
	walk = func(e cql2.Expr) {
		switch x := e.(type) {
		case cql2.And:
			walk(x.L)
			walk(x.R)
		case cql2.Compare:
			if x.Prop == "city_id" && x.Op == "=" && x.Value.Kind == cql2.LitNumber && x.Value.Num == math.Trunc(x.Value.Num) && x.Value.Num > 0 && x.Value.Num <= math.MaxInt32 {
				id = int(x.Value.Num)
			}
		}
	}
	if q.Filter != nil {
		walk(q.Filter)
	}
	city := ""
	if id != 0 {
		city = strconv.Itoa(id)
	}
	p, err := edition.Store{Pool: c.Pool}.ResolvePast(ctx, "as_of", q.AsOf, "city_id", city)
	if err != nil {
		return nil, ComputedInvalid(err, nil)
	}
	return &featureapi.AsOf{CityID: p.CityID, At: p.At}, nil
}

// Item implements Collection: ids are positive whole numbers.
func (c LayerCollection) Item(ctx context.Context, id string, o Output) (Feature, error) {
	n, err := c.featureID(id)
	if err != nil {
		return Feature{}, err
	}
	r, err := c.Store.GetShaped(ctx, c.Layer, n, featureapi.Shape{OutSRID: o.CRS.SRID(), LatLon: o.LatLon, Properties: o.Properties})
	if errors.Is(err, featureapi.ErrNotFound) {
		return Feature{}, ErrNotFound
	}
	if err != nil {
		return Feature{}, dataError(err)
	}
	return rowFeature(r), nil
}

// checkWidths refuses integer literals that the property's column cannot hold (an int4
// population compared with 1e11), which the translator, knowing only "integer", passes.
func (c LayerCollection) checkWidths(e cql2.Expr) error {
	fits := func(prop string, lits ...cql2.Literal) error {
		var lo, hi int64
		switch c.Store.ColumnType(c.Layer, prop) {
		case "int2":
			lo, hi = math.MinInt16, math.MaxInt16
		case "int4":
			lo, hi = math.MinInt32, math.MaxInt32
		default:
			return nil
		}
		for _, l := range lits {
			if l.Kind == cql2.LitNumber && (l.Num < float64(lo) || l.Num > float64(hi)) {
				return &InvalidError{Param: "filter", Msg: "property " + prop + " holds whole numbers from " + strconv.FormatInt(lo, 10) + " to " + strconv.FormatInt(hi, 10) + "; " + l.Text + " is out of range"}
			}
		}
		return nil
	}
	switch x := e.(type) {
	case cql2.And:
		if err := c.checkWidths(x.L); err != nil {
			return err
		}
		return c.checkWidths(x.R)
	case cql2.Or:
		if err := c.checkWidths(x.L); err != nil {
			return err
		}
		return c.checkWidths(x.R)
	case cql2.Not:
		return c.checkWidths(x.X)
	case cql2.Compare:
		return fits(x.Prop, x.Value)
	case cql2.In:
		return fits(x.Prop, x.Values...)
	case cql2.Between:
		return fits(x.Prop, x.Lo, x.Hi)
	}
	return nil
}

func rowFeature(r featureapi.Row) Feature {
	return Feature{ID: json.RawMessage(strconv.FormatInt(r.ID, 10)), Geometry: r.Geometry, Properties: r.Properties, ETag: featureapi.ETag(r.Version)}
}

// Write implements Writer through featureapi.Store.Edit, the write path of /api/v1/layers:
// the same validation, constraint names, version check and history. If-Match is optional
// here (an absent one writes unconditionally, as QGIS sends none); a top-level id in a new
// feature is ignored (Part 4 lets the server assign ids).
func (c LayerCollection) Write(ctx context.Context, w Write) (Feature, error) {
	e := featureapi.Edit{Body: w.Body, CRS: w.CRS, LatLon: w.LatLon, IgnoreBodyID: true, Actor: w.Actor, OutSRID: 4326}
	switch w.Op {
	case Create:
		e.Op = featureapi.OpCreate
	case Replace:
		e.Op = featureapi.OpReplace
	case Update:
		e.Op = featureapi.OpPatch
	case Delete:
		e.Op = featureapi.OpDelete
	}
	if w.Op != Create {
		n, err := c.featureID(w.ID)
		if err != nil {
			return Feature{}, err
		}
		e.ID = n
		if e.Versions, err = featureapi.IfMatch(w.IfMatch, false); err != nil {
			return Feature{}, err
		}
	}
	res, err := c.Store.Edit(ctx, c.Layer, e)
	if err != nil || w.Op == Delete {
		return Feature{}, err
	}
	return rowFeature(res.Row), nil
}

// featureID reads a featureId: ids of layers are positive whole numbers.
func (c LayerCollection) featureID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 1 {
		return 0, &InvalidError{Param: "featureId", Msg: "feature ids of " + c.Layer.ID + " are positive whole numbers"}
	}
	return n, nil
}

// dataError turns a PostgreSQL data exception (class 22: a filter value the column cannot
// hold, such as 1e12 for an int4, or a date out of range) into a 400 on the filter; the
// parser has already refused everything it can see without the column types.
func dataError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && len(pe.Code) == 5 && pe.Code[:2] == "22" {
		return &InvalidError{Param: "filter", Msg: "a value in the filter does not fit its property: " + pe.Message}
	}
	return err
}

// Extent implements Extenter from featureapi.Store.Extent: the box of every feature and,
// on a layer with editions, the first valid_from and the last valid_to (open while an
// edition is in force).
func (c LayerCollection) Extent(ctx context.Context) (Extent, error) {
	e, err := c.Store.Extent(ctx, c.Layer)
	if err != nil {
		return Extent{}, err
	}
	out := Extent{BBox: e.BBox}
	if c.Layer.ValidFrom != "" {
		iv := [2]string{}
		if e.From != nil {
			iv[0] = e.From.UTC().Format(time.RFC3339)
		}
		if e.To != nil {
			iv[1] = e.To.UTC().Format(time.RFC3339)
		}
		out.Interval = &iv
	}
	return out, nil
}

// ExtentLayers implements Extenter: the layer's own table.
func (c LayerCollection) ExtentLayers() []string { return []string{c.Layer.ID} }
