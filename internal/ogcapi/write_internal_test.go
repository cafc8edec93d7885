package ogcapi

import (
	"errors"
	"strings"
	"testing"
)

// FuzzContentCRS feeds arbitrary Content-Crs headers to the parser. It must never panic;
// what it accepts is on the service's list (in either spelling, with or without angle
// brackets), latitude first exactly for EPSG:4326 and EPSG:4490; what it refuses is a 400
// naming the header.
func FuzzContentCRS(f *testing.F) {
	for _, s := range []string{
		"", "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>", "<http://www.opengis.net/def/crs/EPSG/0/4326>",
		"http://www.opengis.net/def/crs/EPSG/0/4546", " <http://www.opengis.net/def/crs/EPSG/0/3857> ", "EPSG:4490",
		"<http://www.opengis.net/def/crs/EPSG/0/4547>", "<>", "<<EPSG:4326>>", "urn:ogc:def:crs:EPSG::4326", "GCJ-02",
		"<http://www.opengis.net/def/crs/EPSG/0/4326", "\x00", strings.Repeat("<", 5000),
	} {
		f.Add(s)
	}
	list := DefaultCRS(4546)
	f.Fuzz(func(t *testing.T, h string) {
		c, latLon, err := parseContentCRS(h, list)
		if err != nil {
			var ie *InvalidError
			if !errors.As(err, &ie) || ie.Param != "Content-Crs" {
				t.Fatalf("%q: error %v does not name Content-Crs", h, err)
			}
			return
		}
		if c == nil {
			if strings.TrimSpace(h) != "" {
				t.Fatalf("%q: accepted as no CRS", h)
			}
			return
		}
		found := false
		for _, x := range list {
			found = found || x == *c
		}
		if !found {
			t.Fatalf("%q: %v is not on the list", h, c)
		}
		if want := c.SRID() == 4326 && c.URI() != list[0].URI() || c.SRID() == 4490; latLon != want {
			t.Fatalf("%q: %v latitude first %v", h, c, latLon)
		}
	})
}
