// Package scenario holds what-if scenarios (issue 13): a named set of changes, owned by a
// token, over a city's baseline layers — parks with their entrances, facilities,
// residential land with its population, walking-network edges, ecological corridors and
// growth-boundary editions. Scenario work never writes a baseline table: changes are
// validated like the layers API's input (the same strict GeoJSON decoder, the layer
// registry's attribute rules, and the tables' own constraints in a transaction that is
// always rolled back) and stored in scenarios / scenario_changes. A promotion applies
// every change to the baseline in one transaction, under the promoting token's name, so
// feature_history records it; any failure rolls everything back.
//
// Indicators are computed on "baseline + changes" by overlaying the changes on the
// in-memory baseline inputs (coverage.Snapshot.With, checks.Layers). Park coverage is
// recomputed incrementally: the baseline's per-parcel covered areas are cached, and only
// the parcels a change can reach — those within the service radius of a changed park, or
// within walking reach of a changed edge for the network method — are recomputed, with the
// same coverage.Compute on a sub-snapshot holding exactly the inputs those parcels depend
// on. Every geometry is in the city's metric CRS (metres, m²) except the GeoJSON sent to
// clients, which is EPSG:4326.
package scenario
