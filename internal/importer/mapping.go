package importer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/cityreach/cityreach/internal/layers"
)

// Mapping maps layer attributes to file fields: Mapping["name"] = "NAME" fills the
// layer's name from the file's NAME field. A value starting with "=" is a constant for
// every feature ("kind" = "=旗"). Without a mapping entry, a file field whose name equals
// a writable layer attribute (ignoring case) fills it.
type Mapping map[string]string

// ParseMapping parses the --map flag: "name=NAME,population=POP". Repeated flags are
// merged by the caller.
func ParseMapping(s string) (Mapping, error) {
	m := Mapping{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || (v == "" && !strings.HasPrefix(v, "=")) {
			return nil, fmt.Errorf("mapping %q: want attribute=FIELD", part)
		}
		m[k] = v
	}
	return m, nil
}

// LoadMappingFile reads a mapping file: a JSON object or a YAML mapping of attribute to
// field, for example
//
//	name: NAME
//	population: POP
//	kind: "=区"
func LoadMappingFile(path string) (Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := Mapping{}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		err = json.Unmarshal(b, &m)
	default:
		err = yaml.Unmarshal(b, &m)
	}
	if err != nil {
		return nil, fmt.Errorf("mapping file %s: %w", path, err)
	}
	return m, nil
}

// fixedAttrs are set by the import itself, never from the file.
var fixedAttrs = map[string]bool{"city_id": true, "data_source": true, "synthetic": true}

// plan is a mapping resolved against a layer: which attributes are filled and from where.
type plan struct {
	layer *layers.Layer
	attrs []planAttr
}

type planAttr struct {
	attr     *layers.Attribute
	field    string // file field; "" when constant
	constant *string
}

// resolve checks m against the layer's allow-list and completes it with the
// same-name fields of the file (fields may be nil for GeoJSON; then every writable
// attribute is looked up by name in each feature).
func resolve(l *layers.Layer, m Mapping, fields []string) (*plan, error) {
	p := &plan{layer: l}
	used := map[string]bool{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := l.Attr(k)
		if a == nil {
			return nil, fmt.Errorf("mapping: layer %s has no attribute %q", l.ID, k)
		}
		if a.ReadOnly || fixedAttrs[k] {
			return nil, fmt.Errorf("mapping: attribute %q of layer %s is not set from files", k, l.ID)
		}
		v := m[k]
		if strings.HasPrefix(v, "=") {
			c := v[1:]
			p.attrs = append(p.attrs, planAttr{attr: a, constant: &c})
		} else {
			p.attrs = append(p.attrs, planAttr{attr: a, field: v})
		}
		used[k] = true
	}
	for _, w := range l.Writable() {
		if used[w.Name] || fixedAttrs[w.Name] {
			continue
		}
		a := l.Attr(w.Name)
		if fields == nil {
			p.attrs = append(p.attrs, planAttr{attr: a, field: w.Name})
			continue
		}
		for _, f := range fields {
			if strings.EqualFold(f, w.Name) {
				p.attrs = append(p.attrs, planAttr{attr: a, field: f})
				break
			}
		}
	}
	for _, w := range l.Writable() {
		if !w.Required || fixedAttrs[w.Name] {
			continue
		}
		found := false
		for _, pa := range p.attrs {
			found = found || pa.attr.Name == w.Name
		}
		if !found {
			return nil, fmt.Errorf("mapping: layer %s requires %q and no file field has that name; map one with --map %s=FIELD", l.ID, w.Name, w.Name)
		}
	}
	if fields != nil {
		have := map[string]bool{}
		for _, f := range fields {
			have[f] = true
		}
		for _, pa := range p.attrs {
			if pa.constant == nil && !have[pa.field] {
				return nil, fmt.Errorf("mapping: the file has no field %q (fields: %s)", pa.field, strings.Join(fields, ", "))
			}
		}
	}
	return p, nil
}

// lookup finds field in props, exactly or else ignoring case.
func lookup(props map[string]any, field string) (any, bool) {
	if v, ok := props[field]; ok {
		return v, true
	}
	for k, v := range props {
		if strings.EqualFold(k, field) {
			return v, true
		}
	}
	return nil, false
}

// Mapped returns the resolved mapping as attribute → source ("FIELD" or "=constant").
func (p *plan) Mapped() map[string]string {
	out := map[string]string{}
	for _, a := range p.attrs {
		if a.constant != nil {
			out[a.attr.Name] = "=" + *a.constant
		} else {
			out[a.attr.Name] = a.field
		}
	}
	return out
}
