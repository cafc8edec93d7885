// Package featurewrite is the one write path of the planning layers: attribute conversion
// (the registry's types, integer widths from the real columns, bounds, enums, required
// attributes, text lengths), geometry checks (the layer's type, ST_IsValidDetail with
// reason and location, optional repair), the INSERT/UPDATE/DELETE built from the registry
// inside the caller's transaction, and the classification of constraint violations.
//
// The layers API and OGC API – Features Part 4 (featureapi.Store.Edit), the scenario trial
// and promotion (internal/scenario) and the importers (internal/importer) all call it, so a
// value is accepted or refused, with the same words, whichever door it comes through. It
// returns internal/fault errors; problem.Respond turns them into problem documents.
package featurewrite
