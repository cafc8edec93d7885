package checks

import (
	"context"

	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/walk"
)

// pastWalk is a city's walking network and parcels as they were at an edition: what the
// network reach walks for as_of=.
type pastWalk struct {
	n  *walk.Network
	in *walk.Inputs
}

func (p pastWalk) Network(context.Context, walk.City) (*walk.Network, error) { return p.n, nil }
func (p pastWalk) Inputs(context.Context, walk.City) (*walk.Inputs, error)   { return p.in, nil }

// layers loads need of r's city: the current data, or the data as of r.AsOf. walking says
// the check walks the network (the scorecard's reach): the returned context then makes the
// reach walk the network and parcels of that time too.
func (s *Service) layers(ctx context.Context, r Request, need Need, walking bool) (context.Context, *Layers, *edition.AsOf, error) {
	if r.AsOf == "" {
		l, err := s.load(ctx, r.City, need)
		return ctx, l, nil, err
	}
	return s.loadAsOf(ctx, r.City, r.AsOf, need, walking)
}

// loadAsOf reads need of the city as it was at asOf (an edition name of the city, an RFC 3339
// time or a date; internal/edition) and returns a context under which the network reach
// walks the network and parcels of that time too, so the whole check sees one past state.
func (s *Service) loadAsOf(ctx context.Context, slug, asOf string, need Need, walking bool) (context.Context, *Layers, *edition.AsOf, error) {
	c, err := s.Store.City(ctx, slug)
	if err != nil {
		return nil, nil, nil, err
	}
	at, err := edition.Store{Pool: s.Store.Pool}.At(ctx, c.ID, "as_of", asOf)
	if err != nil {
		return nil, nil, nil, err
	}
	l, err := s.Store.LoadAsOf(ctx, c, need, at.At)
	if err != nil {
		return nil, nil, nil, err
	}
	if !walking {
		return ctx, l, &at, nil
	}
	n, in, err := walk.Store{Pool: s.Store.Pool}.LoadAsOf(ctx, walk.City{ID: c.ID, Slug: c.Slug, Name: c.Name, MetricSRID: c.MetricSRID}, at, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	return context.WithValue(ctx, walkSourceKey{}, WalkSource(pastWalk{n: n, in: in})), l, &at, nil
}
