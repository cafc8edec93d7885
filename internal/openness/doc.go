// Package openness decides whether a park can be entered: its opening hours (a subset of
// OSM opening_hours), its open status (parks.open_status) and the status and hours of each
// gate (park_entrances). It is the one rule park coverage's network method and the living
// circle both use to choose a park's access points (docs/coverage.md, "Gates and opening
// hours").
package openness
