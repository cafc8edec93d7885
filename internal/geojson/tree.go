package geojson

import (
	"encoding/json"
	"fmt"
)

// A JSON value read by reader is one of: *object, []any, json.Number,
// string, bool or nil. Objects keep their members in document order so that
// the first problem reported is always the same one.

// object is a JSON object whose keys are known to be unique.
type object struct {
	members []member
}

type member struct {
	key   string
	value any
}

// get returns the value of member key and whether it is present.
func (o *object) get(key string) (any, bool) {
	for _, m := range o.members {
		if m.key == key {
			return m.value, true
		}
	}
	return nil, false
}

// Objects with more members than this use a map to find duplicates; smaller
// ones scan, which is faster and allocates nothing.
const duplicateScanLimit = 16

// value reads the JSON value that starts with tok, found at at.
func (r *reader) value(tok json.Token, at *path) (any, error) {
	switch tok {
	case json.Delim('{'):
		return r.object(at)
	case json.Delim('['):
		return r.array(at)
	}
	if _, ok := tok.(string); ok {
		if err := r.text(at); err != nil {
			return nil, err
		}
	}
	return tok, nil // json.Number, string, bool or nil
}

// next reads the next complete JSON value, found at at.
func (r *reader) next(at *path) (any, error) {
	tok, err := r.token(at)
	if err != nil {
		return nil, err
	}
	return r.value(tok, at)
}

// object reads the members of an object whose '{' has been read.
func (r *reader) object(at *path) (*object, error) {
	if err := r.enter(at); err != nil {
		return nil, err
	}
	defer r.leave()
	o := &object{}
	var seen map[string]struct{}
	for {
		tok, err := r.token(at)
		if err != nil {
			return nil, err
		}
		if tok == json.Delim('}') {
			return o, nil
		}
		key, _ := tok.(string) // the decoder only yields a string here
		child := at.key(key)
		if err := r.text(child); err != nil {
			return nil, err
		}
		if seen == nil && len(o.members) >= duplicateScanLimit {
			seen = make(map[string]struct{}, 2*len(o.members))
			for _, m := range o.members {
				seen[m.key] = struct{}{}
			}
		}
		if isDuplicate(o, seen, key) {
			return nil, errorAt(child, fmt.Sprintf("duplicate key %q", key))
		}
		if seen != nil {
			seen[key] = struct{}{}
		}
		v, err := r.next(child)
		if err != nil {
			return nil, err
		}
		o.members = append(o.members, member{key, v})
	}
}

func isDuplicate(o *object, seen map[string]struct{}, key string) bool {
	if seen != nil {
		_, dup := seen[key]
		return dup
	}
	_, dup := o.get(key)
	return dup
}

// array reads the elements of an array whose '[' has been read.
func (r *reader) array(at *path) ([]any, error) {
	if err := r.enter(at); err != nil {
		return nil, err
	}
	defer r.leave()
	a := []any{}
	for i := 0; ; i++ {
		child := at.at(i)
		tok, err := r.token(child)
		if err != nil {
			return nil, err
		}
		if tok == json.Delim(']') {
			return a, nil
		}
		v, err := r.value(tok, child)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
}

// plain converts a value read by reader to the types encoding/json produces
// with UseNumber: map[string]any, []any, json.Number, string, bool, nil.
func plain(v any) any {
	switch v := v.(type) {
	case *object:
		m := make(map[string]any, len(v.members))
		for _, mb := range v.members {
			m[mb.key] = plain(mb.value)
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// kindOf names the JSON kind of v with an article, for error messages.
func kindOf(v any) string {
	switch v.(type) {
	case *object:
		return "an object"
	case []any:
		return "an array"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
