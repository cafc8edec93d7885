package featurewrite

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/openness"
)

// MaxStringBytes bounds one string attribute.
const MaxStringBytes = 4096

// Mode says which attributes a write must and may carry.
type Mode int

// The modes.
const (
	Create  Mode = iota // required attributes must be given; absent ones take defaults
	Replace             // as create, and absent writable attributes are reset to defaults
	Patch               // only the given attributes change; null resets to the default
)

// ColumnType names the PostgreSQL type of a layer's column (int2, int4, int8, float8,
// text, bool, date, timestamptz); "" when unknown, which bounds integers by 64 bits.
type ColumnType func(attr string) string

// Attributes checks props (JSON values decoded with UseNumber) against the layer's schema
// and converts them to the Go types the store binds. Read-only attributes (id, version,
// timestamps, computed areas) are ignored, so a feature read from the API can be sent back
// as it is. preset names attributes the caller sets itself: they are not demanded. A
// refusal is a fault.Unprocessable naming the attribute and the JSON pointer
// (/properties/…) into the feature.
func Attributes(l *layers.Layer, props map[string]any, m Mode, colType ColumnType, preset ...string) (map[string]any, error) {
	if colType == nil {
		colType = func(string) string { return "" }
	}
	out := map[string]any{}
	for k, v := range props {
		a := l.Attr(k)
		if a == nil {
			return nil, refuse("unknown attribute "+strconv.Quote(Clip(k))+" for layer "+l.ID, Clip(k), "/properties/"+Clip(k))
		}
		if a.ReadOnly {
			continue
		}
		if v == nil {
			if a.Required {
				return nil, refuse("attribute "+k+" is required and cannot be null", k, "/properties/"+k)
			}
			out[k] = nil
			continue
		}
		cv, err := Value(a, v, colType(k))
		if err != nil {
			return nil, refuse("attribute "+k+": "+err.Error(), k, "/properties/"+k)
		}
		out[k] = cv
	}
	if m == Patch {
		return out, nil
	}
	for _, a := range l.Writable() {
		if _, ok := out[a.Name]; ok || slices.Contains(preset, a.Name) {
			continue
		}
		if a.Required {
			return nil, refuse("attribute "+a.Name+" is required", a.Name, "/properties")
		}
		if m == Replace {
			out[a.Name] = nil
		}
	}
	return out, nil
}

func refuse(detail, attribute, pointer string) *fault.Error {
	return fault.Unprocessable(detail).With("attribute", attribute).With("pointer", pointer)
}

// Value checks one JSON value (as decoded with UseNumber: string, json.Number, bool) against
// the attribute and the width of its column (pgType), and returns the Go value to bind.
// The error says what is wrong in words meant to follow "attribute <name>: ".
func Value(a *layers.Attribute, v any, pgType string) (any, error) {
	switch a.Type {
	case layers.String:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("must be a string, got %s", jsonKind(v))
		}
		if len(s) > MaxStringBytes || strings.ContainsRune(s, 0) || !utf8.ValidString(s) {
			return nil, fmt.Errorf("must be text of at most %d bytes without NUL characters", MaxStringBytes)
		}
		if len(a.Enum) > 0 && !slices.Contains(a.Enum, s) {
			return nil, fmt.Errorf("must be one of %s", strings.Join(a.Enum, ", "))
		}
		if a.Format == layers.FormatOpeningHours {
			if _, err := openness.Parse(s); err != nil {
				return nil, err
			}
		}
		return s, nil
	case layers.Integer:
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("must be a whole number, got %s", jsonKind(v))
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(string(n), 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return nil, fmt.Errorf("must be a whole number within range, got %s", Clip(string(n)))
			}
			i = int64(f)
		}
		if !IntFits(i, pgType) {
			return nil, fmt.Errorf("%d is out of range", i)
		}
		if err := inRange(a, float64(i)); err != nil {
			return nil, err
		}
		return i, nil
	case layers.Number:
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("must be a number, got %s", jsonKind(v))
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("must be a finite number")
		}
		if err := inRange(a, f); err != nil {
			return nil, err
		}
		return f, nil
	case layers.Boolean:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("must be true or false, got %s", jsonKind(v))
		}
		return b, nil
	case layers.Date:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("must be a date string such as 2024-06-30, got %s", jsonKind(v))
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, fmt.Errorf("must be a date such as 2024-06-30")
		}
		return d, nil
	}
	return nil, fmt.Errorf("cannot be written")
}

// IntFits says whether n fits a column of PostgreSQL type pgType.
func IntFits(n int64, pgType string) bool {
	switch pgType {
	case "int2":
		return n >= math.MinInt16 && n <= math.MaxInt16
	case "int4":
		return n >= math.MinInt32 && n <= math.MaxInt32
	}
	return true
}

func inRange(a *layers.Attribute, f float64) error {
	if a.Min != nil && f < *a.Min {
		return fmt.Errorf("must be at least %s", strconv.FormatFloat(*a.Min, 'g', -1, 64))
	}
	if a.Max != nil && f > *a.Max {
		return fmt.Errorf("must be at most %s", strconv.FormatFloat(*a.Max, 'g', -1, 64))
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return "null"
}

// Clip bounds a client-supplied string echoed in a detail: valid UTF-8, at most 64 runes,
// "…" where it was cut.
func Clip(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}
