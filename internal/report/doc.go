// Package report builds the batch coverage report planners hand on (issue 12, docs/reports.md):
// every indicator of a city at one reporting level, as a self-contained HTML page (inline
// CSS and SVG maps and charts, no scripts, no external requests), its PDF printed by headless
// Chromium, an XLSX workbook with one sheet per indicator and level, one CSV per table, and
// the gap and check layers as GeoJSON and one GeoPackage.
//
// The report computes nothing itself: every number comes from the domain service that also
// answers the API and the CLI (internal/coverage, internal/walk, internal/checks), so the
// report, the map and the API cannot disagree. A report is a list of Sections, one per
// indicator (indicators.go); each section carries its figures, its tables, its map layers and
// the caliber, method and data version behind them.
//
// Reproducibility: the same data and caliber give byte-identical XLSX and CSV files. Rows are
// sorted, numbers are rounded to a fixed number of decimals before they are written, and the
// XLSX document properties carry the data's last-update time, not the clock. The HTML and the
// PDF show the generation date; their numbers are the same.
package report
