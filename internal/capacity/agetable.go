package capacity

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// MaxAgeRows bounds the data rows of one age table (a city has a few thousand communities).
const MaxAgeRows = 100_000

// AgeTable is a parsed age table: Bands are the band codes of its columns, in file order,
// and every row has one count per band.
type AgeTable struct {
	Bands []string
	Rows  []AgeRow
}

// AgeRow is one community's counts; Row is its 1-based row in the file.
type AgeRow struct {
	Row    int
	Code   string
	Counts []int64
}

// codeHeaders are the accepted headers of the community-code column.
var codeHeaders = map[string]bool{"community_code": true, "code": true, "社区代码": true, "社区编码": true, "社区统一代码": true}

// nameHeaders are columns read and ignored (for the person filling the table in).
var nameHeaders = map[string]bool{"name": true, "community_name": true, "社区名称": true, "名称": true, "total": true, "合计": true}

var communityCode = regexp.MustCompile(`^[0-9]{12}$`)

// ParseAgeCSV reads an age table from CSV (UTF-8, optional BOM, comma separated): a header
// row with the community-code column (community_code, code, 社区代码 or 社区编码) and one
// column per age band code of known (e.g. "0-3", "80-"); name columns are ignored. Every
// error names its row and column. known nil accepts any well-formed band code.
func ParseAgeCSV(r io.Reader, known []string) (*AgeTable, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	var recs [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, inputError(pe.StartLine, "", "not valid CSV: "+pe.Err.Error())
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		recs, lines = append(recs, rec), append(lines, line)
		if len(recs) > MaxAgeRows+1 {
			return nil, inputError(len(recs), "", fmt.Sprintf("more than %d rows", MaxAgeRows))
		}
	}
	return parseRecords(recs, lines, known)
}

// ParseAgeXLSX reads an age table from the first sheet of an XLSX workbook, with the same
// layout as ParseAgeCSV.
func ParseAgeXLSX(r io.Reader, known []string) (*AgeTable, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, inputError(0, "", "not a readable XLSX workbook")
	}
	defer f.Close() //nolint:errcheck // read-only workbook
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, inputError(0, "", "the workbook has no sheet")
	}
	recs, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, inputError(0, "", "the first sheet cannot be read")
	}
	if len(recs) > MaxAgeRows+1 {
		return nil, inputError(len(recs), "", fmt.Sprintf("more than %d rows", MaxAgeRows))
	}
	return parseRecords(recs, nil, known)
}

// ParseAgeTable dispatches on format: "csv" or "xlsx".
func ParseAgeTable(format string, data []byte, known []string) (*AgeTable, error) {
	switch format {
	case "csv":
		return ParseAgeCSV(bytes.NewReader(data), known)
	case "xlsx":
		return ParseAgeXLSX(bytes.NewReader(data), known)
	}
	return nil, invalid("format", fmt.Sprintf("format %q is not csv or xlsx", clip(format)))
}

// parseRecords reads the records of a table; lines[k] is the file line of record k (nil:
// record k is row k+1, as in a sheet, where blank rows are kept).
func parseRecords(recs [][]string, lines []int, known []string) (*AgeTable, error) {
	if len(recs) == 0 {
		return nil, inputError(1, "", "the table is empty: a header row is required")
	}
	allowed := map[string]bool{}
	for _, k := range known {
		allowed[k] = true
	}
	line := func(k int) int {
		if lines != nil {
			return lines[k]
		}
		return k + 1
	}
	head := recs[0]
	codeCol := -1
	var bandCols []int
	t := &AgeTable{}
	seenBand := map[string]bool{}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		l := strings.ToLower(h)
		switch {
		case codeHeaders[l]:
			if codeCol >= 0 {
				return nil, inputError(line(0), h, "a second community-code column")
			}
			codeCol = i
		case nameHeaders[l], h == "":
		default:
			if _, err := ParseBand(h); err != nil {
				return nil, inputError(line(0), clip(h), "not an age band code (like 0-3, 6-12, 80-) nor community_code/name")
			}
			if known != nil && !allowed[h] {
				return nil, inputError(line(0), h, "not one of the city's age bands "+strings.Join(known, ", "))
			}
			if seenBand[h] {
				return nil, inputError(line(0), h, "band given twice")
			}
			seenBand[h] = true
			bandCols = append(bandCols, i)
			t.Bands = append(t.Bands, h)
		}
	}
	if codeCol < 0 {
		return nil, inputError(line(0), "", "no community-code column (community_code, code, 社区代码 or 社区编码)")
	}
	if len(bandCols) == 0 {
		return nil, inputError(line(0), "", "no age band column")
	}
	seen := map[string]int{}
	for r, rec := range recs[1:] {
		row := line(r + 1)
		if blank(rec) {
			continue
		}
		cell := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		code := cell(codeCol)
		if !communityCode.MatchString(code) {
			return nil, inputError(row, head[codeCol], fmt.Sprintf("community code %q is not 12 digits", clip(code)))
		}
		if first, dup := seen[code]; dup {
			return nil, inputError(row, head[codeCol], fmt.Sprintf("community %s already given in row %d", code, first))
		}
		seen[code] = row
		ar := AgeRow{Row: row, Code: code, Counts: make([]int64, len(bandCols))}
		for k, i := range bandCols {
			v := cell(i)
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || n > 10_000_000 {
				reason := fmt.Sprintf("%q is not a whole number of residents from 0 to 10,000,000", clip(v))
				if v == "" {
					reason = "empty: write 0 for no residents"
				}
				return nil, inputError(row, t.Bands[k], reason)
			}
			ar.Counts[k] = n
		}
		t.Rows = append(t.Rows, ar)
	}
	if len(t.Rows) == 0 {
		return nil, inputError(line(0)+1, "", "no community rows after the header")
	}
	return t, nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
