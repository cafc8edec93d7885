package cql2

import "github.com/paulmach/orb"

// Expr is a node of a parsed filter.
type Expr interface{ isExpr() }

// LitKind is the type of a literal.
type LitKind int

// The literal kinds.
const (
	LitString LitKind = iota
	LitNumber
	LitBool
	LitDate
	LitTimestamp
)

// Literal is a constant in a filter. Text keeps the literal as written (numbers too, so
// integers do not pass through float64).
type Literal struct {
	Kind LitKind
	Text string
	Num  float64
	Bool bool
}

// And, Or and Not combine expressions.
type (
	And struct{ L, R Expr }
	Or  struct{ L, R Expr }
	Not struct{ X Expr }
)

// Compare is `property op literal` with op one of = <> < <= > >=.
type Compare struct {
	Prop  string
	Op    string
	Value Literal
}

// Like is `property [NOT] LIKE 'pattern'` (% and _ are the wildcards).
type Like struct {
	Prop    string
	Pattern string
	Not     bool
}

// In is `property [NOT] IN (literal, …)`.
type In struct {
	Prop   string
	Values []Literal
	Not    bool
}

// Between is `property [NOT] BETWEEN lo AND hi`.
type Between struct {
	Prop   string
	Lo, Hi Literal
	Not    bool
}

// IsNull is `property IS [NOT] NULL`.
type IsNull struct {
	Prop string
	Not  bool
}

// Spatial is a spatial predicate between a geometry property and a literal geometry in the
// filter CRS. Distance (metres) is set for S_DWITHIN only.
type Spatial struct {
	Op       string // S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT, S_DWITHIN
	Prop     string
	Geom     orb.Geometry
	Distance float64
}

func (And) isExpr()     {}
func (Or) isExpr()      {}
func (Not) isExpr()     {}
func (Compare) isExpr() {}
func (Like) isExpr()    {}
func (In) isExpr()      {}
func (Between) isExpr() {}
func (IsNull) isExpr()  {}
func (Spatial) isExpr() {}
