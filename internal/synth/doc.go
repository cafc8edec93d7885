// Package synth generates the deterministic demo city: a plausible central Baotou inside the
// real outlines of 昆都仑区, 青山区, 九原区 and 东河区, with a walking network, residential
// parcels with population, parks of every class with entrances, facilities of every
// category, 街道 and communities, ecological corridors, two growth-boundary editions, an
// ecological red line and basic farmland, and the deliberate defects the checks look for.
//
// Generate is pure: the same Params and outlines give byte-identical output. All randomness
// comes from math/rand/v2 PCG streams seeded with Params.Seed; nothing iterates a map.
// Geometry is built in a local metric frame (metres east/north of a reference point) and
// returned in EPSG:4326 lon/lat, rounded to 1e-8 degrees, so shared vertices are identical
// bit for bit. Loading into PostGIS is internal/seed's job.
package synth
