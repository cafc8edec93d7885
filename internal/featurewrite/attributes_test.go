package featurewrite

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/layers"
)

// FuzzAttributes feeds arbitrary JSON properties to the residential_land and parks schemas:
// never a panic; a refusal is a 422 fault naming the attribute and a pointer; an accepted
// integer is an int64 within the registry's bounds and the column's width, an accepted
// string is at most MaxStringBytes of valid UTF-8 and in the enum.
func FuzzAttributes(f *testing.F) {
	for _, s := range []string{
		`{"population":120,"households":40}`, `{"population":10.5,"households":3}`, `{"population":-5,"households":0}`,
		`{"population":"7","households":1}`, `{"population":1e2,"households":1.0}`, `{"population":3000000000,"households":1}`,
		`{"name":"x","park_class":"forest"}`, `{"name":"x","park_class":"garden","pocket":1}`, `{"name":null}`,
		`{"colour":"green"}`, `{"population":9007199254740993,"households":1}`, `{"area_m2":5,"population":1,"households":1}`,
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	reg := layers.Default()
	cols := Columns{"residential_land": {"population": "int4", "households": "int4"}}
	f.Fuzz(func(t *testing.T, doc string, parks bool) {
		var props map[string]any
		dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
		dec.UseNumber()
		if dec.Decode(&props) != nil || props == nil {
			return
		}
		l := reg.Lookup("residential_land")
		if parks {
			l = reg.Lookup("parks")
		}
		for _, m := range []Mode{Create, Replace, Patch} {
			out, err := Attributes(l, props, m, cols.Of(l))
			if err != nil {
				fe := fault.As(err)
				if fe == nil || fe.Kind != fault.KindUnprocessable || fe.Extra["attribute"] == nil || fe.Extra["pointer"] == nil {
					t.Fatalf("%s: refusal %v is not a 422 naming attribute and pointer", doc, err)
				}
				continue
			}
			for k, v := range out {
				a := l.Attr(k)
				if a == nil || a.ReadOnly {
					t.Fatalf("%s: wrote %s", doc, k)
				}
				switch x := v.(type) {
				case int64:
					if a.Min != nil && float64(x) < *a.Min || a.Max != nil && float64(x) > *a.Max || x > math.MaxInt32 && cols[l.ID][k] == "int4" {
						t.Fatalf("%s: %s = %d out of bounds", doc, k, x)
					}
				case string:
					if len(x) > MaxStringBytes {
						t.Fatalf("%s: %s too long", doc, k)
					}
					if len(a.Enum) > 0 {
						found := false
						for _, e := range a.Enum {
							found = found || e == x
						}
						if !found {
							t.Fatalf("%s: %s = %q not in the enum", doc, k, x)
						}
					}
				}
			}
		}
	})
}
