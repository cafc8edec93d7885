package featureapi_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"testing"
)

// gcjForward is the public GCJ-02 reconstruction (eviltransform / coordtransform),
// written out here independently of internal/crs so the test does not check the code
// against itself.
func gcjForward(lon, lat float64) (float64, float64) {
	const a, ee = 6378245.0, 0.00669342162296594323
	x, y := lon-105.0, lat-35.0
	dLat := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	dLat += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLat += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	dLat += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	dLon := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	dLon += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	dLon += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	dLon += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	radLat := lat / 180.0 * math.Pi
	magic := 1 - ee*math.Sin(radLat)*math.Sin(radLat)
	sq := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sq) * math.Pi)
	dLon = (dLon * 180.0) / (a / sq * math.Cos(radLat) * math.Pi)
	return lon + dLon, lat + dLat
}

// metres between two WGS 84 points (haversine, R = 6371008.8 m).
func metres(lon1, lat1, lon2, lat2 float64) float64 {
	r := math.Pi / 180
	dLat, dLon := (lat2-lat1)*r, (lon2-lon1)*r
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*r)*math.Cos(lat2*r)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * 6371008.8 * math.Asin(math.Sqrt(h))
}

func coords(t *testing.T, f map[string]any) (float64, float64) {
	t.Helper()
	c := f["geometry"].(map[string]any)["coordinates"].([]any)
	x, _ := c[0].(json.Number).Float64()
	y, _ := c[1].(json.Number).Float64()
	return x, y
}

func TestGCJ02InputLandsWithinOneMetre(t *testing.T) {
	e := newEnv(t, true)
	truth := [][2]float64{{109.8403, 40.6574}, {116.3913, 39.9075}, {87.6168, 43.8256}, {113.2644, 23.1291}, {126.6425, 45.7567}, {91.1409, 29.6456}, {121.4737, 31.2304}, {110.3312, 20.0311}}
	for i, w := range truth {
		gLon, gLat := gcjForward(w[0], w[1])
		if d := metres(gLon, gLat, w[0], w[1]); d < 100 {
			t.Fatalf("fixture: the GCJ-02 offset at %v is only %.1f m", w, d)
		}
		f := feature(point(gLon, gLat), map[string]any{"city_id": e.city, "category": "clinic"})
		path := "/api/v1/layers/facilities/features"
		if i%2 == 0 {
			f["crs"] = map[string]any{"type": "name", "properties": map[string]any{"name": "GCJ-02"}}
		} else {
			path += "?crs=GCJ-02"
		}
		r := e.do("POST", path, "alice", f)
		if r.Code != http.StatusCreated {
			t.Fatalf("%v: %d %s", w, r.Code, r.Body)
		}
		lon, lat := coords(t, r.JSON(t))
		if d := metres(lon, lat, w[0], w[1]); d > 1 {
			t.Errorf("%v: stored %.7f, %.7f is %.3f m from the WGS 84 truth", w, lon, lat, d)
		}
	}
}

func TestProjectedInputAndOutput(t *testing.T) {
	e := newEnv(t, true)
	// Web Mercator by hand: x = R·λ, y = R·ln tan(π/4 + φ/2), R = 6378137 m.
	lon, lat := 109.84, 40.65
	const R = 6378137.0
	x := R * lon * math.Pi / 180
	y := R * math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))
	r := e.do("POST", "/api/v1/layers/facilities/features?crs=EPSG:3857", "alice",
		feature(point(x, y), map[string]any{"city_id": e.city, "category": "clinic"}))
	if r.Code != 201 {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	if r.Header.Get("Content-Crs") != "<http://www.opengis.net/def/crs/EPSG/0/3857>" {
		t.Errorf("Content-Crs %q", r.Header.Get("Content-Crs"))
	}
	gx, gy := coords(t, r.JSON(t))
	if math.Abs(gx-x) > 0.01 || math.Abs(gy-y) > 0.01 {
		t.Errorf("3857 response %.3f %.3f, want %.3f %.3f", gx, gy, x, y)
	}
	loc := r.Header.Get("Location")
	r = e.do("GET", loc, "", nil)
	glon, glat := coords(t, r.JSON(t))
	if math.Abs(glon-lon) > 1e-8 || math.Abs(glat-lat) > 1e-8 {
		t.Errorf("stored %.9f %.9f, want %.2f %.2f", glon, glat, lon, lat)
	}

	// CGCS2000 geographic (EPSG:4490) is taken as WGS 84 to well under a metre.
	r = e.do("POST", "/api/v1/layers/facilities/features", "alice", map[string]any{
		"type": "Feature", "geometry": point(lon, lat), "properties": map[string]any{"city_id": e.city, "category": "clinic"},
		"crs": map[string]any{"type": "name", "properties": map[string]any{"name": "EPSG:4490"}}})
	if r.Code != 201 {
		t.Fatalf("4490: %d %s", r.Code, r.Body)
	}
	r = e.do("GET", r.Header.Get("Location"), "", nil)
	if glon, glat = coords(t, r.JSON(t)); metres(glon, glat, lon, lat) > 0.1 {
		t.Errorf("4490 stored %.9f %.9f", glon, glat)
	}

	// The Gauss–Krüger zone of Baotou (EPSG:4546, CM 111°E): easting and northing from
	// PostGIS; the round trip must land on the original point.
	var ge, gn float64
	if err := e.db.Pool.QueryRow(context.Background(),
		`SELECT ST_X(p), ST_Y(p) FROM ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 4546) p`, lon, lat).Scan(&ge, &gn); err != nil {
		t.Fatal(err)
	}
	// West of the central meridian the easting is below the 500 km false easting.
	if ge >= 500000 || ge < 300000 || gn < 4.4e6 || gn > 4.6e6 {
		t.Fatalf("GK fixture implausible: %f %f", ge, gn)
	}
	r = e.do("POST", "/api/v1/layers/facilities/features?crs=EPSG:4546", "alice",
		feature(point(ge, gn), map[string]any{"city_id": e.city, "category": "clinic"}))
	if r.Code != 201 {
		t.Fatalf("4546: %d %s", r.Code, r.Body)
	}
	r = e.do("GET", r.Header.Get("Location"), "", nil)
	if glon, glat = coords(t, r.JSON(t)); metres(glon, glat, lon, lat) > 0.01 {
		t.Errorf("4546 round trip %.9f %.9f", glon, glat)
	}

	for _, q := range []string{"crs=EPSG:9999", "crs=GCJ-02", "crs=EPSG:4326%27--"} {
		if r := e.do("GET", "/api/v1/layers/facilities/features?"+q, "", nil); r.Code != 400 {
			t.Errorf("GET ?%s: %d", q, r.Code)
		}
	}
}
