// Package crs names the coordinate reference systems that cityreach accepts
// from clients and importers, chooses a metric CRS for area and distance work,
// and converts between WGS 84 and the GCJ-02 offset coordinates used by AMap
// and Tencent maps.
//
// Only an allow-list of CRSs is accepted (see ParseCRS): geographic WGS 84
// (OGC:CRS84 and EPSG:4326), geographic CGCS2000 (EPSG:4490), Web Mercator
// (EPSG:3857), the CGCS2000 Gauss–Krüger zones covering China, the WGS 84 UTM
// zones, and the GCJ-02 pseudo-CRS.
//
// Axis order. The service stores and exchanges every geographic coordinate as
// longitude, latitude (x = longitude in PostGIS), as RFC 7946 requires for
// GeoJSON, whatever name the CRS was given by. AxisOrderLatLon only reports
// what the authority defines (EPSG:4326 and EPSG:4490 are latitude-first; the
// OGC CRS84 is longitude-first), so that an OGC API handler that is asked for
// output "in EPSG:4326" can decide whether to swap; GeoJSON is never swapped.
//
// WGS 84 and CGCS2000 differ by a few centimetres at the epoch of use, which is
// below the accuracy of planning data, so the package treats them as equal and
// does no datum shift between them.
package crs
