package capacity

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cityreach/cityreach/internal/fault"
)

var defaultBands = []string{"0-3", "3-6", "6-12", "12-15", "15-60", "60-80", "80-"}

func TestParseAgeCSV(t *testing.T) {
	in := "\uFEFF社区代码,社区名称,0-3,6-12,80-\n150203001001,阿尔丁,12,30,4\n\n150203001002,友谊,0,7,1\n"
	tab, err := ParseAgeCSV(strings.NewReader(in), defaultBands)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tab.Bands, ",") != "0-3,6-12,80-" || len(tab.Rows) != 2 {
		t.Fatalf("bands %v rows %d", tab.Bands, len(tab.Rows))
	}
	if r := tab.Rows[1]; r.Row != 4 || r.Code != "150203001002" || r.Counts[0] != 0 || r.Counts[1] != 7 || r.Counts[2] != 1 {
		t.Errorf("second row %+v", r)
	}
}

// TestParseAgeCSVRefuses: every refusal names its row and column.
func TestParseAgeCSVRefuses(t *testing.T) {
	for _, c := range []struct{ in, row, col, reason string }{
		{"", "1", "", "empty"},
		{"name,0-3\nx,1\n", "1", "", "no community-code column"},
		{"code\n150203001001\n", "1", "", "no age band column"},
		{"code,0-3,kids\n", "1", "kids", "not an age band"},
		{"code,0-3,0-3\n", "1", "0-3", "twice"},
		{"code,5-9\n150203001001,1\n", "1", "5-9", "not one of the city's age bands"},
		{"code,0-3\n", "2", "", "no community rows"},
		{"code,0-3\n15020300100,1\n", "2", "code", "not 12 digits"},
		{"code,0-3\n150203001001,1\n150203001001,2\n", "3", "code", "already given in row 2"},
		{"code,0-3,3-6\n150203001001,1,-2\n", "2", "3-6", "whole number"},
		{"code,0-3,3-6\n150203001001,1\n", "2", "3-6", "empty"},
		{"code,0-3\n150203001001,1.5\n", "2", "0-3", "whole number"},
		{"code,0-3\n150203001001,\"1\n", "2", "", "not valid CSV"},
	} {
		_, err := ParseAgeCSV(strings.NewReader(c.in), defaultBands)
		fe := fault.As(err)
		if fe == nil || fe.Kind != fault.KindUnprocessable {
			t.Errorf("%q: error %v, want an Unprocessable fault", c.in, err)
			continue
		}
		col, _ := fe.Extra["column"].(string)
		if got := fe.Detail; !strings.Contains(got, "row "+c.row) || fmt.Sprint(fe.Extra["row"]) != c.row || col != c.col || !strings.Contains(got, c.reason) {
			t.Errorf("%q: %q (row %v, column %q), want row %s column %q containing %q", c.in, got, fe.Extra["row"], col, c.row, c.col, c.reason)
		}
	}
}

func TestParseAgeXLSX(t *testing.T) {
	f := excelize.NewFile()
	rows := [][]any{{"community_code", "name", "3-6", "60-80"}, {"150203001001", "阿尔丁", 25, 300}, {"150203001003", "x", 9, "y"}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	_, err := ParseAgeTable("xlsx", buf.Bytes(), defaultBands)
	if fe := fault.As(err); fe == nil || fe.Kind != fault.KindUnprocessable || fe.Extra["row"] != 3 || fe.Extra["column"] != "60-80" {
		t.Fatalf("error %v, want row 3 column 60-80", err)
	}
	rows = rows[:2]
	f2 := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		_ = f2.SetSheetRow("Sheet1", cell, &r)
	}
	buf.Reset()
	_ = f2.Write(&buf)
	tab, err := ParseAgeTable("xlsx", buf.Bytes(), defaultBands)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows[0].Counts[0] != 25 || tab.Rows[0].Counts[1] != 300 {
		t.Errorf("counts %v", tab.Rows[0].Counts)
	}
	if _, err := ParseAgeTable("xlsx", []byte("not a zip"), defaultBands); fault.KindOf(err) != fault.KindUnprocessable {
		t.Errorf("garbage: %v", err)
	}
}

func TestParseBand(t *testing.T) {
	for _, ok := range []string{"0-3", "80-", "15-60"} {
		if _, err := ParseBand(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"3-0", "03-6", "80+", "a-b", "", "1000-1", "6-6"} {
		if _, err := ParseBand(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzParseAgeCSV: the parser never panics, and what it accepts is consistent: one count
// per band, 12-digit unique codes, rows in increasing order.
func FuzzParseAgeCSV(f *testing.F) {
	for _, s := range []string{
		"community_code,0-3,3-6\n150203001001,1,2\n",
		"\uFEFF社区代码,社区名称,80-\n150203001001,阿尔丁,4\n",
		"code,0-3\n150203001001,\"1\n",
		"code,0-3\n150203001001,1\n150203001001,2\n",
		"code,,0-3\n\n150203001001,,99999999999\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := ParseAgeCSV(strings.NewReader(s), nil)
		if err != nil {
			if fault.KindOf(err) != fault.KindUnprocessable {
				t.Fatalf("error %v is not an Unprocessable fault", err)
			}
			return
		}
		seen, last := map[string]bool{}, 1
		for _, r := range tab.Rows {
			if len(r.Counts) != len(tab.Bands) || !communityCode.MatchString(r.Code) || seen[r.Code] || r.Row <= last {
				t.Fatalf("inconsistent row %+v", r)
			}
			seen[r.Code], last = true, r.Row
			for _, n := range r.Counts {
				if n < 0 {
					t.Fatalf("negative count in %+v", r)
				}
			}
		}
	})
}
