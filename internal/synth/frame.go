package synth

import (
	"math"

	"github.com/paulmach/orb"
)

// frame maps lon/lat to metres east/north of a reference point with a local equirectangular
// projection on the WGS84 ellipsoid. Over the ±30 km of the demo city its distance error is
// below 0.3 %, far below what a synthetic city needs; areas and lengths that matter are
// recomputed by PostGIS in the city's metric CRS.
type frame struct {
	lon0, lat0 float64
	kx, ky     float64 // metres per degree
}

func newFrame(lon0, lat0 float64) frame {
	const a, e2 = 6378137.0, 0.00669437999014
	s := math.Sin(lat0 * math.Pi / 180)
	w := 1 - e2*s*s
	n := a / math.Sqrt(w)
	m := a * (1 - e2) / (w * math.Sqrt(w))
	return frame{lon0: lon0, lat0: lat0, kx: math.Pi / 180 * n * math.Cos(lat0*math.Pi/180), ky: math.Pi / 180 * m}
}

func (f frame) fwd(p orb.Point) orb.Point {
	return orb.Point{(p[0] - f.lon0) * f.kx, (p[1] - f.lat0) * f.ky}
}

// inv returns lon/lat rounded to 1e-8 degrees (about 1 mm).
func (f frame) inv(p orb.Point) orb.Point {
	return orb.Point{round8(f.lon0 + p[0]/f.kx), round8(f.lat0 + p[1]/f.ky)}
}

func round8(v float64) float64 { return math.Round(v*1e8) / 1e8 }

func (f frame) ring(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[i] = f.inv(p)
	}
	return out
}

func (f frame) line(l []orb.Point) orb.LineString {
	out := make(orb.LineString, len(l))
	for i, p := range l {
		out[i] = f.inv(p)
	}
	return out
}

func (f frame) poly(rings ...orb.Ring) orb.Polygon {
	out := make(orb.Polygon, len(rings))
	for i, r := range rings {
		out[i] = f.ring(r)
	}
	return out
}
