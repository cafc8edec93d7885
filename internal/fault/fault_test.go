package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorTextAndChain(t *testing.T) {
	cause := errors.New("pq: duplicate key")
	e := Conflict("caliber x already exists").With("parameter", "id")
	e.Cause = cause
	wrapped := fmt.Errorf("adding: %w", e)
	if got := e.Error(); got != "caliber x already exists: pq: duplicate key" {
		t.Errorf("Error() = %q", got)
	}
	if Invalid("city is required").Error() != "city is required" {
		t.Error("a fault without a cause is its detail")
	}
	if As(wrapped) != e || KindOf(wrapped) != KindConflict || !errors.Is(wrapped, cause) {
		t.Errorf("chain: As %v, KindOf %v", As(wrapped), KindOf(wrapped))
	}
	if As(cause) != nil || KindOf(cause) != 0 {
		t.Error("a plain error is no fault")
	}
	if e.Extra["parameter"] != "id" || KindTooMany.String() != "too many" || Kind(99).String() != "unknown" {
		t.Errorf("members %v", e.Extra)
	}
}
