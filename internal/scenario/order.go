package scenario

import (
	"sort"
	"time"

	"github.com/cityreach/cityreach/internal/coverage"
)

type timeT = time.Time

// date reads a date property (YYYY-MM-DD, or a timestamp from to_jsonb).
func date(m map[string]any, k string) (*time.Time, error) {
	s, ok := m[k].(string)
	if !ok || s == "" {
		return nil, nil
	}
	if len(s) > 10 {
		s = s[:10]
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// sortChanges orders the overlay by id so that results never depend on map order.
func sortChanges(ch *coverage.Changes) {
	sort.Slice(ch.DeleteParks, func(i, j int) bool { return ch.DeleteParks[i] < ch.DeleteParks[j] })
	sort.Slice(ch.DeleteParcels, func(i, j int) bool { return ch.DeleteParcels[i] < ch.DeleteParcels[j] })
	sort.Slice(ch.DeleteEdges, func(i, j int) bool { return ch.DeleteEdges[i] < ch.DeleteEdges[j] })
	sort.Slice(ch.AddParks, func(i, j int) bool { return ch.AddParks[i].ID < ch.AddParks[j].ID })
	sort.Slice(ch.AddParcels, func(i, j int) bool { return ch.AddParcels[i].ID < ch.AddParcels[j].ID })
	sort.Slice(ch.AddEdges, func(i, j int) bool { return ch.AddEdges[i].ID < ch.AddEdges[j].ID })
	sort.Slice(ch.Steps, func(i, j int) bool { return ch.Steps[i] < ch.Steps[j] })
}
