package crs

import "math"

// chinaGKBox is the longitude/latitude rectangle, in degrees, inside which
// MetricSRIDFor chooses a CGCS2000 3-degree Gauss–Krüger zone. Its east and
// west edges are the outer edges of the zones with CM 75°E and CM 135°E, so
// every point inside has an EPSG code; its south and north edges enclose the
// Nansha islands (≈3.8°N) and Mohe (≈53.6°N). The rectangle also covers
// neighbouring countries (Mongolia, Korea, parts of Japan and South-East
// Asia); a 3° Gauss–Krüger zone is at least as accurate there as UTM, so that
// is harmless for area and distance work.
const (
	chinaGKWest  = 73.5
	chinaGKEast  = 136.5
	chinaGKSouth = 3.0
	chinaGKNorth = 54.0
)

// GaussKrugerZone3 returns the CGCS2000 3-degree Gauss–Krüger zone without
// zone prefix (EPSG:4534–4554, false easting 500 000 m) that contains the
// longitude lon in degrees east, and the zone's central meridian in degrees.
// Zones are 3° wide and centred on multiples of 3°, so a zone with central
// meridian M covers [M−1.5°, M+1.5°). For longitudes whose zone has no
// CGCS2000 code (outside 73.5°E–136.5°E) srid is 0 and centralMeridian is
// still returned; for a longitude that is not a finite number in
// [-180, 180] srid is 0 and centralMeridian is NaN.
func GaussKrugerZone3(lon float64) (srid int, centralMeridian float64) {
	if !validLon(lon) {
		return 0, math.NaN()
	}
	cm := 3 * math.Floor((lon+1.5)/3)
	if cm < gkFirstCM || cm > gkFirstCM+3*(gk3Zones-1) {
		return 0, cm
	}
	return sridGK3First + int((cm-gkFirstCM)/3), cm
}

// UTMZone returns the WGS 84 UTM zone containing the point lon, lat (degrees)
// as an EPSG code (326zz north of the equator, 327zz south of it) and the
// zone's central meridian in degrees. It applies the standard exceptions for
// south-west Norway (zone 32V) and Svalbard (zones 31X–37X). UTM is defined
// only between 80°S and 84°N; outside that the zone is still returned but its
// scale error grows. For coordinates that are not finite numbers in range
// srid is 0 and centralMeridian is NaN.
func UTMZone(lon, lat float64) (srid int, centralMeridian float64) {
	if !validLon(lon) || !validLat(lat) {
		return 0, math.NaN()
	}
	zone := utmZoneNumber(lon, lat)
	if lat < 0 {
		return sridUTMSouthFirst + zone - 1, utmCentralMeridian(zone)
	}
	return sridUTMNorthFirst + zone - 1, utmCentralMeridian(zone)
}

// utmZoneNumber returns the UTM zone number 1…60 of a valid point.
func utmZoneNumber(lon, lat float64) int {
	switch {
	case lat >= 56 && lat < 64 && lon >= 3 && lon < 12:
		return 32
	case lat >= 72 && lon >= 0 && lon < 42:
		switch {
		case lon < 9:
			return 31
		case lon < 21:
			return 33
		case lon < 33:
			return 35
		default:
			return 37
		}
	}
	zone := int(math.Floor((lon+180)/6)) + 1
	return min(zone, utmZones) // lon = 180 belongs to zone 60
}

// utmCentralMeridian returns the central meridian in degrees of UTM zone n.
func utmCentralMeridian(n int) float64 { return float64(6*n - 183) }

// MetricSRIDFor returns the EPSG code of a metric CRS suited to area and
// distance work around lon, lat (degrees): the CGCS2000 3-degree Gauss–Krüger
// zone (EPSG:4534–4554) inside the China rectangle documented on chinaGKBox,
// the WGS 84 UTM zone (EPSG:326zz/327zz) elsewhere. Every code it returns is
// accepted by ParseCRS and FromSRID. It returns 0 for coordinates that are not
// finite numbers in range.
func MetricSRIDFor(lon, lat float64) int {
	if !validLon(lon) || !validLat(lat) {
		return 0
	}
	if lon >= chinaGKWest && lon < chinaGKEast && lat >= chinaGKSouth && lat <= chinaGKNorth {
		srid, _ := GaussKrugerZone3(lon)
		return srid
	}
	srid, _ := UTMZone(lon, lat)
	return srid
}

// validLon reports whether lon is a longitude in [-180, 180]; NaN fails.
func validLon(lon float64) bool { return lon >= -180 && lon <= 180 }

// validLat reports whether lat is a latitude in [-90, 90]; NaN fails.
func validLat(lat float64) bool { return lat >= -90 && lat <= 90 }
