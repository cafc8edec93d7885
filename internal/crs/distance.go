package crs

import "math"

// EarthMeanRadius is the IUGG mean radius of the Earth in metres, the radius
// of the sphere HaversineMeters measures on.
const EarthMeanRadius = 6371008.8

// HaversineMeters returns the great-circle distance in metres between two
// points given as longitude and latitude in degrees, on a sphere of radius
// EarthMeanRadius. On the ellipsoid the true distance differs by up to about
// 0.5 %, which is fine for checks and rough radii; use PostGIS geography or a
// metric CRS (MetricSRIDFor) for planning figures.
func HaversineMeters(lon1, lat1, lon2, lat2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	s := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	// Rounding can push s a hair above 1 for antipodal points.
	return 2 * EarthMeanRadius * math.Asin(math.Sqrt(min(s, 1)))
}
