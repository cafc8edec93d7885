// Package coverage computes the park service-radius coverage indicator
// (公园绿地服务半径覆盖率) of docs/standards.md §1 over an in-memory Snapshot of a city's
// parks, residential land, administrative areas and walking network.
//
// The indicator is
//
//	coverage = area(居住用地 ∩ ⋃ service_area(park_i)) / area(居住用地) × 100 %
//
// computed exactly on polygons: overlapping service areas count once. Which parks count
// and their radius come from a caliber (internal/caliber). Two distance methods:
//
//   - buffer: the service area of a park is its metric polygon buffered by its radius
//     with GEOS (8 segments per quarter circle, round joins: the same polygon as PostGIS
//     ST_Buffer(geom_m, r)). Per parcel: inside one buffer → its whole area; disjoint from
//     every buffer → 0; otherwise area(parcel ∩ ⋃ touching buffers).
//   - network: walking distance from the park's entrances (recorded ones, otherwise the
//     access points of walkgraph.ParkAccessPoints, the living circle's too: where walkable
//     edges cross the boundary, else facing those within EntranceSnapM) along
//     internal/network. The covered area is parcel ∩ (reached edge pieces
//     buffered by Tolerance) ∩ ⋃ Euclidean service areas. The last term is not an
//     approximation: walking distance is never shorter than straight-line distance, so no
//     point outside the Euclidean buffer can be within the radius on foot. It makes the
//     network figure at most the buffer figure, parcel by parcel, by construction; and no
//     covered point has a walking distance exceeding the radius by more than Tolerance.
//
// All geometry is in the city's metric CRS (metres); areas are m². Parcels are assigned
// to districts, 街道 and communities by the area containing their point on surface, so a
// parcel straddling a boundary counts whole on the side holding that point. Results
// depend only on the Snapshot, so a scenario computes "baseline + changes" by building
// its Snapshot with Snapshot.With.
package coverage
