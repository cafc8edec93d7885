package crs

import (
	"errors"
	"testing"
)

func FuzzParseCRS(f *testing.F) {
	for _, s := range []string{
		"EPSG:4326", "4490", "urn:ogc:def:crs:EPSG::4546", "urn:ogc:def:crs:EPSG:9.8:32650",
		"http://www.opengis.net/def/crs/EPSG/0/4548", "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
		"urn:ogc:def:crs:OGC:1.3:CRS84", "CRS84", "GCJ-02", "GCJ02", "EPSG:4555", "", "EPSG:0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCRS(s)
		if err != nil {
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("ParseCRS(%q) error %v does not wrap ErrUnsupported", s, err)
			}
			return
		}
		if again, err := ParseCRS(c.String()); err != nil || again != c {
			t.Fatalf("ParseCRS(%q).String() = %q does not parse back: %v, %v", s, c.String(), again, err)
		}
		if c.URI() != "" {
			u, err := ParseCRS(c.URI())
			if err != nil || u.SRID() != c.SRID() || u.IsGeographic() != c.IsGeographic() {
				t.Fatalf("URI %q of %q does not parse back: %v, %v", c.URI(), s, u, err)
			}
		}
		if c.SRID() == 0 {
			if c.String() != "GCJ-02" {
				t.Fatalf("ParseCRS(%q) = %v with SRID 0", s, c)
			}
			return
		}
		if _, err := FromSRID(c.SRID()); err != nil {
			t.Fatalf("FromSRID(%d) from %q: %v", c.SRID(), s, err)
		}
	})
}
