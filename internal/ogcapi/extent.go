package ogcapi

import (
	"context"
	"sync"
)

// Changes tells whether tables have changed: Generation returns a token that differs
// after any edit of the named tables committed before the call, ok false when it cannot
// tell (then nothing is cached). The tile service's edit listener is one (tiles.Service.Generation).
type Changes interface {
	Generation(ctx context.Context, tables []string) (token string, ok bool)
}

// extents caches each collection's computed extent with the change token it was computed
// under; an edit of one of the collection's tables changes the token and so recomputes.
type extents struct {
	mu sync.Mutex
	m  map[string]cachedExtent
}

type cachedExtent struct {
	token string
	e     Extent
}

// extent returns col's extent: cached while changes says its tables are unchanged,
// computed otherwise; collections that cannot compute one have none.
func (x *extents) extent(ctx context.Context, col Collection, changes Changes) (Extent, error) {
	ex, ok := col.(Extenter)
	if !ok {
		return Extent{}, nil
	}
	id := col.Description().ID
	var token string
	cacheable := false
	if changes != nil {
		token, cacheable = changes.Generation(ctx, ex.ExtentLayers())
	}
	if cacheable {
		x.mu.Lock()
		c, hit := x.m[id]
		x.mu.Unlock()
		if hit && c.token == token {
			return c.e, nil
		}
	}
	e, err := ex.Extent(ctx)
	if err != nil || !cacheable {
		return e, err
	}
	x.mu.Lock()
	if x.m == nil {
		x.m = map[string]cachedExtent{}
	}
	x.m[id] = cachedExtent{token: token, e: e}
	x.mu.Unlock()
	return e, nil
}
