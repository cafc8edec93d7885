package importer

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/layers"
)

// convert turns a raw file value into the Go value COPY sends for the attribute's type.
// The file's spellings are read first (text for numbers and booleans, yes/no, 1/0, several
// date layouts, numbers for text codes, surrounding blanks); the value is then checked by
// the layers' one attribute rule (featurewrite.Value: integer widths of the real column
// pgType, bounds, enums, text length), so a file is refused in the layers API's words.
// nil and blank non-text values stay nil (SQL NULL).
func convert(a *layers.Attribute, v any, pgType string) (any, error) {
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
	var canon any
	switch a.Type {
	case layers.String:
		switch x := v.(type) {
		case string:
			canon = x
		case json.Number:
			canon = x.String()
		case float64:
			canon = strconv.FormatFloat(x, 'f', -1, 64)
		case int64:
			canon = strconv.FormatInt(x, 10)
		case bool:
			canon = strconv.FormatBool(x)
		case time.Time:
			canon = x.Format("2006-01-02")
		default:
			return nil, fmt.Errorf("attribute %s: must be a string, got %T", a.Name, v)
		}
	case layers.Integer, layers.Number:
		n, err := toFloat(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: must be a number: %w", a.Name, err)
		}
		// The digits as written where there are any, so a large integer stays exact.
		switch x := v.(type) {
		case json.Number:
			canon = x
		case string:
			canon = json.Number(x)
		case int64:
			canon = json.Number(strconv.FormatInt(x, 10))
		default:
			canon = json.Number(strconv.FormatFloat(n, 'f', -1, 64))
		}
	case layers.Boolean:
		switch x := v.(type) {
		case bool:
			canon = x
		case string:
			switch strings.ToLower(x) {
			case "true", "t", "yes", "y", "1":
				canon = true
			case "false", "f", "no", "n", "0":
				canon = false
			default:
				return nil, fmt.Errorf("attribute %s: must be true or false, got %q", a.Name, x)
			}
		case json.Number, float64, int64:
			n, _ := toFloat(x)
			if n != 0 && n != 1 {
				return nil, fmt.Errorf("attribute %s: must be true or false, got %v", a.Name, x)
			}
			canon = n == 1
		default:
			return nil, fmt.Errorf("attribute %s: must be true or false, got %T", a.Name, v)
		}
	case layers.Date, layers.Time:
		var t time.Time
		switch x := v.(type) {
		case time.Time:
			t = x
		case string:
			var err error
			if t, err = parseTime(x, a.Type == layers.Date); err != nil {
				return nil, fmt.Errorf("attribute %s: %w", a.Name, err)
			}
		default:
			return nil, fmt.Errorf("attribute %s: must be a date, got %T", a.Name, v)
		}
		if a.Type == layers.Time {
			return t, nil // maintained by the database: never written by the layers API
		}
		canon = t.Format(time.DateOnly)
	default:
		return nil, fmt.Errorf("attribute %s: unsupported attribute type %s", a.Name, a.Type)
	}
	out, err := featurewrite.Value(a, canon, pgType)
	if err != nil {
		return nil, fmt.Errorf("attribute %s: %w", a.Name, err)
	}
	return out, nil
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
