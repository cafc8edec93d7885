package crs

import (
	"fmt"
	"strconv"
)

// kind is the family a CRS belongs to; together with the SRID it decides
// every property of a CRS.
type kind uint8

const (
	kindCRS84       kind = iota + 1 // OGC:CRS84, WGS 84 longitude/latitude.
	kindEPSG4326                    // EPSG:4326 by its EPSG name, latitude/longitude.
	kindCGCS2000                    // EPSG:4490, CGCS2000 latitude/longitude.
	kindWebMercator                 // EPSG:3857.
	kindGK3                         // CGCS2000 3-degree Gauss–Krüger, no zone prefix.
	kindGK3Prefixed                 // CGCS2000 3-degree Gauss–Krüger, zone prefix in false easting.
	kindGK6                         // CGCS2000 6-degree Gauss–Krüger, no zone prefix.
	kindGK6Prefixed                 // CGCS2000 6-degree Gauss–Krüger, zone prefix in false easting.
	kindUTMNorth                    // WGS 84 / UTM zone nN.
	kindUTMSouth                    // WGS 84 / UTM zone nS.
	kindGCJ02                       // GCJ-02 pseudo-CRS, no EPSG code.
)

// EPSG code ranges of the allow-list. The CGCS2000 Gauss–Krüger codes follow
// the EPSG registry:
//
//	4491–4501  CGCS2000 / Gauss-Kruger zone 13 … zone 23 (6°, CM 75°E … 135°E, false easting zone·10⁶+500000 m)
//	4502–4512  CGCS2000 / Gauss-Kruger CM 75E … CM 135E (6°, false easting 500000 m)
//	4513–4533  CGCS2000 / 3-degree Gauss-Kruger zone 25 … zone 45 (CM 75°E … 135°E, false easting zone·10⁶+500000 m)
//	4534–4554  CGCS2000 / 3-degree Gauss-Kruger CM 75E … CM 135E (false easting 500000 m)
//
// so a 6° zone n has CM 6n−3 and a 3° zone n has CM 3n.
const (
	sridWGS84       = 4326
	sridCGCS2000    = 4490
	sridWebMercator = 3857

	sridGK6PrefixedFirst = 4491 // zone 13, CM 75°E
	sridGK6First         = 4502 // CM 75°E
	sridGK3PrefixedFirst = 4513 // zone 25, CM 75°E
	sridGK3First         = 4534 // CM 75°E
	gk6Zones             = 11   // CM 75°E … 135°E in 6° steps
	gk3Zones             = 21   // CM 75°E … 135°E in 3° steps
	gkFirstCM            = 75.0 // degrees east

	sridUTMNorthFirst = 32601
	sridUTMSouthFirst = 32701
	utmZones          = 60
)

// CRS is one coordinate reference system of the allow-list. The zero value is
// not a valid CRS; obtain one from ParseCRS or FromSRID. CRS values are
// comparable: two CRSs are equal when they are the same system named the same
// way (OGC:CRS84 and EPSG:4326 share an SRID but differ in axis order, so they
// are not equal).
type CRS struct {
	kind kind
	srid int
}

// FromSRID returns the CRS stored in PostGIS under srid. SRID 4326 yields
// OGC:CRS84 because PostGIS keeps longitude first. It returns an error
// wrapping ErrUnsupported for an SRID outside the allow-list, including 0
// (GCJ-02 has no SRID and is never stored).
func FromSRID(srid int) (CRS, error) {
	if c, ok := fromEPSG(srid); ok {
		if c.kind == kindEPSG4326 {
			c.kind = kindCRS84
		}
		return c, nil
	}
	return CRS{}, fmt.Errorf("%w: SRID %d", ErrUnsupported, srid)
}

// fromEPSG maps an EPSG code to its CRS; EPSG:4326 keeps its EPSG
// (latitude-first) axis order.
func fromEPSG(code int) (CRS, bool) {
	switch {
	case code == sridWGS84:
		return CRS{kindEPSG4326, code}, true
	case code == sridCGCS2000:
		return CRS{kindCGCS2000, code}, true
	case code == sridWebMercator:
		return CRS{kindWebMercator, code}, true
	case inRange(code, sridGK6PrefixedFirst, gk6Zones):
		return CRS{kindGK6Prefixed, code}, true
	case inRange(code, sridGK6First, gk6Zones):
		return CRS{kindGK6, code}, true
	case inRange(code, sridGK3PrefixedFirst, gk3Zones):
		return CRS{kindGK3Prefixed, code}, true
	case inRange(code, sridGK3First, gk3Zones):
		return CRS{kindGK3, code}, true
	case inRange(code, sridUTMNorthFirst, utmZones):
		return CRS{kindUTMNorth, code}, true
	case inRange(code, sridUTMSouthFirst, utmZones):
		return CRS{kindUTMSouth, code}, true
	}
	return CRS{}, false
}

func inRange(code, first, n int) bool { return code >= first && code < first+n }

// SRID returns the EPSG code under which PostGIS stores the CRS, 4326 for
// OGC:CRS84, and 0 for GCJ-02, which has none and must be converted to
// WGS 84 before storage.
func (c CRS) SRID() int { return c.srid }

// IsGeographic reports whether coordinates are longitude and latitude in
// degrees (CRS84, EPSG:4326, EPSG:4490 and GCJ-02) rather than metres.
func (c CRS) IsGeographic() bool {
	switch c.kind {
	case kindCRS84, kindEPSG4326, kindCGCS2000, kindGCJ02:
		return true
	}
	return false
}

// AxisOrderLatLon reports whether the authority defines latitude as the first
// axis: true for EPSG:4326 and EPSG:4490, false for OGC:CRS84, GCJ-02 (by
// convention of the map vendors) and the projected systems (easting first as
// the service uses them). The service itself always keeps longitude first;
// see the package documentation.
func (c CRS) AxisOrderLatLon() bool {
	return c.kind == kindEPSG4326 || c.kind == kindCGCS2000
}

// URI returns the OGC http URI of the CRS, as used in OGC API Features
// Content-Crs headers, for example
// "http://www.opengis.net/def/crs/EPSG/0/4490". OGC:CRS84 (which is what
// FromSRID(4326) returns) yields "http://www.opengis.net/def/crs/OGC/1.3/CRS84".
// GCJ-02 has no registered URI and yields "".
func (c CRS) URI() string {
	switch c.kind {
	case 0, kindGCJ02:
		return ""
	case kindCRS84:
		return "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	}
	return "http://www.opengis.net/def/crs/EPSG/0/" + strconv.Itoa(c.srid)
}

// String returns the short name of the CRS: "OGC:CRS84", "GCJ-02", or
// "EPSG:<code>". ParseCRS accepts every string it returns.
func (c CRS) String() string {
	switch c.kind {
	case 0:
		return "invalid CRS"
	case kindCRS84:
		return "OGC:CRS84"
	case kindGCJ02:
		return "GCJ-02"
	}
	return "EPSG:" + strconv.Itoa(c.srid)
}

// CentralMeridian returns the central meridian in degrees east of a
// Gauss–Krüger or UTM CRS, and false for every other CRS.
func (c CRS) CentralMeridian() (float64, bool) {
	switch c.kind {
	case kindGK3:
		return gkFirstCM + 3*float64(c.srid-sridGK3First), true
	case kindGK3Prefixed:
		return gkFirstCM + 3*float64(c.srid-sridGK3PrefixedFirst), true
	case kindGK6:
		return gkFirstCM + 6*float64(c.srid-sridGK6First), true
	case kindGK6Prefixed:
		return gkFirstCM + 6*float64(c.srid-sridGK6PrefixedFirst), true
	case kindUTMNorth:
		return utmCentralMeridian(c.srid - sridUTMNorthFirst + 1), true
	case kindUTMSouth:
		return utmCentralMeridian(c.srid - sridUTMSouthFirst + 1), true
	}
	return 0, false
}
