package importer

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/cityreach/cityreach/internal/crs"
)

var (
	wktParam     = regexp.MustCompile(`(?i)PARAMETER\s*\[\s*"([^"]+)"\s*,\s*([-+0-9.eE]+)\s*\]`)
	wktProj      = regexp.MustCompile(`(?i)PROJECTION\s*\[\s*"([^"]+)"`)
	wktDatum     = regexp.MustCompile(`(?i)DATUM\s*\[\s*"([^"]+)"`)
	wktAuthority = regexp.MustCompile(`(?i)AUTHORITY\s*\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]\s*\]\s*$`)
)

// CRSFromPRJ matches the WKT of a Shapefile .prj to a CRS of the allow-list in
// internal/crs: WGS 84 and CGCS2000 geographic, Web Mercator, the CGCS2000 Gauss–Krüger
// zones (by central meridian and false easting: 500 000 m, or zone·10⁶ + 500 000 m with
// the zone prefix) and the WGS 84 UTM zones. A trailing EPSG AUTHORITY of the whole CRS
// wins when it is on the allow-list. Anything else is an error naming what was found.
func CRSFromPRJ(wkt string) (crs.CRS, error) {
	wkt = strings.TrimSpace(wkt)
	if m := wktAuthority.FindStringSubmatch(wkt); m != nil {
		if c, err := crs.ParseCRS("EPSG:" + m[1]); err == nil {
			return c, nil
		}
	}
	datum := ""
	if m := wktDatum.FindStringSubmatch(wkt); m != nil {
		datum = strings.ToUpper(m[1])
	}
	isCGCS := strings.Contains(datum, "2000") || strings.Contains(datum, "CGCS")
	isWGS := strings.Contains(datum, "WGS_1984") || strings.Contains(datum, "WGS 1984") || strings.Contains(datum, "WGS84") || strings.Contains(datum, "WGS_84")
	upper := strings.ToUpper(wkt)
	if strings.HasPrefix(upper, "GEOGCS") || strings.HasPrefix(upper, "GEOGCRS") {
		switch {
		case isCGCS:
			return crs.ParseCRS("EPSG:4490")
		case isWGS:
			return crs.ParseCRS("EPSG:4326")
		}
		return crs.CRS{}, fmt.Errorf(".prj: geographic CRS on datum %q is not supported (WGS 84 or CGCS2000)", datum)
	}
	proj := ""
	if m := wktProj.FindStringSubmatch(wkt); m != nil {
		proj = strings.ToLower(m[1])
	}
	params := map[string]float64{}
	for _, m := range wktParam.FindAllStringSubmatch(wkt, -1) {
		if v, err := strconv.ParseFloat(m[2], 64); err == nil {
			params[strings.ToLower(m[1])] = v
		}
	}
	if strings.Contains(proj, "mercator_auxiliary_sphere") || strings.Contains(proj, "pseudo") ||
		strings.Contains(upper, "WEB_MERCATOR") || strings.Contains(upper, "PSEUDO-MERCATOR") || strings.Contains(upper, "PSEUDO_MERCATOR") {
		return crs.ParseCRS("EPSG:3857")
	}
	if !strings.Contains(proj, "transverse_mercator") && !strings.Contains(proj, "gauss_kruger") && !strings.Contains(proj, "gauss-kruger") {
		return crs.CRS{}, fmt.Errorf(".prj: projection %q is not supported (Gauss–Krüger, UTM or Web Mercator)", proj)
	}
	cm, fe, fn := params["central_meridian"], params["false_easting"], params["false_northing"]
	k, ok := params["scale_factor"]
	if !ok {
		k = 1
	}
	if v, ok := params["latitude_of_origin"]; ok && v != 0 {
		return crs.CRS{}, fmt.Errorf(".prj: latitude of origin %v is not 0", v)
	}
	code := 0
	switch {
	case isCGCS && near(k, 1) && fn == 0:
		if near(fe, 500000) && isMultiple(cm, 3) && cm >= 75 && cm <= 135 {
			// 3° and 6° zones with the same central meridian and no prefix are the same
			// projection, so the 3° code stands for both.
			code = 4534 + int(math.Round((cm-75)/3))
		} else if zone := math.Round((fe - 500000) / 1e6); near(fe, zone*1e6+500000) {
			switch {
			case zone >= 25 && zone <= 45 && near(cm, 3*zone):
				code = 4513 + int(zone) - 25
			case zone >= 13 && zone <= 23 && near(cm, 6*zone-3):
				code = 4491 + int(zone) - 13
			}
		}
	case isWGS && near(k, 0.9996) && near(fe, 500000):
		zone := math.Round((cm + 183) / 6)
		if zone >= 1 && zone <= 60 && near(cm, 6*zone-183) {
			switch {
			case fn == 0:
				code = 32600 + int(zone)
			case near(fn, 10000000):
				code = 32700 + int(zone)
			}
		}
	}
	if code == 0 {
		return crs.CRS{}, fmt.Errorf(".prj: no allow-listed CRS matches datum %q, projection %q, central meridian %v, false easting %v, scale %v", datum, proj, cm, fe, k)
	}
	return crs.ParseCRS("EPSG:" + strconv.Itoa(code))
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6*math.Max(1, math.Abs(b)) }

func isMultiple(x, m float64) bool { return near(math.Mod(x, m), 0) }
