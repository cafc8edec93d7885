// Package seed loads the Baotou demo into PostGIS: the real city and district outlines and
// the Yellow River from geodata, and the generated city from internal/synth. Everything is
// written in one transaction (all or nothing) with COPY, with per-row history switched off
// (cityreach.bulk_load) and one bulk_loads and city_layers row per layer and data source
// instead.
package seed
