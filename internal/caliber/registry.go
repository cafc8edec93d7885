package caliber

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
)

//go:embed builtin.json
var builtinJSON []byte

// ErrNotFound is returned for an unknown caliber id.
var ErrNotFound = errors.New("caliber: not found")

// ErrExists is returned when a caliber id is already taken.
var ErrExists = errors.New("caliber: id already exists")

// Builtin returns fresh copies of the six calibers of docs/standards.md §1 and the
// 城市体检 site caliber of §6 (docs/tijian.md).
func Builtin() []Caliber {
	cs, err := Decode(bytes.NewReader(builtinJSON))
	if err != nil {
		panic("caliber: builtin.json is invalid: " + err.Error()) // caught by the tests
	}
	for i := range cs {
		cs[i].Builtin = true
	}
	return cs
}

// Decode reads a JSON array of calibers (or a single caliber object) and validates each.
// Unknown fields are refused so a misspelt key does not silently fall back to a default.
func Decode(r io.Reader) ([]Caliber, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	var cs []Caliber
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if len(raw) > 0 && raw[0] == '{' {
		var c Caliber
		if err := dec.Decode(&c); err != nil {
			return nil, &ValidationError{Field: "body", Reason: err.Error()}
		}
		cs = []Caliber{c}
	} else if err := dec.Decode(&cs); err != nil {
		return nil, &ValidationError{Field: "body", Reason: err.Error()}
	}
	for i := range cs {
		cs[i].Builtin = false
		if err := cs[i].Validate(); err != nil {
			var ve *ValidationError
			if len(cs) > 1 && errors.As(err, &ve) {
				ve.Field = fmt.Sprintf("[%d].%s", i, ve.Field)
			}
			return nil, err
		}
	}
	return cs, nil
}

// LoadFile reads user calibers from a JSON file.
func LoadFile(path string) ([]Caliber, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	return Decode(f)
}

// Registry is the set of calibers one process serves: the built-in ones and user ones.
// It is safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	by map[string]Caliber
}

// NewRegistry returns a registry holding the built-in calibers and extra.
func NewRegistry(extra ...Caliber) (*Registry, error) {
	r := &Registry{by: map[string]Caliber{}}
	for _, c := range Builtin() {
		r.by[c.ID] = c
	}
	for _, c := range extra {
		if err := r.Add(c); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Get returns a copy of the caliber with id.
func (r *Registry) Get(id string) (Caliber, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.by[id]
	if !ok {
		return Caliber{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return clone(c), nil
}

// List returns every caliber, built-in ones first, then by id.
func (r *Registry) List() []Caliber {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Caliber, 0, len(r.by))
	for _, c := range r.by {
		out = append(out, clone(c))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Builtin != out[j].Builtin {
			return out[i].Builtin
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Add validates c and adds it as a user caliber. It refuses an id already taken.
func (r *Registry) Add(c Caliber) error {
	c = clone(c)
	c.Builtin = false
	if err := c.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.by[c.ID]; ok {
		return fmt.Errorf("%w: %q", ErrExists, c.ID)
	}
	r.by[c.ID] = c
	return nil
}

func clone(c Caliber) Caliber {
	c.Classes = append([]string(nil), c.Classes...)
	c.OpenStatus = append([]string(nil), c.OpenStatus...)
	c.Bands = append([]Band(nil), c.Bands...)
	c.Targets = append([]Target(nil), c.Targets...)
	if c.PerCapita != nil {
		p := *c.PerCapita
		c.PerCapita = &p
	}
	return c
}
