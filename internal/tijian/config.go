package tijian

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"path"
)

//go:embed dimensions.json
var dimensionsJSON []byte

// Dimension is one 维度 of the 体检 tables: one XLSX sheet. Indicators are indicator keys
// or patterns (path.Match, e.g. "fail_*") in column order.
type Dimension struct {
	ID         string   `json:"id"`
	NameZH     string   `json:"name_zh"`
	NameEN     string   `json:"name_en"`
	Source     string   `json:"source"`
	Indicators []string `json:"indicators"`
}

// Name is the dimension's name in lang (zh or en).
func (d Dimension) Name(lang string) string {
	if lang == "en" {
		return d.NameEN
	}
	return d.NameZH
}

// Dimensions returns the grouping of the indicators into 维度 (dimensions.json,
// docs/tijian.md).
func Dimensions() []Dimension {
	var ds []Dimension
	if err := json.Unmarshal(dimensionsJSON, &ds); err != nil {
		panic("tijian: dimensions.json: " + err.Error()) // caught by the tests
	}
	return ds
}

// group assigns every indicator to the first dimension that holds it, in the dimension's
// pattern order; an indicator no dimension holds is an error (a configuration that would
// drop a column silently).
func group(ds []Dimension, inds []Indicator) (map[string][]Indicator, error) {
	out := map[string][]Indicator{}
	placed := map[string]bool{}
	for _, d := range ds {
		for _, p := range d.Indicators {
			for _, in := range inds {
				if ok, _ := path.Match(p, in.Key); ok && !placed[in.Key] {
					placed[in.Key] = true
					out[d.ID] = append(out[d.ID], in)
				}
			}
		}
	}
	for _, in := range inds {
		if !placed[in.Key] {
			return nil, fmt.Errorf("tijian: indicator %s is in no dimension (dimensions.json)", in.Key)
		}
	}
	return out, nil
}
