package tiles

import (
	"fmt"
	"math"
)

// MaxZoom is the deepest zoom served; 2^22 tiles span about 10 m at the equator.
const MaxZoom = 22

// Extent and Buffer are the MVT tile extent and the clip buffer, in tile units. A feature
// within Buffer units of a tile's edge is drawn in that tile too, so labels and strokes
// do not break at tile seams.
const (
	Extent = 4096
	Buffer = 256
)

// earthHalf is half the width of the EPSG:3857 world square, in metres.
const earthHalf = 20037508.342789244

// Tile is one tile address of the XYZ (Google / OSM) scheme: y grows southwards.
type Tile struct {
	Z, X, Y int
}

// Valid reports whether t is inside the tile pyramid: 0 <= z <= MaxZoom and
// 0 <= x, y < 2^z.
func (t Tile) Valid() bool {
	if t.Z < 0 || t.Z > MaxZoom {
		return false
	}
	n := 1 << t.Z
	return t.X >= 0 && t.X < n && t.Y >= 0 && t.Y < n
}

func (t Tile) String() string { return fmt.Sprintf("%d/%d/%d", t.Z, t.X, t.Y) }

// Box is an axis-aligned rectangle.
type Box struct {
	MinX, MinY, MaxX, MaxY float64
}

// Intersects reports whether a and b share at least one point (touching counts).
func (a Box) Intersects(b Box) bool {
	return a.MinX <= b.MaxX && b.MinX <= a.MaxX && a.MinY <= b.MaxY && b.MinY <= a.MaxY
}

// Envelope is the tile's square in EPSG:3857 metres, as PostGIS's ST_TileEnvelope(z, x, y)
// computes it, grown on every side by margin times the tile width (ST_TileEnvelope's margin).
func (t Tile) Envelope(margin float64) Box {
	size := 2 * earthHalf / float64(int(1)<<t.Z)
	m := size * margin
	return Box{
		MinX: -earthHalf + float64(t.X)*size - m,
		MaxX: -earthHalf + float64(t.X+1)*size + m,
		MinY: earthHalf - float64(t.Y+1)*size - m,
		MaxY: earthHalf - float64(t.Y)*size + m,
	}
}

// PixelSize is the width of one tile unit (1/Extent of a tile) at zoom z, in 3857 metres.
func PixelSize(z int) float64 { return 2 * earthHalf / float64(int(1)<<z) / Extent }

// maxMercLat is the latitude at which EPSG:3857's y reaches earthHalf.
const maxMercLat = 85.0511287798066

// LonLatBoxTo3857 converts a longitude/latitude box (EPSG:4326) to EPSG:3857. Because x
// depends only on longitude and y only on latitude, monotonically, the corners map to the
// corners; latitudes beyond the Mercator limit clamp to the world square's edge.
func LonLatBoxTo3857(b Box) Box {
	x := func(lon float64) float64 { return lon * earthHalf / 180 }
	y := func(lat float64) float64 {
		lat = math.Max(-maxMercLat, math.Min(maxMercLat, lat))
		return math.Log(math.Tan((90+lat)*math.Pi/360)) * earthHalf / math.Pi
	}
	return Box{MinX: x(b.MinX), MinY: y(b.MinY), MaxX: x(b.MaxX), MaxY: y(b.MaxY)}
}
