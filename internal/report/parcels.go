package report

import (
	"context"
	"fmt"

	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/walk"
)

// MaxParcelRows is the most rows of a per-parcel sheet (the XLSX limit is 1,048,576); a
// city with more residential parcels gets the first MaxParcelRows by id and a note naming
// the endpoint with all of them.
var MaxParcelRows = 200_000

// parkParcelSheet is the per-parcel park coverage of q, the result behind the section's
// figure (coverage.Service.ParcelResult): the rows of GET
// /api/v1/indicators/park-coverage/parcels under the same caliber and method.
func (b *builder) parkParcelSheet(ctx context.Context, q coverage.Query) (*Table, string, error) {
	var res *coverage.Result
	var err error
	if q.AsOf != "" {
		res, err = b.src.Coverage.Result(ctx, q) // the result of the data as of then
	} else {
		res, _, err = b.src.Coverage.ParcelResult(ctx, q)
	}
	if err != nil {
		return nil, "", err
	}
	page, err := res.Parcels(nil, -1)
	if err != nil {
		return nil, "", err
	}
	t := &Table{Name: "park-coverage-parcels", Sheet: b.t("sh_park_parcels"), Title: b.t("t_park_parcels"), Columns: []Column{
		col("id", b.t("col_parcel"), Int, 0), col("area_m2", b.t("col_area_m2"), Float, 2), col("covered_m2", b.t("col_cov_m2"), Float, 2),
		col("share_pct", b.t("col_share_pct"), Float, 4), col("population", b.t("col_pop"), Float, 0),
		col("covered_population", b.t("col_cov_pop"), Float, 2)}}
	for _, p := range page.Parcels {
		if len(t.Rows) == MaxParcelRows {
			return t, fmt.Sprintf(b.t("n_parcels_cap"), MaxParcelRows, page.Matched, "/api/v1/indicators/park-coverage/parcels"), nil
		}
		t.Rows = append(t.Rows, []Cell{Num(p.ID), Flt(p.AreaM2, 2), Flt(p.CoveredM2, 2), Flt(100*p.Share, 4),
			Flt(p.Population, 0), Flt(p.CoveredPopulation, 2)})
	}
	return t, "", nil
}

// livingCircleParcelSheet is the per-parcel living circle of the city's baseline: per parcel
// and category the walking distance to the nearest facility and its name, the rows of GET
// /api/v1/indicators/living-circle/parcels ("—" where none is within the search cutoff).
func (b *builder) livingCircleParcelSheet(ctx context.Context) (*Table, string, error) {
	t := &Table{Name: "living-circle-parcels", Sheet: b.t("sh_lc_parcels"), Title: b.t("t_lc_parcels")}
	var after *int64
	for {
		page, err := b.src.Walk.LivingCircleParcels(ctx, b.req.City, walk.Options{}, walk.ParcelQuery{After: after})
		if err != nil {
			return nil, "", err
		}
		for _, p := range page.Parcels {
			if t.Columns == nil {
				t.Columns = []Column{col("id", b.t("col_parcel"), Int, 0), col("population", b.t("col_pop"), Float, 0)}
				for _, c := range p.Categories {
					n := b.categories[c.Category]
					if n == "" {
						n = c.Category
					}
					t.Columns = append(t.Columns, col(c.Category+"_m", fmt.Sprintf(b.t("col_dist_m"), n), Float, 1),
						col(c.Category+"_facility_name", fmt.Sprintf(b.t("col_nearest"), n), Text, 0))
				}
			}
			if len(t.Rows) == MaxParcelRows {
				return t, fmt.Sprintf(b.t("n_parcels_cap"), MaxParcelRows, page.Matched, "/api/v1/indicators/living-circle/parcels"), nil
			}
			row := []Cell{Num(p.ID), Flt(p.Population, 0)}
			for _, c := range p.Categories {
				d, n := NA(), NA()
				if c.DistanceM != nil {
					d = Flt(*c.DistanceM, 1)
				}
				if c.FacilityName != nil {
					n = Str(*c.FacilityName)
				}
				row = append(row, d, n)
			}
			t.Rows = append(t.Rows, row)
		}
		if page.Next == 0 {
			return t, "", nil
		}
		next := page.Next
		after = &next
	}
}
