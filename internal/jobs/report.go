package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/report"
)

// ReportProcess is the "report" process: the batch report of internal/report, with the
// inputs of report.Request.
func ReportProcess(src *report.Sources, opt report.Options) Process {
	return Process{
		ID:          "report",
		Title:       "Batch coverage report",
		Description: "Every indicator of a city at one level as HTML, PDF, XLSX, CSV, GeoJSON and GeoPackage (docs/reports.md).",
		Inputs: map[string]any{
			"city":       map[string]any{"schema": map[string]any{"type": "string"}, "minOccurs": 1},
			"level":      map[string]any{"schema": map[string]any{"type": "string", "enum": report.Levels, "default": "district"}},
			"indicators": map[string]any{"schema": map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": append(src.Available(), "checks", "all")}}},
			"caliber":    map[string]any{"schema": map[string]any{"type": "string"}, "description": "park-coverage caliber; default the city's default caliber"},
			"method":     map[string]any{"schema": map[string]any{"type": "string", "enum": []string{"buffer", "network"}}, "description": "default the caliber's default method"},
			"lang":       map[string]any{"schema": map[string]any{"type": "string", "enum": []string{"zh", "en"}, "default": "zh"}},
			"formats":    map[string]any{"schema": map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": report.Formats}}},
			"as_of":      map[string]any{"schema": map[string]any{"type": "string"}, "description": "the data as of an edition name, an RFC 3339 time or a date (docs/editions.md); default the current data"},
		},
		Prepare: func(ctx context.Context, in json.RawMessage) (any, Task, error) {
			var req report.Request
			dec := json.NewDecoder(bytes.NewReader(in))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil {
				return nil, nil, fault.Invalid(fmt.Sprintf("inputs: %v", err))
			}
			if err := req.Normalize(src.Available()); err != nil {
				return nil, nil, err
			}
			city, err := src.Store.City(ctx, req.City)
			if err != nil {
				return nil, nil, err
			}
			if req.AsOf != "" { // an unknown edition or a bad date is a 400 now, not a failed job
				if _, err := src.ResolveAsOf(ctx, city.ID, req.AsOf); err != nil {
					return nil, nil, err
				}
			}
			task := func(ctx context.Context, dir string, progress func(float64, string)) error {
				_, _, err := report.Generate(ctx, src, req, dir, opt, report.Progress(progress))
				return err
			}
			return req, task, nil
		},
		MediaType: report.MediaType,
	}
}
