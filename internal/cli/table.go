package cli

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"golang.org/x/text/width"

	"github.com/cityreach/cityreach/internal/report"
)

// outTable is what a command prints: a header and rows of text, the numbers already
// formatted (report.Format, so a shortfall never prints as met).
type outTable struct {
	Head  []string
	Right []bool // right-aligned (numeric) columns
	Rows  [][]string
}

// formats are the --format values of indicator and check commands.
const formatsHelp = "table, csv or json"

func checkFormat(format string, extra ...string) error {
	for _, f := range append([]string{"table", "csv", "json"}, extra...) {
		if format == f {
			return nil
		}
	}
	return fmt.Errorf("--format must be one of table, csv, json%s", strings.Join(append([]string{""}, extra...), ", "))
}

func checkLang(lang string) error {
	if lang != "zh" && lang != "en" {
		return errors.New("--lang must be zh or en")
	}
	return nil
}

// displayWidth is the number of terminal columns s takes: East Asian wide and fullwidth
// characters (汉字, full-width punctuation) take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// write prints t as an aligned table (columns padded to their display width, two spaces
// apart) or as CSV with the header first.
func (t *outTable) write(w io.Writer, format string) error {
	if format == "csv" {
		cw := csv.NewWriter(w)
		if err := cw.Write(t.Head); err != nil {
			return err
		}
		if err := cw.WriteAll(t.Rows); err != nil {
			return err
		}
		return cw.Error()
	}
	widths := make([]int, len(t.Head))
	for _, row := range append([][]string{t.Head}, t.Rows...) {
		for i, c := range row {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, row := range append([][]string{t.Head}, t.Rows...) {
		b.Reset()
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if i < len(t.Right) && t.Right[i] {
				b.WriteString(pad + c)
			} else if i < len(row)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " ")); err != nil {
			return err
		}
	}
	return nil
}

// printJSON prints v indented.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// num formats a figure for a table: dec decimals, thousands separators in the table,
// none in CSV.
func num(v float64, dec int, format string) string {
	return report.Format(v, dec, math.Inf(1), format == "table")
}

// pctOf formats a ratio as a percentage that never rounds up to 100.
func pctOf(ratio float64, dec int, format string) string {
	return report.Format(100*ratio, dec, 100, format == "table")
}

// clip shortens s to at most n display columns, with an ellipsis.
func clip(s string, n int) string {
	if displayWidth(s) <= n {
		return s
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := displayWidth(string(r))
		if w+rw > n-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return b.String() + "…"
}
