// Package capacity answers "is it big enough, and for whom" (issue 22): residents by age
// band per community (imported from a table keyed by community code), spread to the
// residential parcels of the community in proportion to their residents, and the
// two-step floating catchment area (2SFCA) of facility capacity against that demand over
// the walking network of internal/walk, per parcel and per community, with the seat or
// place gap (学位缺口). docs/capacity.md states every formula.
//
// Units and CRS. Distances are metres of walking on the city's metric CRS, computed as
// internal/walk computes them: facility access leg + network distance + parcel access leg.
// Populations are persons (fractional after the spread); capacities are in the unit of the
// category (seats, places, beds).
//
// The package has no HTTP code: errors are the plain types of errors.go; the gin handler
// lives in internal/capacity/capacityhttp.
package capacity
