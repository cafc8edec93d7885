// Package network is the pure-Go walking-network engine of cityreach: an immutable
// compressed (CSR) graph of walkable street edges, a static spatial index that attaches
// arbitrary points (homes, park entrances, facilities) to the nearest walkable edge, a
// reusable multi-source Dijkstra search with a distance cutoff, the reached edge pieces of
// a search, and isochrone polygons rasterised from those pieces.
//
// Units and CRS. Every coordinate is in one metric projected CRS (metres, x east, y north)
// and every distance, length, offset and cutoff is in metres. The package never
// reprojects; the caller loads edges in the working CRS and reprojects results.
//
// Exactness. A network distance is the float64 sum, in path order, of the initial cost of
// its source (the access leg and the along-edge offset for an attached point) and the
// Length of each edge walked. No rounding, scaling or speed conversion is applied, so the
// values can be compared with pgRouting on the same edges to 1e-6 m. Edge geometry is used
// only to place points (attachment, reached pieces, isochrones): a position at offset o on
// an edge of Length L lies at the fraction o/L of the geometry's own planar length.
//
// Concurrency. A Graph and an Index are immutable after construction and safe for
// concurrent use. A Searcher owns reusable buffers and must be used by one goroutine at a
// time; create one Searcher per worker.
package network
