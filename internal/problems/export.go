package problems

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cityreach/cityreach/internal/edition"
)

// The media types of the exports.
const (
	XLSXType    = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	GeoJSONType = "application/geo+json"
)

// WriteXLSX writes the ledger as a workbook in lang: the problem list (one row per problem,
// in the ledger's order, with the administrative codes), the 整治率 (the city, then each
// district and community) and an About sheet (the editions, the caliber, the thresholds).
// Ratios are stored as numbers rounded to 4 decimals; the file depends only on the ledger.
func WriteXLSX(w io.Writer, led *Ledger, lang string) error {
	f := excelize.NewFile()
	defer f.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	stamp := led.To.At.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{Created: stamp, Modified: stamp, Creator: "cityreach", Title: T(lang, "sheet_problems") + " — " + led.CityName}); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	sheet := func(name string, first bool, header []string, rows [][]any) error {
		if first {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		for r, row := range append([][]any{toAny(header)}, rows...) {
			cell, err := excelize.CoordinatesToCellName(1, r+1)
			if err != nil {
				return err
			}
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				return err
			}
		}
		last, _ := excelize.CoordinatesToCellName(len(header), 1)
		if err := f.SetCellStyle(name, "A1", last, bold); err != nil {
			return err
		}
		return f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	var rows [][]any
	for i := range led.Problems {
		p := &led.Problems[i]
		rows = append(rows, []any{p.ID, T(lang, p.Status), T(lang, p.Indicator), p.Unit.DistrictCode, p.Unit.DistrictName, p.Unit.SubdistrictName,
			p.Unit.Code, p.Unit.Name, round(p.Value), round(p.Threshold), opt(p.Before), opt(p.After), RemedyText(lang, p)})
	}
	if err := sheet(T(lang, "sheet_problems"), true, words4(lang, "id", "status", "indicator", "district_code", "district", "subdistrict",
		"unit_code", "unit", "value", "threshold", "before", "after", "remedy"), rows); err != nil {
		return err
	}
	rows = nil
	for _, r := range append(append([]Rate{led.Rate}, led.Districts...), led.Units...) {
		rows = append(rows, []any{T(lang, "l"+r.Level), r.Code, r.Name, r.Earlier, r.Fixed, r.Persisting, r.New, opt(r.Rate)})
	}
	if err := sheet(T(lang, "sheet_rates"), false, words4(lang, "level", "code", "name", "earlier", "n_fixed", "n_persisting", "n_new", "rate"), rows); err != nil {
		return err
	}
	from := T(lang, "none")
	if led.From != nil {
		from = edName(lang, *led.From, false)
	}
	about := [][]any{
		{T(lang, "city"), led.CityName + " (" + led.City + ")"},
		{T(lang, "from"), from},
		{T(lang, "to"), edName(lang, led.To, led.ToNow)},
		{T(lang, "caliber"), led.Caliber},
		{T(lang, "method"), led.Method},
	}
	for _, ind := range led.Indicators {
		about = append(about, []any{T(lang, "threshold") + " · " + T(lang, ind), round(led.Thresholds[ind])})
	}
	about = append(about, []any{T(lang, "rate"), T(lang, "rate_note")})
	if err := sheet(T(lang, "sheet_about"), false, []string{"", ""}, about); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}

// edName names a state: the edition and its instant (Beijing time), or the current data.
func edName(lang string, a edition.AsOf, now bool) string {
	at := a.At.In(edition.Beijing).Format(time.DateTime) + " UTC+8"
	switch {
	case now:
		return T(lang, "now") + " (" + at + ")"
	case a.Edition != "":
		return a.Edition + " (" + at + ")"
	}
	return at
}

func words4(lang string, keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = T(lang, k)
	}
	return out
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// opt is a cell of an optional ratio: the number, or empty.
func opt(v *float64) any {
	if v == nil {
		return nil
	}
	return round(*v)
}

// GeoJSON is the ledger as a FeatureCollection (EPSG:4326): a feature per problem, its
// unit's boundary with the problem's fields (remedy_text in lang), then a Point feature
// per candidate site of a remedy (kind "site", with the problem's id); the collection also
// carries the ledger's editions, thresholds and rates.
func GeoJSON(led *Ledger, lang string) ([]byte, error) {
	type feature struct {
		Type       string          `json:"type"`
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	fs := []feature{}
	var sites []feature
	for i := range led.Problems {
		p := &led.Problems[i]
		fs = append(fs, feature{Type: "Feature", ID: p.ID, Geometry: p.Geometry(), Properties: map[string]any{
			"kind": "problem", "id": p.ID, "key": p.Key, "indicator": p.Indicator, "indicator_name": T(lang, p.Indicator),
			"status": p.Status, "status_name": T(lang, p.Status),
			"unit_code": p.Unit.Code, "unit_name": p.Unit.Name, "district_code": p.Unit.DistrictCode, "district_name": p.Unit.DistrictName,
			"subdistrict_code": p.Unit.SubdistrictCode, "subdistrict_name": p.Unit.SubdistrictName,
			"value": p.Value, "threshold": p.Threshold, "before": p.Before, "after": p.After,
			"missing": p.Remedy.Missing, "sites": len(p.Remedy.Sites), "remedy_text": RemedyText(lang, p)}})
		for _, s := range p.Remedy.Sites {
			g, err := json.Marshal(map[string]any{"type": "Point", "coordinates": []float64{s.Lon, s.Lat}})
			if err != nil {
				return nil, err
			}
			sites = append(sites, feature{Type: "Feature", ID: p.ID + "-site-" + strconv.Itoa(s.Rank), Geometry: g, Properties: map[string]any{
				"kind": "site", "problem_id": p.ID, "indicator": p.Indicator, "status": p.Status, "unit_code": p.Unit.Code,
				"district_code": p.Unit.DistrictCode, "rank": s.Rank, "area_m2": s.AreaM2, "gain_m2": s.GainM2, "gain_population": s.GainPopulation}})
		}
	}
	// The ledger's heading and rates ride along as foreign members (RFC 7946 §6.1), so a map
	// needs one request for the layer and its summary.
	return json.Marshal(map[string]any{"type": "FeatureCollection", "features": append(fs, sites...),
		"city": led.City, "city_name": led.CityName, "from": led.From, "to": led.To, "to_now": led.ToNow, "indicators": led.Indicators,
		"caliber": led.Caliber, "method": led.Method, "thresholds": led.Thresholds, "rate": led.Rate, "districts": led.Districts, "units": led.Units})
}
