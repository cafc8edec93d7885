package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/walk"
)

func demoCoverage() *coverage.Report {
	return &coverage.Report{Level: "district", Areas: []coverage.AreaFigure{
		{ID: 1, Name: "昆都仑区", Parcels: 1200, TotalM2: 12345678, CoveredM2: 12344000, Ratio: 0.999996, Population: 812345, PopulationShare: 0.9999},
		{ID: 2, Name: "白云鄂博矿区", Parcels: 3, TotalM2: 0, Population: 0},
		{ID: 12, Name: "Shiguai", Parcels: 45, TotalM2: 50000, CoveredM2: 25000, Ratio: 0.5, Population: 1000, PopulationShare: 0.5},
	}, City1: &coverage.AreaFigure{Name: "包头市", Parcels: 1248, TotalM2: 12395678, CoveredM2: 12369000, Ratio: 0.99785, Population: 813345, PopulationShare: 0.999}}
}

// Every column starts at the same display column on every row, Chinese names included
// (a 汉字 takes two terminal columns).
func TestTableAlignment(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		var b bytes.Buffer
		if err := coverageTable(demoCoverage(), lang, "table").write(&b, "table"); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		if len(lines) != 5 {
			t.Fatalf("%d lines:\n%s", len(lines), b.String())
		}
		// Find each cell's text in its printed line, in order, and note the display
		// columns where it starts and ends: a right-aligned column must end at the same
		// display column on every row, a left-aligned one start at the same one.
		tab := coverageTable(demoCoverage(), lang, "table")
		starts, ends := map[int]int{}, map[int]int{}
		for li, row := range append([][]string{tab.Head}, tab.Rows...) {
			line, pos := lines[li], 0
			for i, c := range row {
				if c == "" {
					continue
				}
				j := strings.Index(line[pos:], c)
				if j < 0 {
					t.Fatalf("%s line %d: cell %q not found in %q", lang, li, c, line)
				}
				start := displayWidth(line[:pos+j])
				end := start + displayWidth(c)
				pos += j + len(c)
				if li == 0 {
					starts[i], ends[i] = start, end
					continue
				}
				if tab.Right[i] && end != ends[i] {
					t.Errorf("%s line %d: column %d ends at %d, the header at %d:\n%s\n%s", lang, li, i, end, ends[i], lines[0], line)
				}
				if !tab.Right[i] && start != starts[i] {
					t.Errorf("%s line %d: column %d starts at %d, the header at %d:\n%s\n%s", lang, li, i, start, starts[i], lines[0], line)
				}
			}
		}
		if !strings.Contains(b.String(), "99.99 ") || strings.Contains(b.String(), "100.00") {
			t.Errorf("%s: a coverage of 99.9996 %% must print 99.99, never 100.00:\n%s", lang, b.String())
		}
		if !strings.Contains(b.String(), "—") {
			t.Errorf("%s: no — for the district without residential land", lang)
		}
	}
}

func TestTableCSVAndJSON(t *testing.T) {
	var b bytes.Buffer
	if err := coverageTable(demoCoverage(), "zh", "csv").write(&b, "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 || recs[0][1] != "名称" || recs[1][3] != "1234.57" || recs[4][1] != "全市合计" {
		t.Errorf("CSV %v", recs)
	}
	b.Reset()
	if err := printJSON(&b, demoCoverage()); err != nil {
		t.Fatal(err)
	}
	var back coverage.Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Areas) != 3 {
		t.Errorf("JSON: %v %+v", err, back)
	}
	lc := &walk.Report{Level: "district", Categories: []walk.CategoryRow{{Category: walk.Category{Code: "school", NameZh: "小学", NameEn: "Primary school", ReachM: 500, Basic: true}}},
		Areas: []walk.AreaReport{{ID: 1, Name: "东河区", Population: 10, Status: walk.StatusIncomplete, Coverage: []walk.CategoryFigure{{PopulationShare: 0.5}}, Missing: []string{"school"}}}}
	b.Reset()
	if err := livingCircleTable(lc, "en", "csv").write(&b, "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err = csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1][6] != "50.0" || recs[1][7] != "Primary school" {
		t.Errorf("living-circle CSV %v", recs)
	}
}

func TestSubcommandHelpListsOwnFlags(t *testing.T) {
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	_, _, err := setup(env, "indicator park-coverage", []string{"-h"}, true, func(fs *flag.FlagSet) { fs.String("format", "table", "") })
	if err == nil {
		t.Fatal("-h did not stop")
	}
	for _, bad := range []string{"-listen", "-max-body-bytes", "-anonymous-read"} {
		if strings.Contains(errb.String(), bad) {
			t.Errorf("indicator -h lists the server's %s:\n%s", bad, errb.String())
		}
	}
	if !strings.Contains(errb.String(), "-format") || !strings.Contains(errb.String(), "-city") {
		t.Errorf("indicator -h lacks its own flags:\n%s", errb.String())
	}
}
