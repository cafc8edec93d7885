// Package featureapi is cityreach's REST API for planning layers under /api/v1: the
// layer list with attribute schemas, and per layer the GeoJSON feature list (bbox,
// attribute equality filters, allow-listed sorting, paging), get, create, replace, patch,
// delete and history, plus the OpenAPI document and its HTML rendering.
//
// Data flows one way. Handlers (handlers_*.go) parse and check the request (params.go,
// input.go) into typed values; the Store (store*.go) turns them into SQL in which every
// value is a $n bind parameter and every identifier comes from the layer registry,
// quoted by pgx.Identifier; errors.go maps the Store's domain errors to
// application/problem+json. PostGIS serialises geometries (ST_AsGeoJSON) and property
// objects (json_build_object); Go only joins the pieces.
//
// Writes are optimistic: every feature has a version that the database bumps on each
// edit; responses carry it as the ETag, and PUT, PATCH and DELETE must send it back in
// If-Match. The token's name is set as cityreach.actor in the edit's transaction, so the
// history triggers record who made it. Store.Edit (edit.go) is the one write path: these
// handlers and OGC API – Features Part 4 (internal/ogcapi) both call it.
package featureapi
