// Package walk serves cityreach's walking network: it takes the city's walking graph from
// internal/walkgraph (the one graph per version of network_edges that park coverage's
// network method walks too), keeps it cached and reloads it when network_edges change, attaches homes and facilities to it, and computes from it
// the isochrones of GET /api/v1/isochrones and the 15-minute living-circle indicator
// (standards.md §2) of GET /api/v1/indicators/living-circle and
// `cityreach indicator living-circle`.
//
// Units and CRS. Everything is computed in the city's metric CRS (cities.metric_srid,
// metres) from the geom_m columns; an edge's walking cost is network_edges.length_m, so
// pgRouting with cost = length_m sees the same numbers. Results are reprojected to
// EPSG:4326 by PostGIS (ST_Transform) only at the edge of the API.
//
// Walking distance of a point. A home, a facility or an isochrone origin is attached to
// the nearest walkable edge within MaxSnap (default 200 m) and its walking distance
// includes that straight access leg: distance(home, facility) = facility access leg +
// network distance between the two attachment points + home access leg. A point with no
// walkable edge within MaxSnap is "unattached": it is counted and reported, and never
// covered.
//
// Scenarios. Every computation takes its inputs as immutable snapshots (*Network,
// *Inputs) that a scenario derives with Network.With and Inputs.With (extra or closed
// edges, extra or removed facilities and parcels) without touching the baseline.
package walk
