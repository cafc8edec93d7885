package testdb

import "fmt"

// Local draws the geometry of a hand-made fixture in EPSG:4546 (CGCS2000 / 3-degree
// Gauss-Kruger CM 111E, metres) relative to an origin (X0, Y0), as SQL expressions in
// EPSG:4326: a fixture's numbers stay small enough to reason about by hand.
type Local struct{ X0, Y0 float64 }

// Baotou is an origin near Baotou.
var Baotou = Local{X0: 480000, Y0: 4500000}

// Box is the rectangle [a, c] × [b, d] as a MultiPolygon.
func (l Local) Box(a, b, c, d float64) string {
	return fmt.Sprintf("ST_Multi(ST_Transform(ST_MakeEnvelope(%f, %f, %f, %f, 4546), 4326))", l.X0+a, l.Y0+b, l.X0+c, l.Y0+d)
}

// Point is the point (x, y).
func (l Local) Point(x, y float64) string {
	return fmt.Sprintf("ST_Transform(ST_SetSRID(ST_MakePoint(%f, %f), 4546), 4326)", l.X0+x, l.Y0+y)
}
