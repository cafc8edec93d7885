package crs

import "math"

// GCJ-02 is the obfuscated datum that Chinese law requires of published maps;
// AMap (Gaode) and Tencent show and return coordinates in it. Its forward
// function is the widely circulated public reconstruction (the one in
// eviltransform and coordtransform): a Krasovsky-ellipsoid scaling of a fixed
// trigonometric offset. The offset is 100–700 m in mainland China.

// Krasovsky 1940 ellipsoid as used by the GCJ-02 reconstruction.
const (
	gcjSemiMajor = 6378245.0              // metres
	gcjEccSq     = 0.00669342162296594323 // first eccentricity squared
)

// gcjChinaBox is the rectangle, in degrees, inside which the conversions
// apply the GCJ-02 offset; outside it coordinates pass through unchanged,
// because maps outside China are not offset. It is the de facto rectangle of
// the public implementations (72.004°E–137.8347°E, 0.8293°N–55.8271°N), kept
// identical so that our coordinates agree with theirs near its edges. It also
// covers neighbouring countries, where AMap and Tencent tiles are offset too.
const (
	gcjWest  = 72.004
	gcjEast  = 137.8347
	gcjSouth = 0.8293
	gcjNorth = 55.8271
)

// Inverse iteration limits: the offset changes by well under 1 % per degree,
// so the fixed-point iteration gains several digits per step and converges in
// 3 or 4 steps; the step cap only bounds pathological input at the rectangle
// edge, where the forward function is discontinuous.
const (
	gcjInverseTolerance = 1e-9 // degrees; below the 1e-7° contract
	gcjInverseMaxSteps  = 30
)

// InGCJ02Area reports whether lon, lat (degrees) lies in the rectangle in
// which GCJ-02 differs from WGS 84.
func InGCJ02Area(lon, lat float64) bool {
	return lon >= gcjWest && lon <= gcjEast && lat >= gcjSouth && lat <= gcjNorth
}

// WGS84ToGCJ02 converts a WGS 84 (or CGCS2000) longitude and latitude in
// degrees to GCJ-02. Points outside the GCJ-02 rectangle (see InGCJ02Area),
// and NaN input, are returned unchanged.
func WGS84ToGCJ02(lon, lat float64) (gcjLon, gcjLat float64) {
	if !InGCJ02Area(lon, lat) {
		return lon, lat
	}
	dLon, dLat := gcjOffset(lon, lat)
	return lon + dLon, lat + dLat
}

// GCJ02ToWGS84 converts a GCJ-02 longitude and latitude in degrees back to
// WGS 84. GCJ-02 has no closed-form inverse, so it iterates until applying
// WGS84ToGCJ02 to the result reproduces the input to within 1e-9 degrees
// (about 0.1 mm; the contract is better than 1e-7 degrees). Points outside
// the GCJ-02 rectangle, and NaN input, are returned unchanged.
func GCJ02ToWGS84(lon, lat float64) (wgsLon, wgsLat float64) {
	if !InGCJ02Area(lon, lat) {
		return lon, lat
	}
	wgsLon, wgsLat = lon, lat
	for range gcjInverseMaxSteps {
		gLon, gLat := WGS84ToGCJ02(wgsLon, wgsLat)
		eLon, eLat := gLon-lon, gLat-lat
		if math.Abs(eLon) < gcjInverseTolerance && math.Abs(eLat) < gcjInverseTolerance {
			break
		}
		wgsLon -= eLon
		wgsLat -= eLat
	}
	return wgsLon, wgsLat
}

// gcjOffset returns the GCJ-02 offset in degrees at a WGS 84 position.
func gcjOffset(lon, lat float64) (dLon, dLat float64) {
	x, y := lon-105, lat-35
	radLat := lat * math.Pi / 180
	magic := 1 - gcjEccSq*math.Sin(radLat)*math.Sin(radLat)
	sqrtMagic := math.Sqrt(magic)
	dLat = gcjShiftLat(x, y) * 180 / ((gcjSemiMajor * (1 - gcjEccSq)) / (magic * sqrtMagic) * math.Pi)
	dLon = gcjShiftLon(x, y) * 180 / (gcjSemiMajor / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLon, dLat
}

// gcjShiftLat is the latitude term of GCJ-02 in pseudo-metres, with x, y the
// longitude and latitude relative to 105°E, 35°N.
func gcjShiftLat(x, y float64) float64 {
	r := -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	r += (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	r += (20*math.Sin(y*math.Pi) + 40*math.Sin(y/3*math.Pi)) * 2 / 3
	r += (160*math.Sin(y/12*math.Pi) + 320*math.Sin(y*math.Pi/30)) * 2 / 3
	return r
}

// gcjShiftLon is the longitude term of GCJ-02 in pseudo-metres, with x, y the
// longitude and latitude relative to 105°E, 35°N.
func gcjShiftLon(x, y float64) float64 {
	r := 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	r += (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	r += (20*math.Sin(x*math.Pi) + 40*math.Sin(x/3*math.Pi)) * 2 / 3
	r += (150*math.Sin(x/12*math.Pi) + 300*math.Sin(x/30*math.Pi)) * 2 / 3
	return r
}
