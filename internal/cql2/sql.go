package cql2

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb/encoding/wkt"

	"github.com/cityreach/cityreach/internal/layers"
)

// Resolver maps a property name of the filter to SQL. Property returns the quoted column
// and its type, ok=false when the name is not allow-listed; Geometry does the same for
// geometry properties (column in EPSG:4326).
type Resolver interface {
	Property(name string) (column string, typ layers.Type, ok bool)
	Geometry(name string) (column string, ok bool)
}

// Options control the translation.
type Options struct {
	// FirstArg is the number of the first bind parameter ($FirstArg); 1 when zero.
	FirstArg int
	// FilterSRID is the SRID of literal geometries (filter-crs); 4326 when zero.
	FilterSRID int
}

// Error is a semantic error: the filter parsed but names an unknown property or compares
// values of the wrong type.
type Error struct{ Msg string }

func (e *Error) Error() string { return "filter: " + e.Msg }

type builder struct {
	r    Resolver
	o    Options
	sb   strings.Builder
	args []any
}

// ToSQL translates e into a boolean SQL expression and its bind arguments.
func ToSQL(e Expr, r Resolver, o Options) (string, []any, error) {
	if o.FirstArg <= 0 {
		o.FirstArg = 1
	}
	if o.FilterSRID == 0 {
		o.FilterSRID = 4326
	}
	b := &builder{r: r, o: o}
	if err := b.expr(e); err != nil {
		return "", nil, err
	}
	return b.sb.String(), b.args, nil
}

func (b *builder) bind(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(b.o.FirstArg+len(b.args)-1)
}

func (b *builder) prop(name string) (string, layers.Type, error) {
	col, typ, ok := b.r.Property(name)
	if !ok {
		return "", "", &Error{fmt.Sprintf("unknown property %q", name)}
	}
	return col, typ, nil
}

// value binds lit as a value of type typ, with an explicit cast where PostgreSQL needs one.
func (b *builder) value(prop string, typ layers.Type, lit Literal) (string, error) {
	mismatch := func(want string) error {
		return &Error{fmt.Sprintf("property %q is %s; %q is not", prop, want, lit.Text)}
	}
	switch typ {
	case layers.String:
		if lit.Kind != LitString {
			return "", mismatch("text; quote the value")
		}
		return b.bind(lit.Text), nil
	case layers.Integer:
		if lit.Kind != LitNumber {
			return "", mismatch("a whole number")
		}
		if lit.Num != math.Trunc(lit.Num) || math.Abs(lit.Num) > 1<<53 {
			return "", mismatch("a whole number")
		}
		return b.bind(int64(lit.Num)), nil
	case layers.Number:
		if lit.Kind != LitNumber {
			return "", mismatch("a number")
		}
		return b.bind(lit.Num), nil
	case layers.Boolean:
		if lit.Kind != LitBool {
			return "", mismatch("TRUE or FALSE")
		}
		return b.bind(lit.Bool), nil
	case layers.Date:
		if lit.Kind != LitDate && lit.Kind != LitString {
			return "", mismatch("a date: DATE('2024-01-31')")
		}
		if lit.Kind == LitString {
			if _, err := Parse("x = DATE('" + strings.ReplaceAll(lit.Text, "'", "''") + "')"); err != nil {
				return "", mismatch("a date: DATE('2024-01-31')")
			}
		}
		return b.bind(lit.Text) + "::date", nil
	case layers.Time:
		if lit.Kind != LitTimestamp && lit.Kind != LitDate {
			return "", mismatch("a timestamp: TIMESTAMP('2024-01-31T08:00:00Z')")
		}
		return b.bind(lit.Text) + "::timestamptz", nil
	}
	return "", &Error{fmt.Sprintf("property %q cannot be filtered", prop)}
}

func (b *builder) expr(e Expr) error {
	switch e := e.(type) {
	case And:
		return b.binary("AND", e.L, e.R)
	case Or:
		return b.binary("OR", e.L, e.R)
	case Not:
		b.sb.WriteString("(NOT ")
		if err := b.expr(e.X); err != nil {
			return err
		}
		b.sb.WriteString(")")
		return nil
	case Compare:
		col, typ, err := b.prop(e.Prop)
		if err != nil {
			return err
		}
		op := e.Op
		switch op {
		case "=", "<>", "<", "<=", ">", ">=":
		default:
			return &Error{fmt.Sprintf("unknown operator %q", op)}
		}
		if typ == layers.Boolean && op != "=" && op != "<>" {
			return &Error{fmt.Sprintf("property %q is TRUE or FALSE; use = or <>", e.Prop)}
		}
		v, err := b.value(e.Prop, typ, e.Value)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b.sb, "(%s %s %s)", col, op, v)
		return nil
	case Like:
		col, typ, err := b.prop(e.Prop)
		if err != nil {
			return err
		}
		if typ != layers.String {
			return &Error{fmt.Sprintf("LIKE needs a text property; %q is %s", e.Prop, typ)}
		}
		not := ""
		if e.Not {
			not = "NOT "
		}
		fmt.Fprintf(&b.sb, "(%s %sLIKE %s)", col, not, b.bind(e.Pattern))
		return nil
	case In:
		col, typ, err := b.prop(e.Prop)
		if err != nil {
			return err
		}
		parts := make([]string, len(e.Values))
		for i, v := range e.Values {
			if parts[i], err = b.value(e.Prop, typ, v); err != nil {
				return err
			}
		}
		not := ""
		if e.Not {
			not = "NOT "
		}
		fmt.Fprintf(&b.sb, "(%s %sIN (%s))", col, not, strings.Join(parts, ", "))
		return nil
	case Between:
		col, typ, err := b.prop(e.Prop)
		if err != nil {
			return err
		}
		if typ == layers.Boolean || typ == layers.String {
			return &Error{fmt.Sprintf("BETWEEN needs a number, date or time property; %q is %s", e.Prop, typ)}
		}
		lo, err := b.value(e.Prop, typ, e.Lo)
		if err != nil {
			return err
		}
		hi, err := b.value(e.Prop, typ, e.Hi)
		if err != nil {
			return err
		}
		not := ""
		if e.Not {
			not = "NOT "
		}
		fmt.Fprintf(&b.sb, "(%s %sBETWEEN %s AND %s)", col, not, lo, hi)
		return nil
	case IsNull:
		col, _, err := b.prop(e.Prop)
		if err != nil {
			return err
		}
		if e.Not {
			fmt.Fprintf(&b.sb, "(%s IS NOT NULL)", col)
		} else {
			fmt.Fprintf(&b.sb, "(%s IS NULL)", col)
		}
		return nil
	case Spatial:
		col, ok := b.r.Geometry(e.Prop)
		if !ok {
			return &Error{fmt.Sprintf("unknown geometry property %q (use geometry)", e.Prop)}
		}
		g := "ST_GeomFromText(" + b.bind(wkt.MarshalString(e.Geom)) + ", " + b.bind(int32(b.o.FilterSRID)) + "::integer)"
		if b.o.FilterSRID != 4326 {
			g = "ST_Transform(" + g + ", 4326)"
		}
		switch e.Op {
		case "S_INTERSECTS":
			fmt.Fprintf(&b.sb, "ST_Intersects(%s, %s)", col, g)
		case "S_WITHIN":
			fmt.Fprintf(&b.sb, "ST_Within(%s, %s)", col, g)
		case "S_CONTAINS":
			fmt.Fprintf(&b.sb, "ST_Contains(%s, %s)", col, g)
		case "S_DISJOINT":
			fmt.Fprintf(&b.sb, "ST_Disjoint(%s, %s)", col, g)
		case "S_DWITHIN":
			// Geodesic metres on the spheroid. The bounding-box test first keeps the GiST
			// index in play: a degree of latitude is at least 110,574 m, and a degree of
			// longitude at least 111,320·cos φ m at the highest latitude φ the search reaches,
			// so expanding by d/110000° in latitude and d/(110000·cos φ)° in longitude never
			// cuts a match away.
			d := b.bind(e.Distance) + "::float8"
			fmt.Fprintf(&b.sb, "(%[1]s && ST_Expand(%[2]s, %[3]s / (110000.0 * cos(radians(least(89.0, greatest(abs(ST_YMin(%[2]s)), abs(ST_YMax(%[2]s))) + %[3]s / 110000.0)))), %[3]s / 110000.0) AND ST_DWithin(%[1]s::geography, %[2]s::geography, %[3]s))", col, g, d)
		default:
			return &Error{fmt.Sprintf("unknown spatial operator %q", e.Op)}
		}
		return nil
	}
	return &Error{fmt.Sprintf("unsupported expression %T", e)}
}

func (b *builder) binary(op string, l, r Expr) error {
	b.sb.WriteString("(")
	if err := b.expr(l); err != nil {
		return err
	}
	b.sb.WriteString(" " + op + " ")
	if err := b.expr(r); err != nil {
		return err
	}
	b.sb.WriteString(")")
	return nil
}

// LayerResolver resolves property names against a layer of the registry: only its
// attributes, quoted; "geometry" and "geom" name its 4326 geometry.
type LayerResolver struct{ Layer *layers.Layer }

// Property implements Resolver.
func (l LayerResolver) Property(name string) (string, layers.Type, bool) {
	a := l.Layer.Attr(name)
	if a == nil {
		return "", "", false
	}
	col, _ := l.Layer.Column(name)
	return col, a.Type, true
}

// Geometry implements Resolver.
func (l LayerResolver) Geometry(name string) (string, bool) {
	if name == "geometry" || name == "geom" {
		return `"geom"`, true
	}
	return "", false
}
