package report

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/coverage"
)

// buildCapacity is the capacity section (docs/capacity.md): per capacity category, one
// table of the report's areas with the 2SFCA figures of capacity.Service.Capacity (demand,
// places available, supply ratio, gap, shortfall) and its city total; and, when the city
// has residents by age band, the served population by band (park coverage weighed by the
// band's residents, and park area within reach per resident of the band).
func buildCapacity(ctx context.Context, b *builder) (*Section, error) {
	svc := b.src.Capacity
	cats, err := svc.Store.Categories(ctx)
	if err != nil {
		return nil, err
	}
	hasAges, err := svc.Store.HasAgeData(ctx, b.city.ID)
	if err != nil {
		return nil, err
	}
	var norms []string
	s := &Section{Key: "capacity", Title: b.t("ind_cap"), Method: b.t("m_2sfca"), DistrictMaps: false}
	for _, cat := range cats {
		opt := capacity.Options{Category: cat.Code, Level: b.req.Level}
		if !hasAges {
			opt.Bands = []string{capacity.BandsAll}
		}
		rep, err := svc.Capacity(ctx, b.req.City, opt)
		if err != nil {
			return nil, err
		}
		if rep.Capacity == 0 && rep.FacilitiesWithoutCapacity == 0 {
			continue // no facility of the category here
		}
		s.DataVersion = shortHash(rep.DataVersion)
		s.Tables = append(s.Tables, b.capacityTable(rep))
		s.Figures = append(s.Figures, Figure{Label: fmt.Sprintf(b.t("f_cap_gap"), b.catName(rep.Category)), Value: Flt(rep.Totals.Gap, 0), Unit: b.unit(rep.Category)})
		norms = append(norms, b.normNote(rep))
	}
	s.Caliber = b.t("cal_cap")
	s.Notes = append(s.Notes, norms...)
	if !hasAges {
		s.Notes = append(s.Notes, b.t("n_cap_noages"))
		return s, nil
	}
	t, err := b.bandTable(ctx)
	if err != nil {
		return nil, err
	}
	s.Tables = append(s.Tables, t)
	s.Notes = append(s.Notes, b.t("n_cap"))
	return s, nil
}

func (b *builder) catName(c capacity.Category) string {
	if b.lang == "en" {
		return c.NameEn
	}
	return c.NameZh
}

func (b *builder) unit(c capacity.Category) string {
	if b.lang == "en" {
		return c.UnitEn
	}
	return c.UnitZh
}

// normNote says which norm a category's gaps were measured against, and (in the Chinese
// report) its source.
func (b *builder) normNote(rep *capacity.Report) string {
	n := rep.Norm
	if b.lang == "en" {
		// The sources are Chinese texts, cited in Chinese: the English report names the norm.
		return fmt.Sprintf(b.t("n_cap_norm"), b.catName(rep.Category), strconv.FormatFloat(n.PerThousand, 'f', -1, 64), b.unit(rep.Category), b.t("norm_"+n.Basis))
	}
	return fmt.Sprintf(b.t("n_cap_norm"), b.catName(rep.Category), b.t("norm_"+n.Basis), strconv.FormatFloat(n.PerThousand, 'f', -1, 64), b.unit(rep.Category), n.Source)
}

// capacityTable is one category's figures per area of the report's level.
func (b *builder) capacityTable(rep *capacity.Report) *Table {
	u := b.unit(rep.Category)
	cols := []Column{b.idCol(), col("code", b.t("col_code"), Text, 0), col("name", b.t("col_name"), Text, 0),
		col("demand", b.t("col_cap_demand"), Float, 1), col("served", fmt.Sprintf(b.t("col_cap_served"), u), Float, 1),
		col("ratio", fmt.Sprintf(b.t("col_cap_ratio"), u), Float, 4), col("need", fmt.Sprintf(b.t("col_cap_need"), u), Float, 1),
		col("attainment", b.t("col_cap_att"), Float, 4), col("gap", fmt.Sprintf(b.t("col_cap_gap"), u), Float, 1),
		col("shortfall", fmt.Sprintf(b.t("col_cap_short"), u), Float, 1)}
	t := &Table{Name: "capacity-" + rep.Category.Code + "-" + b.req.Level, Sheet: b.t("sh_cap") + "-" + rep.Category.Code,
		Title: fmt.Sprintf(b.t("paren"), b.catName(rep.Category), b.levelName(b.req.Level)), Columns: cols}
	row := func(f capacity.Figure) []Cell {
		ratio, att := Flt(f.Ratio, 4), Flt(f.Attainment, 4)
		if f.Demand <= 0 {
			ratio = NA()
		}
		if f.Need <= 0 {
			att = NA()
		}
		return []Cell{Flt(f.Demand, 1), Flt(f.Served, 1), ratio, Flt(f.Need, 1), att, Flt(f.Gap, 1), Flt(f.Shortfall, 1)}
	}
	for _, a := range rep.Areas {
		name := b.name(a.ID, a.Name)
		if a.ID == 0 {
			name = b.t("outside_any")
		}
		t.Rows = append(t.Rows, append([]Cell{Num(a.ID), Str(a.Code), Str(name)}, row(a.Figure)...))
	}
	t.Total = append([]Cell{NA(), Str(""), b.total()}, row(rep.Totals)...)
	return t
}

// bandTable is the served population by age band, city-wide: each band's residents, those
// within a counted park's service area (the park coverage weighed by the band,
// coverage.Query.Bands) and the park area within walking reach per resident of the band
// (the park 2SFCA with that band as the demand).
func (b *builder) bandTable(ctx context.Context) (*Table, error) {
	bands, err := b.src.Capacity.Store.Bands(ctx)
	if err != nil {
		return nil, err
	}
	cols := []Column{col("band", b.t("col_band"), Text, 0), col("population", b.t("col_pop"), Float, 0),
		col("covered_population", b.t("col_cov_pop"), Float, 0), col("population_pct", b.t("col_pop_pct"), Float, 2),
		col("park_m2_per_resident", b.t("col_cap_park_pc"), Float, 2)}
	t := &Table{Name: "capacity-age-bands", Sheet: b.t("sh_cap_bands"), Title: b.t("t_cap_bands"), Columns: cols}
	for _, band := range bands {
		name := band.NameZh
		if b.lang == "en" {
			name = band.NameEn
		}
		row := []Cell{Str(name)}
		if b.src.Coverage != nil && b.src.Coverage.Ages != nil {
			rep, err := b.src.Coverage.Indicator(ctx, coverage.Query{City: b.req.City, Caliber: b.req.Caliber, Method: b.req.Method, Bands: []string{band.Code}})
			if err != nil {
				return nil, err
			}
			if c := rep.City1; c != nil {
				row = append(row, Flt(c.Population, 0), Flt(c.CoveredPopulation, 0), pct(c.PopulationShare, 2))
			} else {
				row = append(row, NA(), NA(), NA())
			}
		} else {
			row = append(row, NA(), NA(), NA())
		}
		pr, err := b.src.Capacity.Capacity(ctx, b.req.City, capacity.Options{Category: "park_square", Bands: []string{band.Code}, Level: "city"})
		if err != nil {
			return nil, err
		}
		if pr.Totals.Demand > 0 {
			row = append(row, perCapitaCell(pr.Totals.Ratio))
		} else {
			row = append(row, NA())
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}
