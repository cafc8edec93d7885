package crs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnsupported is wrapped by every error ParseCRS and FromSRID return, so
// that an HTTP handler can map it to a 400 response with errors.Is.
var ErrUnsupported = errors.New("unsupported CRS")

// Prefixes under which an EPSG code may be given, compared case-insensitively.
// The URN may carry an EPSG database version ("urn:ogc:def:crs:EPSG:9.8.6:4490").
const (
	prefixEPSG      = "epsg:"
	prefixEPSGURN   = "urn:ogc:def:crs:epsg:"
	prefixEPSGHTTP  = "http://www.opengis.net/def/crs/epsg/0/"
	prefixEPSGHTTPS = "https://www.opengis.net/def/crs/epsg/0/"
)

// ParseCRS parses a CRS name given by a client or found in a file and
// returns it if it is on the allow-list. Accepted spellings (letters
// case-insensitive, no surrounding spaces):
//
//	"4490", "EPSG:4490", "urn:ogc:def:crs:EPSG::4490",
//	"urn:ogc:def:crs:EPSG:<version>:4490",
//	"http://www.opengis.net/def/crs/EPSG/0/4490" (also https),
//	"CRS84", "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84",
//	"http://www.opengis.net/def/crs/OGC/1.3/CRS84" (also https),
//	"GCJ-02", "GCJ02".
//
// Allowed EPSG codes: 4326, 4490, 3857, 4491–4554 (CGCS2000 Gauss–Krüger, see
// the code table in crs.go) and 32601–32660 / 32701–32760 (WGS 84 UTM north
// and south). Any other input returns an error wrapping ErrUnsupported.
func ParseCRS(s string) (CRS, error) {
	lower := strings.ToLower(s)
	switch lower {
	case "crs84", "ogc:crs84", "urn:ogc:def:crs:ogc:1.3:crs84",
		"http://www.opengis.net/def/crs/ogc/1.3/crs84",
		"https://www.opengis.net/def/crs/ogc/1.3/crs84":
		return CRS{kindCRS84, sridWGS84}, nil
	case "gcj-02", "gcj02":
		return CRS{kind: kindGCJ02}, nil
	}
	code, ok := epsgCode(lower)
	if ok {
		if c, ok := fromEPSG(code); ok {
			return c, nil
		}
	}
	return CRS{}, fmt.Errorf("%w %q: accepted are OGC:CRS84, EPSG:4326, EPSG:4490, EPSG:3857, "+
		"CGCS2000 Gauss-Kruger EPSG:4491-4554, WGS 84 UTM EPSG:32601-32660 and 32701-32760, and GCJ-02",
		ErrUnsupported, s)
}

// epsgCode extracts the EPSG code from one of the accepted spellings of s,
// which must already be lower case.
func epsgCode(s string) (int, bool) {
	switch {
	case strings.HasPrefix(s, prefixEPSGURN):
		rest := s[len(prefixEPSGURN):]
		i := strings.IndexByte(rest, ':')
		if i < 0 || !isVersion(rest[:i]) {
			return 0, false
		}
		s = rest[i+1:]
	case strings.HasPrefix(s, prefixEPSGHTTP):
		s = s[len(prefixEPSGHTTP):]
	case strings.HasPrefix(s, prefixEPSGHTTPS):
		s = s[len(prefixEPSGHTTPS):]
	case strings.HasPrefix(s, prefixEPSG):
		s = s[len(prefixEPSG):]
	}
	return decimalCode(s)
}

// isVersion reports whether v is an empty or dotted-decimal EPSG database
// version as it appears in an OGC URN.
func isVersion(v string) bool {
	for i := 0; i < len(v); i++ {
		if (v[i] < '0' || v[i] > '9') && v[i] != '.' {
			return false
		}
	}
	return true
}

// decimalCode parses 1 to 5 decimal digits without sign or leading zero;
// every allowed code has 4 or 5 digits, so longer input cannot overflow and
// is rejected.
func decimalCode(s string) (int, bool) {
	if len(s) == 0 || len(s) > 5 || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
