package cql2

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Limits keep a hostile filter from costing more than a legitimate one.
const (
	maxDepth       = 64
	maxInValues    = 1000
	maxCoordinates = 10000
	maxFilterBytes = 64 << 10
)

var keywords = map[string]bool{
	"AND": true, "OR": true, "NOT": true, "LIKE": true, "IN": true, "BETWEEN": true, "IS": true,
	"NULL": true, "TRUE": true, "FALSE": true, "DATE": true, "TIMESTAMP": true,
}

var spatialOps = map[string]bool{
	"S_INTERSECTS": true, "S_WITHIN": true, "S_CONTAINS": true, "S_DISJOINT": true, "S_DWITHIN": true,
}

type parser struct {
	toks   []token
	i      int
	depth  int
	ncoord int
}

// Parse parses a CQL2-text filter.
func Parse(s string) (Expr, error) {
	if len(s) > maxFilterBytes {
		return nil, &SyntaxError{0, fmt.Sprintf("filter longer than %d bytes", maxFilterBytes)}
	}
	if strings.TrimSpace(s) == "" {
		return nil, &SyntaxError{0, "empty filter"}
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errf(t, "unexpected %q after a complete filter", t.text)
	}
	return e, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errf(t token, format string, args ...any) error {
	return &SyntaxError{t.pos, fmt.Sprintf(format, args...)}
}

func (p *parser) isKeyword(word string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, word)
}

func (p *parser) expectKeyword(word string) error {
	t := p.next()
	if t.kind != tIdent || !strings.EqualFold(t.text, word) {
		return p.errf(t, "expected %s, found %q", word, t.text)
	}
	return nil
}

func (p *parser) expect(k tokKind, what string) (token, error) {
	t := p.next()
	if t.kind != k {
		found := t.text
		if t.kind == tEOF {
			found = "end of filter"
		}
		return t, p.errf(t, "expected %s, found %q", what, found)
	}
	return t, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errf(p.peek(), "filter nested deeper than %d levels", maxDepth)
	}
	return nil
}

func (p *parser) or() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	return p.chain("OR", p.and, func(l, r Expr) Expr { return Or{l, r} })
}

func (p *parser) and() (Expr, error) {
	return p.chain("AND", p.not, func(l, r Expr) Expr { return And{l, r} })
}

// chain parses operands (each by operand) joined by the keyword kw, grouping to the
// left: a kw b kw c is join(join(a, b), c).
func (p *parser) chain(kw string, operand func() (Expr, error), join func(l, r Expr) Expr) (Expr, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(kw) {
		p.next()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = join(l, r)
	}
	return l, nil
}

func (p *parser) not() (Expr, error) {
	if p.isKeyword("NOT") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return Not{x}, nil
	}
	return p.primary()
}

func (p *parser) primary() (Expr, error) {
	t := p.peek()
	if t.kind == tLParen {
		p.next()
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "')'"); err != nil {
			return nil, err
		}
		return e, nil
	}
	if t.kind == tIdent && spatialOps[strings.ToUpper(t.text)] {
		return p.spatial()
	}
	prop, err := p.property()
	if err != nil {
		return nil, err
	}
	return p.predicate(prop)
}

func (p *parser) property() (string, error) {
	t := p.next()
	switch t.kind {
	case tQuotedIdent:
		if t.text == "" {
			return "", p.errf(t, "empty property name")
		}
		return t.text, nil
	case tIdent:
		if keywords[strings.ToUpper(t.text)] {
			return "", p.errf(t, "expected a property name, found the keyword %s", strings.ToUpper(t.text))
		}
		return t.text, nil
	case tEOF:
		return "", p.errf(t, "filter ends where a property name was expected")
	}
	return "", p.errf(t, "expected a property name, found %q (put the property on the left of the comparison)", t.text)
}

func (p *parser) predicate(prop string) (Expr, error) {
	t := p.peek()
	if t.kind == tOp {
		p.next()
		lit, err := p.literal()
		if err != nil {
			return nil, err
		}
		return Compare{Prop: prop, Op: t.text, Value: lit}, nil
	}
	not := false
	if p.isKeyword("IS") {
		p.next()
		if p.isKeyword("NOT") {
			p.next()
			not = true
		}
		if err := p.expectKeyword("NULL"); err != nil {
			return nil, err
		}
		return IsNull{Prop: prop, Not: not}, nil
	}
	if p.isKeyword("NOT") {
		p.next()
		not = true
	}
	switch {
	case p.isKeyword("LIKE"):
		p.next()
		s, err := p.expect(tString, "a quoted pattern after LIKE")
		if err != nil {
			return nil, err
		}
		return Like{Prop: prop, Pattern: s.text, Not: not}, nil
	case p.isKeyword("IN"):
		p.next()
		if _, err := p.expect(tLParen, "'(' after IN"); err != nil {
			return nil, err
		}
		var vals []Literal
		for {
			lit, err := p.literal()
			if err != nil {
				return nil, err
			}
			vals = append(vals, lit)
			if len(vals) > maxInValues {
				return nil, p.errf(p.peek(), "more than %d values in IN", maxInValues)
			}
			if p.peek().kind == tComma {
				p.next()
				continue
			}
			if _, err := p.expect(tRParen, "',' or ')' in the IN list"); err != nil {
				return nil, err
			}
			return In{Prop: prop, Values: vals, Not: not}, nil
		}
	case p.isKeyword("BETWEEN"):
		p.next()
		lo, err := p.literal()
		if err != nil {
			return nil, err
		}
		if err := p.expectKeyword("AND"); err != nil {
			return nil, err
		}
		hi, err := p.literal()
		if err != nil {
			return nil, err
		}
		return Between{Prop: prop, Lo: lo, Hi: hi, Not: not}, nil
	}
	n := p.peek()
	found := n.text
	if n.kind == tEOF {
		found = "end of filter"
	}
	return nil, p.errf(n, "expected a comparison (=, <>, <, <=, >, >=, LIKE, IN, BETWEEN, IS NULL) after %q, found %q", prop, found)
}

func (p *parser) literal() (Literal, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return Literal{Kind: LitString, Text: t.text}, nil
	case tNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return Literal{}, p.errf(t, "%q is not a finite number", t.text)
		}
		return Literal{Kind: LitNumber, Text: t.text, Num: f}, nil
	case tIdent:
		switch strings.ToUpper(t.text) {
		case "TRUE":
			return Literal{Kind: LitBool, Text: "true", Bool: true}, nil
		case "FALSE":
			return Literal{Kind: LitBool, Text: "false"}, nil
		case "DATE", "TIMESTAMP":
			kind := LitDate
			layout := "2006-01-02"
			if strings.EqualFold(t.text, "TIMESTAMP") {
				kind, layout = LitTimestamp, time.RFC3339
			}
			if _, err := p.expect(tLParen, "'(' after "+strings.ToUpper(t.text)); err != nil {
				return Literal{}, err
			}
			s, err := p.expect(tString, "a quoted date")
			if err != nil {
				return Literal{}, err
			}
			if _, err := time.Parse(layout, s.text); err != nil {
				return Literal{}, p.errf(s, "%q is not a valid %s (%s)", s.text, strings.ToUpper(t.text), layout)
			}
			if _, err := p.expect(tRParen, "')'"); err != nil {
				return Literal{}, err
			}
			return Literal{Kind: kind, Text: s.text}, nil
		}
	case tEOF:
		return Literal{}, p.errf(t, "filter ends where a value was expected")
	}
	return Literal{}, p.errf(t, "expected a value (a 'string', a number, TRUE, FALSE, DATE('…')), found %q", t.text)
}

func (p *parser) spatial() (Expr, error) {
	op := strings.ToUpper(p.next().text)
	if _, err := p.expect(tLParen, "'(' after "+op); err != nil {
		return nil, err
	}
	prop, err := p.property()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tComma, "','"); err != nil {
		return nil, err
	}
	g, err := p.geometry()
	if err != nil {
		return nil, err
	}
	s := Spatial{Op: op, Prop: prop, Geom: g}
	if op == "S_DWITHIN" {
		if _, err := p.expect(tComma, "',' and a distance in metres"); err != nil {
			return nil, err
		}
		d, err := p.number()
		if err != nil {
			return nil, err
		}
		if d < 0 || d > 1e7 {
			return nil, p.errf(p.peek(), "distance %g m is out of range [0, 10000000]", d)
		}
		s.Distance = d
		if p.peek().kind == tComma {
			p.next()
			u := p.next()
			if u.kind != tIdent || !(strings.EqualFold(u.text, "meters") || strings.EqualFold(u.text, "metres") || strings.EqualFold(u.text, "m")) {
				return nil, p.errf(u, "S_DWITHIN distances are in meters, not %q", u.text)
			}
		}
	}
	if _, err := p.expect(tRParen, "')' closing "+op); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *parser) number() (float64, error) {
	t, err := p.expect(tNumber, "a number")
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, p.errf(t, "%q is not a finite number", t.text)
	}
	return f, nil
}

// geometry parses a WKT geometry or BBOX(minx, miny, maxx, maxy).
func (p *parser) geometry() (orb.Geometry, error) {
	t := p.next()
	if t.kind != tIdent {
		return nil, p.errf(t, "expected a geometry such as POINT(110 40) or BBOX(…), found %q", t.text)
	}
	kind := strings.ToUpper(t.text)
	if kind == "BBOX" || kind == "ENVELOPE" {
		if _, err := p.expect(tLParen, "'('"); err != nil {
			return nil, err
		}
		var v [4]float64
		for i := range v {
			if i > 0 {
				if _, err := p.expect(tComma, "','"); err != nil {
					return nil, err
				}
			}
			f, err := p.number()
			if err != nil {
				return nil, err
			}
			v[i] = f
		}
		if _, err := p.expect(tRParen, "')'"); err != nil {
			return nil, err
		}
		if v[0] > v[2] || v[1] > v[3] {
			return nil, p.errf(t, "BBOX minimum is greater than its maximum")
		}
		return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}.ToPolygon(), nil
	}
	switch kind {
	case "POINT":
		pts, err := p.pointList(1, true)
		if err != nil {
			return nil, err
		}
		return pts[0], nil
	case "LINESTRING":
		pts, err := p.pointList(2, false)
		if err != nil {
			return nil, err
		}
		return orb.LineString(pts), nil
	case "POLYGON":
		return p.polygon()
	case "MULTIPOINT":
		pts, err := p.pointList(1, false)
		if err != nil {
			return nil, err
		}
		return orb.MultiPoint(pts), nil
	case "MULTILINESTRING":
		var ml orb.MultiLineString
		err := p.list(func() error {
			pts, err := p.pointList(2, false)
			ml = append(ml, pts)
			return err
		})
		return ml, err
	case "MULTIPOLYGON":
		var mp orb.MultiPolygon
		err := p.list(func() error {
			poly, err := p.polygon()
			mp = append(mp, poly)
			return err
		})
		return mp, err
	}
	return nil, p.errf(t, "unknown geometry type %q", t.text)
}

// list parses "( item, item, … )".
func (p *parser) list(item func() error) error {
	if _, err := p.expect(tLParen, "'('"); err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if p.peek().kind == tComma {
			p.next()
			continue
		}
		_, err := p.expect(tRParen, "',' or ')'")
		return err
	}
}

func (p *parser) polygon() (orb.Polygon, error) {
	var poly orb.Polygon
	err := p.list(func() error {
		pts, err := p.pointList(4, false)
		if err != nil {
			return err
		}
		if pts[0] != pts[len(pts)-1] {
			return p.errf(p.peek(), "polygon ring is not closed")
		}
		poly = append(poly, orb.Ring(pts))
		return nil
	})
	return poly, err
}

// pointList parses "(x y, x y, …)" with at least min points; single allows exactly one.
func (p *parser) pointList(min int, single bool) ([]orb.Point, error) {
	var pts []orb.Point
	err := p.list(func() error {
		if p.peek().kind == tLParen { // MULTIPOINT((1 2), (3 4))
			inner, err := p.pointList(1, true)
			pts = append(pts, inner...)
			return err
		}
		x, err := p.number()
		if err != nil {
			return err
		}
		y, err := p.number()
		if err != nil {
			return err
		}
		if p.peek().kind == tNumber { // a Z value is accepted and dropped
			if _, err := p.number(); err != nil {
				return err
			}
		}
		p.ncoord++
		if p.ncoord > maxCoordinates {
			return p.errf(p.peek(), "more than %d coordinates in the filter", maxCoordinates)
		}
		pts = append(pts, orb.Point{x, y})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(pts) < min || (single && len(pts) != 1) {
		return nil, p.errf(p.peek(), "wrong number of positions: %d", len(pts))
	}
	return pts, nil
}
