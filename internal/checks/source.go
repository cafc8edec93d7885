package checks

import "context"

type layerSourceKey struct{}

// LayerSource is how a request's checks load their layers: a scenario's overlay instead of
// the baseline store.
type LayerSource func(ctx context.Context, city string, need Need) (*Layers, error)

// WithLayerSource returns a context under which the checks load their layers from src.
func WithLayerSource(ctx context.Context, src LayerSource) context.Context {
	return context.WithValue(ctx, layerSourceKey{}, src)
}

// load reads the layers a check needs: the baseline, or the request's scenario.
func (s *Service) load(ctx context.Context, city string, need Need) (*Layers, error) {
	if src, ok := ctx.Value(layerSourceKey{}).(LayerSource); ok {
		return src(ctx, city, need)
	}
	return s.Store.Load(ctx, city, need)
}

// ScenarioLayers loads a city's layers with a what-if scenario's changes overlaid
// (scenario.Service.ChecksLayers), and its walking network and parcels.
type ScenarioLayers interface {
	ChecksLayers(ctx context.Context, scenario int64, city string, need Need) (*Layers, error)
	// ChecksWalk is the scenario's walking network and parcels for NetworkReach (edges
	// added and closed, parcels added, moved and deleted); nil keeps the baseline's.
	ChecksWalk(scenario int64) WalkSource
}

type walkSourceKey struct{}

// WithScenario returns a context under which the checks run on baseline plus scenario id's
// changes, as src overlays them: the layers, and the network reach's walking network and
// parcels. It is what the scenario= parameter and the CLI's --scenario use.
func WithScenario(ctx context.Context, src ScenarioLayers, id int64) context.Context {
	if w := src.ChecksWalk(id); w != nil {
		ctx = context.WithValue(ctx, walkSourceKey{}, w)
	}
	return WithLayerSource(ctx, func(ctx context.Context, city string, need Need) (*Layers, error) {
		return src.ChecksLayers(ctx, id, city, need)
	})
}

// withWalk is r walking on the request's scenario network when there is one.
func withWalk(ctx context.Context, r Reach) Reach {
	w, ok := ctx.Value(walkSourceKey{}).(WalkSource)
	if nr, isNet := r.(NetworkReach); ok && isNet {
		nr.Walk = w
		return nr
	}
	return r
}
