package walk

import (
	"context"
	"encoding/json"
)

// CommunitiesGeoJSON renders the communities of a community-level report as a GeoJSON
// FeatureCollection in EPSG:4326 for the map: status, reached and missing categories and
// each category's share of residents covered.
func (s *Service) CommunitiesGeoJSON(ctx context.Context, rep *Report) (json.RawMessage, error) {
	geoms, err := s.Store.CommunityGeometries(ctx, rep.City.ID)
	if err != nil {
		return nil, err
	}
	fc := struct {
		Type     string       `json:"type"`
		Features []geoFeature `json:"features"`
		Summary  any          `json:"summary"`
	}{Type: "FeatureCollection", Features: []geoFeature{}, Summary: map[string]any{
		"communities": rep.Communities, "complete_communities": rep.CompleteCommunities,
		"target": rep.Target, "target_met": rep.TargetMet, "share": rep.Share}}
	for _, a := range rep.Areas {
		g, ok := geoms[a.ID]
		if !ok {
			continue
		}
		shares := map[string]float64{}
		for _, cf := range a.Coverage {
			shares[cf.Code] = cf.PopulationShare
		}
		fc.Features = append(fc.Features, geoFeature{Type: "Feature", ID: a.ID, Geometry: g, Properties: map[string]any{
			"id": a.ID, "code": a.Code, "name": a.Name, "status": a.Status, "complete": a.Complete,
			"reached": a.Reached, "missing": a.Missing, "missing_count": len(a.Missing),
			"population": a.Population, "residential_m2": a.ResidentialM2, "population_share": shares}})
	}
	return json.Marshal(fc)
}

// geoFeature is one GeoJSON feature with a numeric id.
type geoFeature struct {
	Type       string          `json:"type"`
	ID         int64           `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}
