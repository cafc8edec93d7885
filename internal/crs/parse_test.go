package crs

import (
	"errors"
	"testing"
)

func TestParseCRSAccepted(t *testing.T) {
	tests := []struct {
		in         string
		srid       int
		geographic bool
		latLon     bool
		uri        string
	}{
		{"EPSG:4326", 4326, true, true, "http://www.opengis.net/def/crs/EPSG/0/4326"},
		{"4326", 4326, true, true, "http://www.opengis.net/def/crs/EPSG/0/4326"},
		{"epsg:4326", 4326, true, true, "http://www.opengis.net/def/crs/EPSG/0/4326"},
		{"urn:ogc:def:crs:EPSG::4490", 4490, true, true, "http://www.opengis.net/def/crs/EPSG/0/4490"},
		{"urn:ogc:def:crs:EPSG:9.8.6:4490", 4490, true, true, "http://www.opengis.net/def/crs/EPSG/0/4490"},
		{"http://www.opengis.net/def/crs/EPSG/0/4490", 4490, true, true, "http://www.opengis.net/def/crs/EPSG/0/4490"},
		{"https://www.opengis.net/def/crs/EPSG/0/4490", 4490, true, true, "http://www.opengis.net/def/crs/EPSG/0/4490"},
		{"http://www.opengis.net/def/crs/OGC/1.3/CRS84", 4326, true, false, "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		{"urn:ogc:def:crs:OGC:1.3:CRS84", 4326, true, false, "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		{"CRS84", 4326, true, false, "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		{"OGC:CRS84", 4326, true, false, "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		{"GCJ-02", 0, true, false, ""},
		{"GCJ02", 0, true, false, ""},
		{"gcj02", 0, true, false, ""},
		{"EPSG:3857", 3857, false, false, "http://www.opengis.net/def/crs/EPSG/0/3857"},
		{"EPSG:4491", 4491, false, false, "http://www.opengis.net/def/crs/EPSG/0/4491"},
		{"EPSG:4501", 4501, false, false, "http://www.opengis.net/def/crs/EPSG/0/4501"},
		{"EPSG:4502", 4502, false, false, "http://www.opengis.net/def/crs/EPSG/0/4502"},
		{"EPSG:4512", 4512, false, false, "http://www.opengis.net/def/crs/EPSG/0/4512"},
		{"EPSG:4513", 4513, false, false, "http://www.opengis.net/def/crs/EPSG/0/4513"},
		{"EPSG:4533", 4533, false, false, "http://www.opengis.net/def/crs/EPSG/0/4533"},
		{"EPSG:4534", 4534, false, false, "http://www.opengis.net/def/crs/EPSG/0/4534"},
		{"EPSG:4554", 4554, false, false, "http://www.opengis.net/def/crs/EPSG/0/4554"},
		{"EPSG:32601", 32601, false, false, "http://www.opengis.net/def/crs/EPSG/0/32601"},
		{"EPSG:32660", 32660, false, false, "http://www.opengis.net/def/crs/EPSG/0/32660"},
		{"EPSG:32750", 32750, false, false, "http://www.opengis.net/def/crs/EPSG/0/32750"},
	}
	for _, tt := range tests {
		c, err := ParseCRS(tt.in)
		if err != nil {
			t.Errorf("ParseCRS(%q): %v", tt.in, err)
			continue
		}
		if c.SRID() != tt.srid || c.IsGeographic() != tt.geographic || c.AxisOrderLatLon() != tt.latLon || c.URI() != tt.uri {
			t.Errorf("ParseCRS(%q) = srid %d geographic %v latLon %v uri %q; want %d %v %v %q",
				tt.in, c.SRID(), c.IsGeographic(), c.AxisOrderLatLon(), c.URI(), tt.srid, tt.geographic, tt.latLon, tt.uri)
		}
		again, err := ParseCRS(c.String())
		if err != nil || again != c {
			t.Errorf("ParseCRS(%q.String() = %q) = %v, %v; want the same CRS", tt.in, c.String(), again, err)
		}
	}
}

func TestParseCRSRejected(t *testing.T) {
	for _, in := range []string{
		"", " EPSG:4326", "EPSG:4326 ", "EPSG:", "EPSG:04326", "EPSG:+4326", "EPSG:-4326",
		"EPSG:4214",   // Beijing 1954: not on the allow-list
		"EPSG:4555",   // one past CGCS2000 3-degree CM 135E
		"EPSG:4490.0", // not an integer
		"EPSG:32600", "EPSG:32661", "EPSG:32700", "EPSG:32761",
		"EPSG:999999999999999999999",
		"urn:ogc:def:crs:EPSG:4326", "urn:ogc:def:crs:EPSG:x:4326",
		"http://www.opengis.net/def/crs/EPSG/1/4326",
		"http://www.opengis.net/def/crs/OGC/1.3/CRS83", "CRS:84", "BD-09", "GCJ 02", "WGS84",
	} {
		c, err := ParseCRS(in)
		if err == nil {
			t.Errorf("ParseCRS(%q) = %v; want an error", in, c)
			continue
		}
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("ParseCRS(%q) error %v does not wrap ErrUnsupported", in, err)
		}
	}
}

func TestFromSRID(t *testing.T) {
	c, err := FromSRID(4326)
	if err != nil || c.AxisOrderLatLon() || c.URI() != "http://www.opengis.net/def/crs/OGC/1.3/CRS84" {
		t.Errorf("FromSRID(4326) = %v (lat/lon %v), %v; want OGC:CRS84", c, c.AxisOrderLatLon(), err)
	}
	if _, err := FromSRID(0); !errors.Is(err, ErrUnsupported) {
		t.Errorf("FromSRID(0) error = %v; want ErrUnsupported", err)
	}
	if c, err := FromSRID(4546); err != nil || c.String() != "EPSG:4546" {
		t.Errorf("FromSRID(4546) = %v, %v", c, err)
	}
}

// The central meridians are those of the EPSG registry entries, e.g.
// EPSG:4491 "CGCS2000 / Gauss-Kruger zone 13" (+lon_0=75 +x_0=13500000),
// EPSG:4512 "CGCS2000 / Gauss-Kruger CM 135E", EPSG:4513 "CGCS2000 /
// 3-degree Gauss-Kruger zone 25" (+lon_0=75 +x_0=25500000), EPSG:4533 zone 45
// (+lon_0=135), EPSG:4546 "CGCS2000 / 3-degree Gauss-Kruger CM 111E".
func TestCentralMeridian(t *testing.T) {
	tests := []struct {
		srid int
		cm   float64
	}{
		{4491, 75}, {4496, 105}, {4501, 135},
		{4502, 75}, {4507, 105}, {4512, 135},
		{4513, 75}, {4526, 114}, {4533, 135},
		{4534, 75}, {4546, 111}, {4548, 117}, {4554, 135},
		{32601, -177}, {32632, 9}, {32650, 117}, {32660, 177}, {32733, 15},
	}
	for _, tt := range tests {
		c, err := FromSRID(tt.srid)
		if err != nil {
			t.Fatalf("FromSRID(%d): %v", tt.srid, err)
		}
		if cm, ok := c.CentralMeridian(); !ok || cm != tt.cm {
			t.Errorf("EPSG:%d central meridian = %v, %v; want %v", tt.srid, cm, ok, tt.cm)
		}
	}
	for _, s := range []string{"EPSG:4326", "EPSG:4490", "EPSG:3857", "GCJ-02"} {
		c, _ := ParseCRS(s)
		if _, ok := c.CentralMeridian(); ok {
			t.Errorf("%s has a central meridian; want none", s)
		}
	}
}
