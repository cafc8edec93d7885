package ogcapi

import (
	"context"
	"testing"
)

// countingCollection computes an extent that grows with every computation.
type countingCollection struct {
	Collection
	computed *int
}

func (c countingCollection) Description() Description { return Description{ID: "x"} }
func (c countingCollection) ExtentLayers() []string   { return []string{"x"} }
func (c countingCollection) Extent(context.Context) (Extent, error) {
	*c.computed++
	f := float64(*c.computed)
	return Extent{BBox: &[4]float64{0, 0, f, f}}, nil
}

type tokens struct {
	token string
	live  bool
}

func (t *tokens) Generation(context.Context, []string) (string, bool) { return t.token, t.live }

// TestExtentCache: the extent is computed once while the change token stays, again after
// an edit changes it, and every time while no live listener can tell.
func TestExtentCache(t *testing.T) {
	n := 0
	col := countingCollection{computed: &n}
	ch := &tokens{token: "0,1", live: true}
	var x extents
	get := func() float64 {
		e, err := x.extent(context.Background(), col, ch)
		if err != nil {
			t.Fatal(err)
		}
		return e.BBox[2]
	}
	if a, b := get(), get(); a != 1 || b != 1 || n != 1 {
		t.Fatalf("unchanged data: extents %v, %v after %d computations, want 1, 1 after 1", a, b, n)
	}
	ch.token = "0,2" // an edit of x was notified
	if a, b := get(), get(); a != 2 || b != 2 || n != 2 {
		t.Fatalf("after an edit: %v, %v after %d computations, want 2, 2 after 2", a, b, n)
	}
	ch.live = false
	if a, b := get(), get(); a != 3 || b != 4 {
		t.Fatalf("without a listener: %v, %v, want a computation each time (3, 4)", a, b)
	}
}
