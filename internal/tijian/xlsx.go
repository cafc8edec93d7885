package tijian

import (
	"fmt"
	"io"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/report"
)

// CheckLang checks a lang parameter: zh (Chinese, the default) or en.
func CheckLang(lang string) (string, error) {
	switch lang {
	case "", "zh":
		return "zh", nil
	case "en":
		return "en", nil
	}
	return "", badParam("lang", "lang must be zh or en")
}

// Sheets are the tables as internal/report's model: one section per 维度, each with one
// table whose rows are the units (city, districts, 街道, communities, each by code) and
// whose columns are the level, the administrative code, the name, the parent's code and
// the dimension's indicators, headed in lang.
func (t *Tables) Sheets(lang string) *report.Report {
	r := &report.Report{
		Request: report.Request{City: t.City, Level: "community", Lang: lang, Caliber: t.Caliber, Method: t.Method},
		City:    citydata.City{Slug: t.City, Name: t.CityName, Adcode: t.Adcode},
		Data:    report.DataVersion{Hash: t.Data.Hash, Updated: t.Data.Updated},
	}
	for _, d := range t.Dimensions {
		var inds []Indicator
		for _, in := range t.Indicators {
			if in.Dimension == d.ID {
				inds = append(inds, in)
			}
		}
		cols := []report.Column{
			{Key: "level", Header: label(lang, "col_level"), Kind: report.Text},
			{Key: "code", Header: label(lang, "col_code"), Kind: report.Text},
			{Key: "name", Header: label(lang, "col_name"), Kind: report.Text},
			{Key: "parent_code", Header: label(lang, "col_parent"), Kind: report.Text},
		}
		for _, in := range inds {
			k := report.Float
			if in.Unit == "个" {
				k = report.Int
			}
			cols = append(cols, report.Column{Key: in.Key, Header: in.Name(lang), Kind: k, Decimals: in.Decimals})
		}
		tab := &report.Table{Name: "tijian-" + d.ID, Sheet: d.Name(lang), Title: d.Name(lang), Columns: cols}
		for _, u := range t.Units {
			row := []report.Cell{report.Str(label(lang, "lvl_"+u.Level)), report.Str(u.Code), report.Str(u.Name), report.Str(u.ParentCode)}
			for i, in := range inds {
				v := u.Values[in.Key]
				switch {
				case v == nil:
					row = append(row, report.NA())
				case cols[4+i].Kind == report.Int:
					row = append(row, report.Num(int64(*v)))
				default:
					row = append(row, report.Flt(*v, in.Decimals))
				}
			}
			tab.Rows = append(tab.Rows, row)
		}
		method := fmt.Sprintf("park coverage %s/%s; complete communities: %s reach; living circle: ≥ %g of residents", t.Caliber, t.Method, t.ScorecardMethod, t.LivingCircleShare)
		r.Sections = append(r.Sections, &report.Section{Key: d.ID, Title: d.Name(lang), Caliber: d.Source, Method: method,
			DataVersion: t.Data.Hash, Tables: []*report.Table{tab}})
	}
	return r
}

// WriteXLSX writes the 体检 statistical tables: an About sheet with the provenance, then one
// sheet per 维度 (internal/report's workbook writer). Unchanged data gives the same bytes.
func (t *Tables) WriteXLSX(w io.Writer, lang string) error {
	lang, err := CheckLang(lang)
	if err != nil {
		return err
	}
	if err := report.WriteXLSX(w, t.Sheets(lang)); err != nil {
		return fmt.Errorf("writing the 体检 tables: %w", err)
	}
	return nil
}
