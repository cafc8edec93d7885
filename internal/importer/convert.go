package importer

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cityreach/cityreach/internal/layers"
)

// convert turns a raw file value into the Go value COPY sends for the attribute's type,
// and checks the registry's enum and bounds. nil stays nil (SQL NULL).
func convert(a *layers.Attribute, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if s, ok := v.(string); ok && a.Type != layers.String {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
		v = s
	}
	var out any
	switch a.Type {
	case layers.String:
		switch x := v.(type) {
		case string:
			out = x
		case json.Number:
			out = x.String()
		case float64:
			out = strconv.FormatFloat(x, 'f', -1, 64)
		case int64:
			out = strconv.FormatInt(x, 10)
		case bool:
			out = strconv.FormatBool(x)
		case time.Time:
			out = x.Format("2006-01-02")
		default:
			return nil, fmt.Errorf("%s: want text, got %T", a.Name, v)
		}
		if !utf8Clean(out.(string)) {
			return nil, fmt.Errorf("%s: text contains a NUL character", a.Name)
		}
	case layers.Integer:
		n, err := toFloat(v)
		if err != nil {
			return nil, fmt.Errorf("%s: want an integer: %w", a.Name, err)
		}
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return nil, fmt.Errorf("%s: want an integer, got %v", a.Name, v)
		}
		out = int64(n)
	case layers.Number:
		n, err := toFloat(v)
		if err != nil {
			return nil, fmt.Errorf("%s: want a number: %w", a.Name, err)
		}
		out = n
	case layers.Boolean:
		switch x := v.(type) {
		case bool:
			out = x
		case string:
			switch strings.ToLower(x) {
			case "true", "t", "yes", "y", "1":
				out = true
			case "false", "f", "no", "n", "0":
				out = false
			default:
				return nil, fmt.Errorf("%s: want true or false, got %q", a.Name, x)
			}
		case json.Number, float64, int64:
			n, _ := toFloat(x)
			if n != 0 && n != 1 {
				return nil, fmt.Errorf("%s: want true or false, got %v", a.Name, x)
			}
			out = n == 1
		default:
			return nil, fmt.Errorf("%s: want true or false, got %T", a.Name, v)
		}
	case layers.Date, layers.Time:
		switch x := v.(type) {
		case time.Time:
			out = x
		case string:
			t, err := parseTime(x, a.Type == layers.Date)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", a.Name, err)
			}
			out = t
		default:
			return nil, fmt.Errorf("%s: want a date, got %T", a.Name, v)
		}
	default:
		return nil, fmt.Errorf("%s: unsupported attribute type %s", a.Name, a.Type)
	}
	if len(a.Enum) > 0 {
		s, _ := out.(string)
		if !slices.Contains(a.Enum, s) {
			return nil, fmt.Errorf("%s: %q is not one of %s", a.Name, s, strings.Join(a.Enum, ", "))
		}
	}
	if n, ok := numeric(out); ok {
		if a.Min != nil && n < *a.Min {
			return nil, fmt.Errorf("%s: %v is below the minimum %v", a.Name, n, *a.Min)
		}
		if a.Max != nil && n > *a.Max {
			return nil, fmt.Errorf("%s: %v is above the maximum %v", a.Name, n, *a.Max)
		}
	}
	return out, nil
}

func utf8Clean(s string) bool { return !strings.ContainsRune(s, 0) }

func numeric(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func toFloat(v any) (float64, error) {
	var n float64
	var err error
	switch x := v.(type) {
	case json.Number:
		n, err = strconv.ParseFloat(x.String(), 64)
	case float64:
		n = x
	case int64:
		n = float64(x)
	case string:
		n, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
	case bool:
		return 0, fmt.Errorf("got a boolean")
	default:
		return 0, fmt.Errorf("got %T", v)
	}
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", fmt.Sprint(v))
	}
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, fmt.Errorf("%v is not a finite number", n)
	}
	return n, nil
}

func parseTime(s string, dateOnly bool) (time.Time, error) {
	layouts := []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02", "20060102", "2006/01/02"}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			if dateOnly {
				return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
}
