package scenario

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/fault"
)

// CapacityReport serves GET /api/v1/indicators/capacity?scenario=: the capacity
// indicator on the scenario's walking network, parcels (demand) and facilities (supply,
// with the capacity each added or modified facility has once the change applies).
func (s *Service) CapacityReport(ctx context.Context, id int64, city string, opt capacity.Options) (*capacity.Report, error) {
	rep, _, err := s.capacityReport(ctx, id, city, opt)
	return rep, err
}

// CapacityMap serves GET /api/v1/indicators/capacity/map.geojson?scenario=: the
// scenario's capacity report (CapacityReport's figures) drawn, each parcel the scenario adds
// or reshapes with its scenario geometry, every other parcel and every area with the
// stored one.
func (s *Service) CapacityMap(ctx context.Context, id int64, city string, opt capacity.Options) (*capacity.FeatureCollection, error) {
	rep, sc, err := s.capacityReport(ctx, id, city, opt)
	if err != nil {
		return nil, err
	}
	var parcels map[int64]json.RawMessage
	if rep.Level == capacity.LevelParcel {
		if parcels, err = s.Store.parcelGeometries(ctx, sc); err != nil {
			return nil, err
		}
	}
	return s.Capacity.GeoJSON(ctx, rep, parcels)
}

// capacityReport computes the capacity report of scenario id (of city, "" for any) and
// returns it with the scenario it was computed on.
func (s *Service) capacityReport(ctx context.Context, id int64, city string, opt capacity.Options) (*capacity.Report, *Scenario, error) {
	if s.Capacity == nil {
		return nil, nil, fault.Invalid("the capacity indicator is not available on scenarios here").With("parameter", "scenario")
	}
	sc, ch, err := s.walkChanges(ctx, id, city, "capacity figures")
	if err != nil {
		return nil, nil, err
	}
	opt.Changes = &capacity.Changes{Walk: ch, Supply: map[string][]capacity.Supply{}}
	for fid, c := range resolve(sc.Changes)["facilities"] {
		if fid > 0 {
			opt.Changes.Gone = append(opt.Changes.Gone, fid)
		}
		if c == nil {
			continue
		}
		p, ok := c.GeomM.(orb.Point)
		if !ok {
			continue
		}
		f := capacity.Supply{ID: fid, Name: str(c.Resolved, "name"), Point: p}
		if c.Resolved["capacity"] != nil {
			v := number(c.Resolved, "capacity")
			f.Capacity = &v
		}
		cat := str(c.Resolved, "category")
		opt.Changes.Supply[cat] = append(opt.Changes.Supply[cat], f)
	}
	// The parks it adds or modifies weigh their own area (that of the metric geometry, as
	// parks.area_m2 is), the parks it deletes none; which are open is the walk's.
	opt.Changes.ParkAreas = map[int64]float64{}
	for pid, c := range resolve(sc.Changes)["parks"] {
		if pid > 0 {
			opt.Changes.ParksGone = append(opt.Changes.ParksGone, pid)
		}
		if c == nil {
			continue
		}
		if mp := multiPolygon(c.GeomM); mp != nil {
			opt.Changes.ParkAreas[pid] = planar.Area(mp)
		}
	}
	rep, err := s.Capacity.Capacity(ctx, sc.City, opt)
	if err != nil {
		return nil, nil, err
	}
	rep.DataVersion = fmt.Sprintf("scenario:%d", sc.ID) // not a version of the tables
	return rep, sc, nil
}

// parcelGeometries returns the EPSG:4326 GeoJSON geometry (7 decimals, as the capacity
// layer draws stored parcels) of every residential parcel sc adds or reshapes, by the id
// overlays know it by (negative for an added parcel), once every change applies in order:
// a change that gives a geometry sets it, a modify without one keeps the geometry before
// it, a delete drops it. The geometry is made a MultiPolygon, as promotion writes it into
// residential_land.
func (s *Store) parcelGeometries(ctx context.Context, sc *Scenario) (map[int64]json.RawMessage, error) {
	//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	rows, err := s.Pool.Query(ctx, `SELECT n, ST_AsGeoJSON(ST_Multi(geom), 7) FROM scenario_changes
		WHERE scenario_id = $1 AND layer = $2 AND geom IS NOT NULL`, sc.ID, parcelLayer)
	if err != nil {
		return nil, err
	}
	byN := map[int]json.RawMessage{}
	var n int
	var g string
	if _, err := pgx.ForEachRow(rows, []any{&n, &g}, func() error { byN[n] = json.RawMessage(g); return nil }); err != nil {
		return nil, err
	}
	out := map[int64]json.RawMessage{}
	for _, c := range sc.Changes {
		if c.Layer != parcelLayer {
			continue
		}
		if c.Op == OpDelete {
			delete(out, c.FeatureID())
		} else if g, ok := byN[c.N]; ok {
			out[c.FeatureID()] = g
		}
	}
	return out, nil
}

// parcelLayer is the layer of the residential parcels, the capacity indicator's demand.
const parcelLayer = "residential_land"
