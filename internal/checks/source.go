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
// (scenario.Service.ChecksLayers).
type ScenarioLayers interface {
	ChecksLayers(ctx context.Context, scenario int64, city string, need Need) (*Layers, error)
}

// WithScenario returns a context under which the checks run on baseline plus scenario id's
// changes, as src overlays them: the scenario= parameter and the CLI's --scenario.
func WithScenario(ctx context.Context, src ScenarioLayers, id int64) context.Context {
	return WithLayerSource(ctx, func(ctx context.Context, city string, need Need) (*Layers, error) {
		return src.ChecksLayers(ctx, id, city, need)
	})
}
