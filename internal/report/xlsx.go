package report

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// WriteXLSX writes the workbook: an About sheet with the provenance of every number, then
// one sheet per table (one per indicator and level), each formatted for printing (A4
// landscape, fit to one page wide, header row repeated on every page and frozen on screen).
// Sheets are named by Table.Sheet in the report's language (Chinese in the Chinese report);
// a table with a 全市合计 row ends with it, in bold; areas are in 公顷.
//
// The file depends only on r's data: the document timestamps are the data's last update,
// rows are in the order the sections sorted them, and numbers are rounded before they are
// stored, so unchanged data gives a byte-identical file.
func WriteXLSX(w io.Writer, r *Report) error {
	lang := r.Request.Lang
	f := excelize.NewFile()
	defer f.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	stamp := r.Data.Updated.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{
		Created: stamp, Modified: stamp, Creator: "cityreach", LastModifiedBy: "cityreach",
		Title: T(lang, "title") + " — " + r.City.Name, Subject: r.City.Slug, Identifier: r.Data.Hash,
		Keywords: "cityreach; " + r.Data.Hash, Language: map[string]string{"zh": "zh-CN", "en": "en"}[lang], Revision: "1",
	}); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	about := T(lang, "about_sheet")
	if err := f.SetSheetName("Sheet1", about); err != nil {
		return err
	}
	if err := writeAbout(f, st, about, r); err != nil {
		return err
	}
	used := map[string]bool{about: true}
	for _, s := range r.Sections {
		for _, t := range append(s.Tables[:len(s.Tables):len(s.Tables)], s.Sheets...) {
			if err := writeTableSheet(f, st, r, s, t, sheetName(t, used)); err != nil {
				return fmt.Errorf("sheet %s: %w", t.Name, err)
			}
		}
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

type styles struct {
	header, text, wrap, title, totalText int
	num, totalNum                        map[int]int // decimals → style
}

// sheetName returns a table's sheet name: its localized name, without the characters Excel
// forbids, at most 31 characters, made unique within the workbook.
func sheetName(t *Table, used map[string]bool) string {
	name := t.Sheet
	if name == "" {
		name = t.Name
	}
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, name)
	base := []rune(name)
	if len(base) > 31 {
		base = base[:31]
	}
	name = string(base)
	for i := 2; used[name]; i++ {
		suffix := fmt.Sprintf("-%d", i)
		name = string(base[:min(len(base), 31-len(suffix))]) + suffix
	}
	used[name] = true
	return name
}

func newStyles(f *excelize.File) (*styles, error) {
	st := &styles{num: map[int]int{}, totalNum: map[int]int{}}
	var err error
	font := "Noto Sans CJK SC"
	border := []excelize.Border{{Type: "bottom", Color: "BFC7D1", Style: 1}}
	if st.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF", Family: font, Size: 10},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1D4E89"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	}); err != nil {
		return nil, err
	}
	if st.text, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: font, Size: 10}, Border: border}); err != nil {
		return nil, err
	}
	if st.wrap, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: font, Size: 10}, Border: border,
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}); err != nil {
		return nil, err
	}
	if st.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: font, Size: 10, Bold: true}, Border: border}); err != nil {
		return nil, err
	}
	total := []excelize.Border{{Type: "top", Color: "1D4E89", Style: 2}}
	totalFill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E6EEF7"}}
	if st.totalText, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: font, Size: 10, Bold: true}, Border: total, Fill: totalFill,
		Alignment: &excelize.Alignment{Horizontal: "right"}}); err != nil {
		return nil, err
	}
	for d := 0; d <= 4; d++ {
		fmtCode := "#,##0"
		if d > 0 {
			fmtCode = "#,##0." + strings.Repeat("0", d)
		}
		if st.num[d], err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: font, Size: 10}, Border: border, CustomNumFmt: &fmtCode,
			Alignment: &excelize.Alignment{Horizontal: "right"}}); err != nil {
			return nil, err
		}
		if st.totalNum[d], err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: font, Size: 10, Bold: true}, Border: total, Fill: totalFill,
			CustomNumFmt: &fmtCode}); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// printSetup applies the print settings every sheet shares.
func printSetup(f *excelize.File, sheet, title string, r *Report) error {
	orient, a4, one, zero, yes := "landscape", 9, 1, 0, true
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &orient, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return err
	}
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &yes}); err != nil {
		return err
	}
	margin := 0.5
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &margin, Right: &margin}); err != nil {
		return err
	}
	hf := func(s string) string { return strings.ReplaceAll(s, "&", "&&") }
	return f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddHeader: "&L" + hf(title) + "&R" + hf(r.City.Name),
		OddFooter: "&L" + hf(T(r.Request.Lang, "data_version")+" "+r.Data.Hash) + "&R&P / &N",
	})
}

func writeAbout(f *excelize.File, st *styles, sheet string, r *Report) error {
	lang := r.Request.Lang
	zone, err := time.LoadLocation(reportZone)
	if err != nil {
		return err
	}
	rows := [][2]string{
		{T(lang, "title"), r.City.Name},
		{T(lang, "about_city"), cityName(r.City, lang)},
		{T(lang, "level"), T(lang, "lvl_"+r.Request.Level)},
		{T(lang, "data_version"), r.Data.Hash},
		{T(lang, "data_as_of"), r.Data.Updated.In(zone).Format("2006-01-02 15:04:05") + T(lang, "bjt")},
		{T(lang, "caliber"), r.Request.Caliber},
		{T(lang, "method"), r.Request.Method},
	}
	if r.AsOf != nil {
		rows = append(rows[:4], append([][2]string{{T(lang, "as_of"), asOfText(r, lang, zone)}}, rows[4:]...)...)
	}
	if o := omittedText(r, lang); o != "" {
		rows = append(rows, [2]string{T(lang, "as_of_omitted"), o})
	}
	var synth []string
	for _, s := range r.Sources {
		if s.Synthetic {
			synth = append(synth, s.Layer)
		}
	}
	if len(synth) > 0 {
		var names []string
		for _, l := range dedupe(synth) {
			names = append(names, layerName(lang, l))
		}
		rows = append(rows, [2]string{T(lang, "about_synth"), join(names, lang)})
	}
	for _, s := range r.Sections {
		syn := ""
		if s.Synthetic {
			syn = " · " + T(lang, "synthetic")
		}
		rows = append(rows, [2]string{T(lang, "about_section") + T(lang, "colon") + s.Title,
			fmt.Sprintf(T(lang, "provenance"), s.Caliber, s.Method) + syn})
	}
	if err := f.SetSheetRow(sheet, "A1", &[]any{T(lang, "key"), T(lang, "value")}); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", "B1", st.header); err != nil {
		return err
	}
	for i, kv := range rows {
		cell := fmt.Sprintf("A%d", i+2)
		if err := f.SetSheetRow(sheet, cell, &[]any{kv[0], kv[1]}); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, cell, cell, st.title); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, fmt.Sprintf("B%d", i+2), fmt.Sprintf("B%d", i+2), st.wrap); err != nil {
			return err
		}
	}
	// Data sources below.
	n := len(rows) + 3
	if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", n), &[]any{T(lang, "layer"), T(lang, "source"), T(lang, "rows"), T(lang, "synthetic")}); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, fmt.Sprintf("A%d", n), fmt.Sprintf("D%d", n), st.header); err != nil {
		return err
	}
	for i, s := range r.Sources {
		row := fmt.Sprintf("A%d", n+1+i)
		if err := f.SetSheetRow(sheet, row, &[]any{layerName(lang, s.Layer), s.Source, s.Rows, Yes(s.Synthetic).Text(lang)}); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(sheet, "A", "A", 34); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "B", "B", 110); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$1", sheet), Scope: sheet}); err != nil {
		return err
	}
	return printSetup(f, sheet, T(lang, "title"), r)
}

func writeTableSheet(f *excelize.File, st *styles, r *Report, s *Section, t *Table, sheet string) error {
	lang := r.Request.Lang
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	head := make([]any, len(t.Columns))
	width := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Header
		width[i] = displayWidth(c.Header)
	}
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(t.Columns))
	if err := f.SetCellStyle(sheet, "A1", last+"1", st.header); err != nil {
		return err
	}
	rows := t.Rows
	if t.Total != nil {
		rows = append(rows[:len(rows):len(rows)], t.Total)
	}
	for ri, row := range rows {
		vals := make([]any, len(row))
		for i, c := range row {
			switch {
			case c.NA:
				vals[i] = "—"
			case c.K == Int:
				vals[i] = c.I
			case c.K == Float:
				vals[i] = c.Rounded()
			case c.K == Bool:
				vals[i] = c.Text(lang)
			default:
				vals[i] = c.S
			}
			width[i] = max(width[i], displayWidth(c.Display(lang)))
		}
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", ri+2), &vals); err != nil {
			return err
		}
	}
	// Styles per column, over the data rows.
	if n := len(t.Rows); n > 0 {
		for i, c := range t.Columns {
			col, _ := excelize.ColumnNumberToName(i + 1)
			style := st.text
			switch c.Kind {
			case Int:
				style = st.num[0]
			case Float:
				style = st.num[min(c.Decimals, 4)]
			}
			if err := f.SetCellStyle(sheet, col+"2", fmt.Sprintf("%s%d", col, n+1), style); err != nil {
				return err
			}
		}
	}
	for i := range t.Columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, col, col, float64(min(max(width[i], 6), 60))+2); err != nil {
			return err
		}
	}
	if t.Total != nil { // the 全市合计 row, bold on a tint
		n := len(t.Rows) + 2
		for i, c := range t.Columns {
			col, _ := excelize.ColumnNumberToName(i + 1)
			style := st.totalText
			if c.Kind == Int || c.Kind == Float {
				style = st.totalNum[min(c.Decimals, 4)]
			}
			if err := f.SetCellStyle(sheet, fmt.Sprintf("%s%d", col, n), fmt.Sprintf("%s%d", col, n), style); err != nil {
				return err
			}
		}
	}
	if err := f.SetRowHeight(sheet, 1, 30); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$1", sheet), Scope: sheet}); err != nil {
		return err
	}
	if len(t.Rows) > 0 {
		if err := f.AutoFilter(sheet, fmt.Sprintf("A1:%s%d", last, len(t.Rows)+1), nil); err != nil {
			return err
		}
	}
	title := t.Title
	if s.Synthetic {
		title += " (" + T(lang, "synthetic") + ")"
	}
	return printSetup(f, sheet, title, r)
}

// displayWidth approximates a string's width in Excel character units: CJK characters
// count double.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x2E80 && utf8.RuneLen(r) >= 3 {
			w += 2
		} else {
			w++
		}
	}
	return w
}
