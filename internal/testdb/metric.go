package testdb

import "fmt"

// Metric draws SQL geometry literals of a fixture in a metric CRS near an origin (x0, y0):
// the fixtures in EPSG:4546 metres near Baotou that the indicator tests hand-work.
type Metric struct {
	SRID   int
	X0, Y0 float64
}

// Envelope is the SQL of the rectangle [a, c] × [b, d] (metres from the origin) as a
// MultiPolygon in EPSG:4326.
func (m Metric) Envelope(a, b, c, d float64) string {
	return fmt.Sprintf("ST_Multi(ST_Transform(ST_MakeEnvelope(%f, %f, %f, %f, %d), 4326))", m.X0+a, m.Y0+b, m.X0+c, m.Y0+d, m.SRID)
}

// Point is the SQL of the point (x, y) (metres from the origin) in EPSG:4326.
func (m Metric) Point(x, y float64) string {
	return fmt.Sprintf("ST_Transform(ST_SetSRID(ST_MakePoint(%f, %f), %d), 4326)", m.X0+x, m.Y0+y, m.SRID)
}

// Line is the SQL of the segment from (x1, y1) to (x2, y2) in EPSG:4326.
func (m Metric) Line(x1, y1, x2, y2 float64) string {
	return fmt.Sprintf("ST_Transform(ST_SetSRID(ST_MakeLine(ST_MakePoint(%f, %f), ST_MakePoint(%f, %f)), %d), 4326)", m.X0+x1, m.Y0+y1, m.X0+x2, m.Y0+y2, m.SRID)
}
