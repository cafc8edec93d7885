package report

import (
	"encoding/csv"
	"io"
)

// WriteCSV writes one table as UTF-8 CSV with a byte-order mark (so Excel opens the Chinese
// correctly), the localized header first, numbers rounded and formatted without locale.
func WriteCSV(w io.Writer, t *Table, lang string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Header
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		for i, c := range row {
			rec[i] = c.Text(lang)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
