package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/series"
	"github.com/cityreach/cityreach/internal/walk"
)

// Targets2030 are the plan's targets the charts compare with (docs/standards.md): park
// service-radius coverage 100 %, 40 complete communities, 30 complete 15-minute circles.
// The complete-community and living-circle targets printed are those the services report
// (their configuration), which default to these.
const (
	TargetParkCoverage = 100.0
	TargetComplete     = 40
	TargetLivingCircle = 30
)

// maxBars is how many areas a bar chart shows; beyond it, the lowest ones.
const maxBars = 30

// Sources are the domain services the sections read. Every number of a report comes from
// one of them, the same call the API and the CLI make.
type Sources struct {
	Store    Store
	Coverage *coverage.Service
	Checks   *checks.Service
	// Walk computes the 15-minute living circle; nil leaves the indicator out.
	Walk *walk.Service
	// Capacity computes the 2SFCA capacity tables; nil leaves the indicator out.
	Capacity *capacity.Service
}

// indicator is one section of the report: adding an indicator is one entry here and its
// build function.
type indicator struct {
	key    string
	inputs []string // input layers, for the 示例数据 label
	weight float64  // share of the progress bar
	build  func(ctx context.Context, b *builder) (*Section, error)
}

// checkKeys are the indicators "checks" stands for.
var checkKeys = []string{"corridors", "control-lines", "growth-diff", "outside", "complete-communities"}

func (s *Sources) indicators() []indicator {
	areas := []string{"districts", "subdistricts", "communities"}
	list := []indicator{
		{"park-coverage", append([]string{"parks", "park_entrances", "residential_land"}, areas...), 6, buildParkCoverage},
	}
	if s.Walk != nil {
		list = append(list, indicator{"living-circle", append([]string{"facilities", "network_edges", "residential_land"}, areas...), 6, buildLivingCircle})
	}
	if s.Capacity != nil {
		list = append(list, indicator{"capacity", append([]string{"facilities", "parks", "network_edges", "residential_land"}, areas...), 4, buildCapacity})
	}
	return append(list,
		indicator{"complete-communities", []string{"communities", "facilities", "parks"}, 1, buildComplete},
		indicator{"corridors", []string{"eco_corridors", "residential_land", "facilities", "growth_boundaries"}, 4, buildCorridors},
		indicator{"control-lines", []string{"eco_redlines", "basic_farmland", "growth_boundaries"}, 1, buildControlLines},
		indicator{"growth-diff", []string{"growth_boundaries"}, 0.5, buildGrowthDiff},
		indicator{"outside", []string{"growth_boundaries", "residential_land", "facilities"}, 1, buildOutside},
	)
}

// Available lists the indicator keys this process can report, in report order.
func (s *Sources) Available() []string {
	var out []string
	for _, in := range s.indicators() {
		out = append(out, in.key)
	}
	return out
}

// builder is what a section's build function gets.
type builder struct {
	src   *Sources
	req   Request
	city  City
	lang  string
	areas map[int64]AreaRef // the areas of the report's level, by id
	// categories are the localized names of facility categories by code.
	categories map[string]string
	// communityAreas maps each community to the area of the report's level it lies in
	// (Store.CommunityAreas, read by Build); nil at the community level.
	communityAreas map[int64]int64
	// at is the past state the report is of (Request.AsOf resolved); nil for now.
	at *edition.AsOf
}

// col makes a column; idCol the machine id column (XLSX and CSV only); codeCol the
// administrative code.
func col(key, header string, k Kind, dec int) Column {
	return Column{Key: key, Header: header, Kind: k, Decimals: dec}
}

func (b *builder) idCol() Column {
	return Column{Key: "id", Header: b.t("col_id"), Kind: Int, Machine: true}
}

// code returns an area's administrative code.
func (b *builder) code(id int64) string { return b.areas[id].Code }

// name is the name of area id of the report's level in the report's language (Store.Areas),
// else the indicator's own name for it.
func (b *builder) name(id int64, fallback string) string {
	if a, ok := b.areas[id]; ok && a.Name != "" {
		return a.Name
	}
	return fallback
}

// total labels the 全市合计 row.
func (b *builder) total() Cell { return Str(b.t("total_city")) }

func (b *builder) t(key string) string { return T(b.lang, key) }

// levelName is the localized name of a level.
func (b *builder) levelName(level string) string { return b.t("lvl_" + level) }

// geojson turns check features into a FeatureCollection in EPSG:4326 (PostGIS transforms).
func (b *builder) geojson(ctx context.Context, f checks.Featurer) ([]byte, error) {
	return b.src.Checks.Store.GeoJSON(ctx, b.city.MetricSRID, f.Features())
}

func (b *builder) methodName(m string) string {
	switch m {
	case "buffer":
		return b.t("m_buffer")
	case "network":
		return b.t("m_network")
	}
	return m
}

// from is " (where it came from)" for a caliber or method that Build resolved, "" when unknown.
func (b *builder) from(f string) string {
	key := map[string]string{coverage.FromRequest: "from_request", coverage.FromCityDefault: "from_city_default", coverage.FromCaliberDefault: "from_cal_default"}[f]
	if key == "" {
		return ""
	}
	return " (" + b.t(key) + ")"
}

// addSheet adds the XLSX-only sheet build makes to s, with its note when it has one.
func (b *builder) addSheet(s *Section, build func() (*Table, string, error)) error {
	t, note, err := build()
	if err != nil {
		return err
	}
	s.Sheets = append(s.Sheets, t)
	if note != "" {
		s.Notes = append(s.Notes, note)
	}
	return nil
}

// lowest returns at most maxBars bars, the lowest values first when there are more.
func lowest(bars []Bar) []Bar {
	if len(bars) <= maxBars {
		return bars
	}
	s := append([]Bar(nil), bars...)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Value < s[j].Value })
	return s[:maxBars]
}

func buildParkCoverage(ctx context.Context, b *builder) (*Section, error) {
	q := coverage.Query{City: b.req.City, Caliber: b.req.Caliber, Method: b.req.Method, Level: b.req.Level, AsOf: b.req.AsOf}
	rep, err := b.src.Coverage.Indicator(ctx, q)
	if err != nil {
		return nil, err
	}
	gaps, _, err := b.src.Coverage.Gaps(ctx, q, 0)
	if err != nil {
		return nil, err
	}
	title := rep.Caliber.Title
	if b.lang == "en" && rep.Caliber.TitleEN != "" {
		title = rep.Caliber.TitleEN
	}
	s := &Section{Key: "park-coverage", Title: b.t("ind_park"), Caliber: title + b.from(b.req.CaliberFrom),
		Method: b.methodName(rep.Method) + b.from(b.req.MethodFrom), DataVersion: rep.Run.DataHash, DistrictMaps: true}
	if c := rep.City1; c != nil {
		s.Figures = append(s.Figures,
			Figure{Label: b.t("f_coverage"), Value: pct(c.Ratio, 2), Unit: "%", HasTarget: true, Target: TargetParkCoverage, Met: 100*c.Ratio >= TargetParkCoverage-1e-9},
			Figure{Label: b.t("f_pop_share"), Value: pct(c.PopulationShare, 2), Unit: "%"})
		if pc := c.PerCapita; pc != nil {
			s.Figures = append(s.Figures, Figure{Label: b.t("f_park_pc"), Value: perCapitaCell(pc.ParkPerCapita), Unit: b.t("unit_m2pc")})
		}
	}
	cols := []Column{b.idCol(), col("code", b.t("col_code"), Text, 0), col("name", b.t("col_name"), Text, 0), col("parcels", b.t("col_parcels"), Int, 0),
		col("residential_ha", b.t("col_res_ha"), Float, 2), col("covered_ha", b.t("col_cov_ha"), Float, 2), col("coverage_pct", b.t("col_cov_pct"), Float, 2),
		col("population", b.t("col_pop"), Float, 0), col("covered_population", b.t("col_cov_pop"), Float, 0), col("population_pct", b.t("col_pop_pct"), Float, 2)}
	perCapita := false
	for _, a := range rep.Areas {
		perCapita = perCapita || a.PerCapita != nil
	}
	if perCapita {
		cols = append(cols, col("park_m2_per_capita", b.t("col_park_pc"), Float, 2))
	}
	areas := append([]coverage.AreaFigure(nil), rep.Areas...)
	sort.Slice(areas, func(i, j int) bool { return areas[i].ID < areas[j].ID })
	t := &Table{Name: "park-coverage-" + b.req.Level, Sheet: b.t("sh_park") + "-" + b.levelName(b.req.Level),
		Title: fmt.Sprintf(b.t("paren"), b.t("ind_park"), b.levelName(b.req.Level)), Columns: cols}
	var bars []Bar
	row := func(id int64, code, name string, a coverage.AreaFigure) []Cell {
		ratio, popShare := pct(a.Ratio, 2), pct(a.PopulationShare, 2)
		if a.TotalM2 <= 0 {
			ratio = NA()
		}
		if a.Population <= 0 {
			popShare = NA()
		}
		r := []Cell{Num(id), Str(code), Str(name), Num(int64(a.Parcels)), ha(a.TotalM2, 2), ha(a.CoveredM2, 2), ratio,
			Flt(a.Population, 0), Flt(a.CoveredPopulation, 0), popShare}
		if perCapita {
			if a.PerCapita != nil && a.Population > 0 {
				r = append(r, perCapitaCell(a.PerCapita.ParkPerCapita))
			} else {
				r = append(r, NA())
			}
		}
		return r
	}
	for _, a := range areas {
		name := b.name(a.ID, a.Name)
		if a.ID == 0 {
			name = b.t("outside_any")
		}
		t.Rows = append(t.Rows, row(a.ID, b.code(a.ID), name, a))
		if a.TotalM2 > 0 && a.ID != 0 {
			bars = append(bars, Bar{Label: name, Value: pct(a.Ratio, 2).Rounded()})
		}
	}
	if c := rep.City1; c != nil {
		t.Total = row(0, "", b.t("total_city"), *c)
		t.Total[0] = NA()
	}
	// The trend: the same figure at each published data edition, and the plan's targets.
	sr, err := b.trendSeries(ctx, series.ParkCoverage, rep.Caliber.ID, rep.Method)
	if err != nil {
		return nil, err
	}
	cell := func(v float64) Cell { return pct(v, 2) }
	byPop := rep.Headline == caliber.ByPopulation
	header := b.t("col_trend_cov")
	if byPop {
		header = b.t("col_trend_pop")
	}
	ratioCol := t.column("coverage_pct") // NA for an area without residential land
	if byPop {
		ratioCol = t.column("population_pct") // NA for an area without residents
	}
	addTrend(t, sr, trendCols{key: "trend_pct", header: header, targetHeader: b.t("col_target_pct"), cell: cell,
		total: func(p series.Point) Cell { return cell(p.Headline) },
		na:    func(row []Cell, v float64) bool { return v == 0 && row[ratioCol].NA }})
	trendTitle := b.t("trend_cov")
	if byPop {
		trendTitle = b.t("trend_cov_pop")
	}
	if c := newTrend(sr, trendTitle, true, "", b.t("trend_now")); c != nil {
		s.Trends = append(s.Trends, c)
	}
	s.Tables = append(s.Tables, t)
	chart := BarChart{Title: fmt.Sprintf(b.t("bar_coverage"), b.levelName(b.req.Level)), Unit: "%", Target: TargetParkCoverage, Max: 100, Bars: lowest(bars)}
	if len(bars) > maxBars {
		chart.Title += fmt.Sprintf(b.t("lowest"), maxBars)
	}
	s.Bars = append(s.Bars, chart)
	s.Layers = append(s.Layers, &Layer{Name: "park_coverage_gaps", Title: b.t("lyr_gaps"), GeoJSON: gaps,
		Style: Style{Fill: "#d7191c", Opacity: 0.9}})
	s.Notes = append(s.Notes, b.t("n_gaps_map"))
	if b.req.AsOf != "" {
		s.Notes = append(s.Notes, b.t("n_asof_trend"))
	}
	return s, b.addSheet(s, func() (*Table, string, error) { return b.parkParcelSheet(ctx, q) })
}

func buildLivingCircle(ctx context.Context, b *builder) (*Section, error) {
	svc := b.src.Walk
	circle := func(level string) (*walk.Report, error) {
		if b.req.AsOf != "" {
			return svc.LivingCircleAsOf(ctx, b.req.City, walk.Options{Level: level}, b.req.AsOf)
		}
		return svc.LivingCircle(ctx, b.req.City, walk.Options{Level: level})
	}
	rep, err := circle(b.req.Level)
	if err != nil {
		return nil, err
	}
	comm := rep
	if b.req.Level != walk.LevelCommunity {
		if comm, err = circle(walk.LevelCommunity); err != nil {
			return nil, err
		}
	}
	geo, err := svc.CommunitiesGeoJSON(ctx, comm)
	if err != nil {
		return nil, err
	}
	s := &Section{Key: "living-circle", Title: b.t("ind_walk"), DistrictMaps: true,
		Caliber: fmt.Sprintf(b.t("cal_lc"), 100*rep.Share),
		Method:  b.t("m_network")}
	if b.req.AsOf == "" { // as of a past state: the report's data version, read as of then
		wc, err := svc.City(ctx, b.req.City)
		if err != nil {
			return nil, err
		}
		in, err := svc.Inputs(ctx, wc)
		if err != nil {
			return nil, err
		}
		nw, err := svc.Network(ctx, wc)
		if err != nil {
			return nil, err
		}
		s.DataVersion = shortHash(in.Version + "/" + nw.Version)
	}
	s.Figures = append(s.Figures,
		Figure{Label: b.t("f_complete_lc"), Value: Num(int64(rep.CompleteCommunities)), Unit: b.t("unit_count"), HasTarget: true, Target: float64(rep.Target), Met: rep.TargetMet},
		Figure{Label: b.t("f_complete_sd"), Value: Num(int64(rep.CompleteSubdistricts)), Unit: fmt.Sprintf("/ %d", rep.Subdistricts)},
		Figure{Label: b.t("f_communities"), Value: Num(int64(rep.Communities)), Unit: b.t("unit_count")})
	cols := []Column{b.idCol(), col("code", b.t("col_code"), Text, 0), col("name", b.t("col_name"), Text, 0),
		col("population", b.t("col_pop"), Float, 0), col("status", b.t("col_status"), Text, 0)}
	catName := map[string]string{}
	var basic []int
	for i, c := range rep.Categories {
		n := c.NameZh
		if b.lang == "en" {
			n = c.NameEn
		}
		catName[c.Code] = n
		if c.Basic {
			basic = append(basic, i)
			cols = append(cols, col("share_"+c.Code, fmt.Sprintf("%s ≤%.0f m (%%)", n, c.ReachM), Float, 1))
		}
	}
	cols = append(cols, col("missing", b.t("col_missing"), Text, 0))
	areas := append([]walk.AreaReport(nil), rep.Areas...)
	sort.Slice(areas, func(i, j int) bool { return areas[i].ID < areas[j].ID })
	t := &Table{Name: "living-circle-" + b.req.Level, Sheet: b.t("sh_lc") + "-" + b.levelName(b.req.Level),
		Title: fmt.Sprintf(b.t("paren"), b.t("ind_walk"), b.levelName(b.req.Level)), Columns: cols}
	var bars []Bar
	shares := func(a walk.AreaReport) []Cell {
		var out []Cell
		for _, i := range basic {
			if a.Status == walk.StatusNoLand || a.Population <= 0 {
				out = append(out, NA())
			} else {
				out = append(out, pct(a.Coverage[i].PopulationShare, 1))
			}
		}
		return out
	}
	for _, a := range areas {
		code := a.Code
		if code == "" {
			code = b.code(a.ID)
		}
		row := append([]Cell{Num(a.ID), Str(code), Str(b.name(a.ID, a.Name)), Flt(a.Population, 0), Str(b.status(a.Status))}, shares(a)...)
		var miss []string
		for _, m := range a.Missing {
			if n, ok := catName[m]; ok {
				m = n
			}
			miss = append(miss, m)
		}
		if a.Status == walk.StatusNoLand {
			row = append(row, NA())
		} else {
			row = append(row, Str(join(miss, b.lang)))
		}
		t.Rows = append(t.Rows, row)
		if a.Status != walk.StatusNoLand && len(basic) > 0 {
			reached := float64(len(basic)-len(a.Missing)) / float64(len(basic))
			bars = append(bars, Bar{Label: b.name(a.ID, a.Name), Value: pct(reached, 1).Rounded()})
		}
	}
	// 全市合计: the city as one area, from the same service.
	if city, err := svc.LivingCircle(ctx, b.req.City, walk.Options{Level: walk.LevelCity}); err == nil && len(city.Areas) == 1 {
		a := city.Areas[0]
		t.Total = append([]Cell{NA(), Str(""), b.total(), Flt(a.Population, 0), Str(b.status(a.Status))}, shares(a)...)
		t.Total = append(t.Total, Str(""))
	} else if err != nil {
		return nil, err
	}
	// The trend: each unit's share of the basic categories reached at each published data
	// edition; the chart, the city's complete 15-minute circles against the targets.
	sr, err := b.trendSeries(ctx, series.LivingCircle, "", "")
	if err != nil {
		return nil, err
	}
	// Its targets count circles, not shares: they are on the chart, not in the table.
	addTrend(t, sr, trendCols{key: "trend_reached_pct", header: b.t("col_trend_lc"), cell: func(v float64) Cell { return pct(v, 1) }})
	if c := newTrend(sr, b.t("trend_lc"), false, b.t("unit_count"), b.t("trend_now")); c != nil {
		s.Trends = append(s.Trends, c)
	}
	s.Tables = append(s.Tables, t)
	chart := BarChart{Title: fmt.Sprintf(b.t("bar_lc"), b.levelName(b.req.Level)), Unit: "%", Target: 100, Max: 100, Bars: lowest(bars)}
	if len(bars) > maxBars {
		chart.Title += fmt.Sprintf(b.t("lowest"), maxBars)
	}
	s.Bars = append(s.Bars, chart)
	s.Layers = append(s.Layers, &Layer{Name: "living_circle_communities", Title: b.t("lyr_lc"), GeoJSON: geo,
		Style: Style{Stroke: "#ffffff", StrokeWidth: 0.6, Opacity: 0.55},
		Color: func(p map[string]any) string {
			switch p["status"] {
			case walk.StatusComplete:
				return "#1a9641"
			case walk.StatusIncomplete:
				return "#fdae61"
			}
			return "#cccccc"
		},
		Legend: []LegendEntry{{b.t("status_complete"), "#1a9641"}, {b.t("status_incomplete"), "#fdae61"}, {b.t("no_residential"), "#cccccc"}}})
	s.Notes = append(s.Notes, fmt.Sprintf(b.t("n_lc"), 100*rep.Share))
	if b.req.AsOf != "" {
		// The per-parcel walk has no as-of form yet.
		s.Notes = append(s.Notes, b.t("n_asof_trend"), b.t("n_asof_lc_parcels"))
		return s, nil
	}
	return s, b.addSheet(s, func() (*Table, string, error) { return b.livingCircleParcelSheet(ctx) })
}

func (b *builder) status(s string) string {
	switch s {
	case walk.StatusComplete:
		return b.t("complete")
	case walk.StatusIncomplete:
		return b.t("incomplete")
	case walk.StatusNoLand:
		return b.t("no_residential")
	}
	return s
}

func join(s []string, lang string) string {
	sep := "、"
	if lang == "en" {
		sep = ", "
	}
	out := ""
	for i, x := range s {
		if i > 0 {
			out += sep
		}
		out += x
	}
	return out
}

func buildComplete(ctx context.Context, b *builder) (*Section, error) {
	rep, err := b.src.Checks.CompleteCommunities(ctx, checks.Request{City: b.req.City, AsOf: b.req.AsOf})
	if err != nil {
		return nil, err
	}
	geo, err := b.geojson(ctx, rep)
	if err != nil {
		return nil, err
	}
	s := &Section{Key: "complete-communities", Title: b.t("ind_complete"),
		Caliber: fmt.Sprintf(b.t("cal_cc"), len(rep.Items), rep.Tier), Method: b.methodName(rep.Method)}
	s.Figures = append(s.Figures, Figure{Label: b.t("f_complete_cc"), Value: Num(int64(rep.Complete)), Unit: b.t("unit_count"),
		HasTarget: true, Target: float64(rep.Target), Met: rep.Meets})
	label := map[string]string{}
	for _, it := range rep.Items {
		label[it.Key] = it.Label
	}
	scores := append([]checks.CommunityScore(nil), rep.Scores...)
	sort.Slice(scores, func(i, j int) bool { return scores[i].ID < scores[j].ID })
	var bars []Bar
	meanScore := 0.0
	for _, c := range scores {
		meanScore += c.Score
	}
	if len(scores) > 0 {
		meanScore /= float64(len(scores))
	}
	if b.req.Level == "community" {
		t := &Table{Name: "complete-communities-community", Sheet: b.t("sh_cc") + "-" + b.levelName("community"),
			Title: fmt.Sprintf(b.t("paren"), b.t("ind_complete"), b.levelName("community")),
			Columns: []Column{b.idCol(), col("code", b.t("col_code"), Text, 0), col("name", b.t("col_name"), Text, 0),
				col("met", b.t("col_met"), Int, 0), col("items", b.t("col_items"), Int, 0), col("score_pct", b.t("col_score"), Float, 1),
				col("complete", b.t("col_complete"), Bool, 0), col("missing", b.t("col_missing"), Text, 0)}}
		for _, c := range scores {
			var miss []string
			for _, m := range c.Missing {
				if l, ok := label[m]; ok && b.lang != "en" {
					m = l
				}
				miss = append(miss, m)
			}
			t.Rows = append(t.Rows, []Cell{Num(c.ID), Str(c.Code), Str(c.Name), Num(int64(c.Met)), Num(int64(c.Total)), pct(c.Score, 1), Yes(c.Complete), Str(join(miss, b.lang))})
			bars = append(bars, Bar{Label: c.Name, Value: pct(c.Score, 1).Rounded()})
		}
		t.Total = []Cell{NA(), Str(""), b.total(), NA(), NA(), pct(meanScore, 1), Str(fmt.Sprintf("%d / %d", rep.Complete, len(scores))), Str("")}
		s.Tables = append(s.Tables, t)
		s.Bars = append(s.Bars, BarChart{Title: b.t("bar_score"), Unit: "%", Target: 100, Max: 100, Bars: lowest(bars)})
	} else {
		// Only the level asked for: communities counted by the area they belong to.
		of := b.communityAreas
		type agg struct {
			n, complete int
			score       float64
		}
		by := map[int64]*agg{}
		for _, c := range scores {
			id := of[c.ID] // 0: no area
			x := by[id]
			if x == nil {
				x = &agg{}
				by[id] = x
			}
			x.n++
			x.score += c.Score
			if c.Complete {
				x.complete++
			}
		}
		ids := make([]int64, 0, len(b.areas))
		for id := range b.areas {
			ids = append(ids, id)
		}
		if by[0] != nil {
			ids = append(ids, 0)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		t := &Table{Name: "complete-communities-" + b.req.Level, Sheet: b.t("sh_cc") + "-" + b.levelName(b.req.Level),
			Title: fmt.Sprintf(b.t("paren"), b.t("ind_complete"), b.levelName(b.req.Level)),
			Columns: []Column{b.idCol(), col("code", b.t("col_code"), Text, 0), col("name", b.t("col_name"), Text, 0),
				col("communities", b.t("col_communities"), Int, 0), col("complete", b.t("col_n_complete"), Int, 0),
				col("complete_pct", b.t("col_complete_pct"), Float, 1), col("mean_score_pct", b.t("col_mean_score"), Float, 1)}}
		for _, id := range ids {
			x := by[id]
			name := b.areas[id].Name
			if id == 0 {
				name = b.t("outside_any")
			}
			if x == nil || x.n == 0 {
				t.Rows = append(t.Rows, []Cell{Num(id), Str(b.code(id)), Str(name), Num(0), Num(0), NA(), NA()})
				continue
			}
			t.Rows = append(t.Rows, []Cell{Num(id), Str(b.code(id)), Str(name), Num(int64(x.n)), Num(int64(x.complete)),
				pct(float64(x.complete)/float64(x.n), 1), pct(x.score/float64(x.n), 1)})
			bars = append(bars, Bar{Label: name, Value: pct(float64(x.complete)/float64(x.n), 1).Rounded()})
		}
		share := NA()
		if len(scores) > 0 {
			share = pct(float64(rep.Complete)/float64(len(scores)), 1)
		}
		t.Total = []Cell{NA(), Str(""), b.total(), Num(int64(len(scores))), Num(int64(rep.Complete)), share, pct(meanScore, 1)}
		s.Tables = append(s.Tables, t)
		s.Bars = append(s.Bars, BarChart{Title: fmt.Sprintf(b.t("bar_cc_share"), b.levelName(b.req.Level)), Unit: "%", Target: 100, Max: 100, Bars: lowest(bars)})
	}
	s.Layers = append(s.Layers, &Layer{Name: "complete_communities", Title: b.t("lyr_complete"), GeoJSON: geo,
		Style: Style{Stroke: "#ffffff", StrokeWidth: 0.6, Opacity: 0.55},
		Color: func(p map[string]any) string {
			if p["complete"] == true {
				return "#1a9641"
			}
			return "#fdae61"
		},
		Legend: []LegendEntry{{b.t("complete"), "#1a9641"}, {b.t("incomplete"), "#fdae61"}}})
	return s, nil
}

func buildCorridors(ctx context.Context, b *builder) (*Section, error) {
	rep, err := b.src.Checks.Corridors(ctx, checks.Request{City: b.req.City, AsOf: b.req.AsOf})
	if err != nil {
		return nil, err
	}
	geo, err := b.geojson(ctx, rep)
	if err != nil {
		return nil, err
	}
	s := &Section{Key: "corridors", Title: b.t("ind_corridors"), Caliber: fmt.Sprintf(b.t("cal_corr"), rep.MinWidth), Method: b.t("m_corr")}
	narrow, breaks := 0, 0
	cs := append([]checks.CorridorResult(nil), rep.Corridors...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
	t := &Table{Name: "corridors", Sheet: b.t("sh_corr"), Title: b.t("ind_corridors"),
		Columns: []Column{b.idCol(), col("name", b.t("col_name"), Text, 0), col("kind", b.t("col_kind"), Text, 0),
			col("length_km", b.t("col_length"), Float, 2), col("required_km", b.t("col_required"), Float, 2), col("compliant_km", b.t("col_compliant"), Float, 2),
			col("min_width_m", b.t("col_minwidth"), Float, 1), col("breaks", b.t("col_breaks"), Int, 0), col("share_pct", b.t("col_share"), Float, 1),
			col("residential_inside_ha", b.t("col_res_in"), Float, 2), col("facilities_inside", b.t("col_fac_in"), Int, 0)}}
	var bars []Bar
	var length, required, compliant, resIn float64
	facIn := 0
	for _, c := range cs {
		narrow += len(c.Narrow)
		breaks += len(c.Breaks)
		length += c.Length
		required += c.RequiredLength
		compliant += c.CompliantLength
		resIn += c.Encroachment.ResidentialArea
		facIn += len(c.Encroachment.Facilities)
		t.Rows = append(t.Rows, []Cell{Num(c.ID), Str(c.Name), Str(b.corridorKind(c.Kind)), Flt(c.Length/1e3, 2), Flt(c.RequiredLength/1e3, 2), Flt(c.CompliantLength/1e3, 2),
			Flt(c.MinWidth, 1), Num(int64(len(c.Breaks))), pct(c.Share, 1), ha(c.Encroachment.ResidentialArea, 2), Num(int64(len(c.Encroachment.Facilities)))})
		bars = append(bars, Bar{Label: c.Name, Value: pct(c.Share, 1).Rounded()})
	}
	if len(cs) > 0 {
		t.Total = []Cell{NA(), b.total(), Str(""), Flt(length/1e3, 2), Flt(required/1e3, 2), Flt(compliant/1e3, 2), NA(), Num(int64(breaks)), pct(rep.Share, 1), ha(resIn, 2), Num(int64(facIn))}
	}
	s.Figures = append(s.Figures, Figure{Label: b.t("f_corr_share"), Value: pct(rep.Share, 1), Unit: "%"},
		Figure{Label: b.t("f_narrow"), Value: Num(int64(narrow)), Unit: b.t("unit_count")},
		Figure{Label: b.t("f_breaks"), Value: Num(int64(breaks)), Unit: b.t("unit_count")})
	s.Tables = append(s.Tables, t)
	s.Bars = append(s.Bars, BarChart{Title: b.t("f_corr_share"), Unit: "%", Target: 100, Max: 100, Bars: lowest(bars)})
	s.Layers = append(s.Layers, &Layer{Name: "corridors", Title: b.t("lyr_corridors"), GeoJSON: geo,
		Style: Style{StrokeWidth: 2.2, Opacity: 1},
		Color: func(p map[string]any) string {
			switch p["kind"] {
			case "centreline":
				if p["compliant"] == true {
					return "#1a9641"
				}
				return "#2b83ba"
			case "break":
				return "#7b3294"
			}
			return "#d7191c"
		},
		Legend: []LegendEntry{{b.t("met"), "#1a9641"}, {b.t("not_met"), "#2b83ba"}, {b.t("f_narrow"), "#d7191c"}, {b.t("f_breaks"), "#7b3294"}}})
	return s, nil
}

// corridorKind localizes a corridor's kind when it is one of the known words.
func (b *builder) corridorKind(k string) string {
	if v := T(b.lang, "kind_"+k); v != "kind_"+k {
		return v
	}
	return k
}

// layerName localizes an input layer's table name (eco_redlines → 生态保护红线).
func layerName(lang, layer string) string {
	if v := T(lang, "layer_"+layer); v != "layer_"+layer {
		return v
	}
	return layer
}

func (b *builder) editionName(e *checks.EditionInfo) string {
	if e == nil {
		return "—"
	}
	return fmt.Sprintf(b.t("paren"), e.Edition, e.ValidFrom)
}

func buildControlLines(ctx context.Context, b *builder) (*Section, error) {
	rep, err := b.src.Checks.ControlLines(ctx, checks.Request{City: b.req.City, AsOf: b.req.AsOf})
	if err != nil {
		return nil, err
	}
	geo, err := b.geojson(ctx, rep)
	if err != nil {
		return nil, err
	}
	s := &Section{Key: "control-lines", Title: b.t("ind_control"), Caliber: fmt.Sprintf(b.t("cal_control"), rep.MinOverlap), Method: b.t("m_overlay")}
	s.Figures = append(s.Figures, Figure{Label: b.t("f_overlaps"), Value: Num(int64(len(rep.Overlaps))), Unit: b.t("unit_count")},
		Figure{Label: b.t("f_overlap_ha"), Value: ha(rep.TotalArea, 2), Unit: b.t("unit_ha")})
	ov := append([]checks.Overlap(nil), rep.Overlaps...)
	sort.Slice(ov, func(i, j int) bool {
		x, y := ov[i], ov[j]
		if x.A != y.A {
			return x.A < y.A
		}
		if x.AID != y.AID {
			return x.AID < y.AID
		}
		if x.B != y.B {
			return x.B < y.B
		}
		return x.BID < y.BID
	})
	t := &Table{Name: "control-lines", Sheet: b.t("sh_control"), Title: b.t("ind_control"),
		Columns: []Column{col("a", b.t("col_layer_a"), Text, 0), col("a_id", b.t("col_id_a"), Int, 0), col("a_name", b.t("col_name_a"), Text, 0),
			col("b", b.t("col_layer_b"), Text, 0), col("b_id", b.t("col_id_b"), Int, 0), col("b_name", b.t("col_name_b"), Text, 0), col("area_ha", b.t("col_area"), Float, 3)}}
	for _, o := range ov {
		t.Rows = append(t.Rows, []Cell{Str(layerName(b.lang, o.A)), Num(o.AID), Str(o.AName), Str(layerName(b.lang, o.B)), Num(o.BID), Str(o.BName), ha(o.Area, 3)})
	}
	if len(ov) > 0 {
		t.Total = []Cell{b.total(), NA(), Str(""), Str(""), NA(), Str(""), ha(rep.TotalArea, 3)}
	}
	s.Tables = append(s.Tables, t)
	s.Layers = append(s.Layers, &Layer{Name: "control_line_overlaps", Title: b.t("lyr_overlaps"), GeoJSON: geo,
		Style: Style{Fill: "#d7191c", Stroke: "#7f0000", StrokeWidth: 1.2, Opacity: 0.9}})
	if rep.Edition != nil {
		s.Notes = append(s.Notes, fmt.Sprintf(b.t("n_edition"), b.editionName(rep.Edition)))
	} else {
		s.Notes = append(s.Notes, b.t("n_no_boundary"))
	}
	return s, nil
}

func buildGrowthDiff(ctx context.Context, b *builder) (*Section, error) {
	// The diff compares the two latest editions by valid_from.
	var l *checks.Layers
	var err error
	if b.at != nil { // the editions of the boundary recorded by then
		var c checks.City
		if c, err = b.src.Checks.Store.City(ctx, b.req.City); err == nil {
			l, err = b.src.Checks.Store.LoadAsOf(ctx, c, checks.NeedBoundaries, b.at.At)
		}
	} else {
		l, err = b.src.Checks.Store.Load(ctx, b.req.City, checks.NeedBoundaries)
	}
	if err != nil {
		return nil, err
	}
	eds := append([]checks.Boundary(nil), l.Boundaries...)
	sort.SliceStable(eds, func(i, j int) bool { return eds[i].ValidFrom.Before(eds[j].ValidFrom) })
	s := &Section{Key: "growth-diff", Title: b.t("ind_growth"), Caliber: b.t("cal_growth"), Method: b.t("m_difference")}
	if len(eds) < 2 {
		s.Notes = append(s.Notes, b.t("n_no_boundary"))
		return s, nil
	}
	rep, err := b.src.Checks.GrowthDiff(ctx, checks.Request{City: b.req.City, From: eds[len(eds)-2].Edition, To: eds[len(eds)-1].Edition, AsOf: b.req.AsOf})
	if err != nil {
		return nil, err
	}
	geo, err := b.geojson(ctx, rep)
	if err != nil {
		return nil, err
	}
	s.Figures = append(s.Figures, Figure{Label: b.t("f_added"), Value: ha(rep.AddedArea, 2), Unit: b.t("unit_ha")},
		Figure{Label: b.t("f_removed"), Value: ha(rep.RemovedArea, 2), Unit: b.t("unit_ha")},
		Figure{Label: b.t("f_net"), Value: ha(rep.NetChange, 2), Unit: b.t("unit_ha")})
	t := &Table{Name: "growth-diff", Sheet: b.t("sh_growth"), Title: b.t("ind_growth"),
		Columns: []Column{col("change", b.t("col_change"), Text, 0), col("area_ha", b.t("col_area"), Float, 2)}}
	add := func(kind string, ps []checks.DiffPiece) {
		as := make([]float64, 0, len(ps))
		for _, p := range ps {
			as = append(as, p.Area)
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(as)))
		for _, a := range as {
			t.Rows = append(t.Rows, []Cell{Str(b.t(kind)), ha(a, 2)})
		}
	}
	add("added", rep.Added)
	add("removed", rep.Removed)
	t.Total = []Cell{Str(b.t("f_net")), ha(rep.NetChange, 2)}
	s.Tables = append(s.Tables, t)
	s.Layers = append(s.Layers, &Layer{Name: "growth_boundary_diff", Title: b.t("lyr_growth"), GeoJSON: geo,
		Style: Style{Stroke: "#333333", StrokeWidth: 0.5, Opacity: 0.75},
		Color: func(p map[string]any) string {
			if p["kind"] == "added" {
				return "#e66101"
			}
			return "#5e3c99"
		},
		Legend: []LegendEntry{{b.t("added"), "#e66101"}, {b.t("removed"), "#5e3c99"}}})
	if rep.From != nil && rep.To != nil {
		s.Notes = append(s.Notes, fmt.Sprintf(b.t("n_editions"), b.editionName(rep.From), b.editionName(rep.To)))
	}
	return s, nil
}

func buildOutside(ctx context.Context, b *builder) (*Section, error) {
	rep, err := b.src.Checks.Outside(ctx, checks.Request{City: b.req.City, AsOf: b.req.AsOf})
	if err != nil {
		return nil, err
	}
	geo, err := b.geojson(ctx, rep)
	if err != nil {
		return nil, err
	}
	s := &Section{Key: "outside", Title: b.t("ind_outside"), Caliber: b.t("cal_growth"), Method: b.t("m_difference")}
	s.Figures = append(s.Figures, Figure{Label: b.t("f_res_out"), Value: ha(rep.ResidentialOutside, 2), Unit: b.t("unit_ha")},
		Figure{Label: b.t("f_pop_out"), Value: Flt(rep.PopulationOutside, 0), Unit: b.t("unit_people")},
		Figure{Label: b.t("f_fac_out"), Value: Num(int64(len(rep.Facilities))), Unit: b.t("unit_count")})
	res := append([]checks.OutsideLand(nil), rep.Residential...)
	sort.Slice(res, func(i, j int) bool { return res[i].ID < res[j].ID })
	t := &Table{Name: "outside-residential", Sheet: b.t("sh_out_res"), Title: b.t("f_res_out"),
		Columns: []Column{col("id", b.t("col_parcel_id"), Int, 0), col("area_ha", b.t("col_area"), Float, 2), col("outside_ha", b.t("col_outside_ha"), Float, 2), col("population", b.t("col_pop"), Int, 0)}}
	var area, outside float64
	pop := 0
	for _, r := range res {
		area += r.Area
		outside += r.OutsideArea
		pop += r.Population
		t.Rows = append(t.Rows, []Cell{Num(r.ID), ha(r.Area, 2), ha(r.OutsideArea, 2), Num(int64(r.Population))})
	}
	if len(res) > 0 {
		t.Total = []Cell{b.total(), ha(area, 2), ha(outside, 2), Num(int64(pop))}
	}
	fac := append([]checks.OutsideFacility(nil), rep.Facilities...)
	sort.Slice(fac, func(i, j int) bool { return fac[i].ID < fac[j].ID })
	tf := &Table{Name: "outside-facilities", Sheet: b.t("sh_out_fac"), Title: b.t("f_fac_out"),
		Columns: []Column{col("id", b.t("col_facility_id"), Int, 0), col("category", b.t("col_category"), Text, 0), col("name", b.t("col_name"), Text, 0)}}
	for _, f := range fac {
		tf.Rows = append(tf.Rows, []Cell{Num(f.ID), Str(b.category(f.Category)), Str(f.Name)})
	}
	s.Tables = append(s.Tables, t, tf)
	s.Layers = append(s.Layers, &Layer{Name: "outside_boundary", Title: b.t("lyr_outside"), GeoJSON: geo,
		Style: Style{Fill: "#d7191c", Stroke: "#7f0000", StrokeWidth: 0.6, Opacity: 0.9, Point: 2.5}})
	if rep.Edition != nil {
		s.Notes = append(s.Notes, fmt.Sprintf(b.t("n_edition"), b.editionName(rep.Edition)))
	} else {
		s.Notes = append(s.Notes, b.t("n_no_boundary"))
	}
	return s, nil
}

// category localizes a facility category code by facility_categories (read once per
// report); an unknown code is printed as stored.
func (b *builder) category(code string) string {
	if n, ok := b.categories[code]; ok {
		return n
	}
	return code
}

// shortHash is a 16-hex-digit digest of a change-detector string, for printing.
func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}
