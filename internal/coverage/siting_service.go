package coverage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/fault"
)

// DrawnInput is a candidate park a planner drew: a GeoJSON Polygon in EPSG:4326 and an
// optional name.
type DrawnInput struct {
	Name     string
	Geometry json.RawMessage
}

// Siting answers q (city, caliber, method; Bands with o.Weight band) with Optimize on the
// city's current data, the drawn candidates projected into the city's metric CRS as the
// parks table does (ST_Transform of the EPSG:4326 polygon, area ST_Area of that), and the
// best sites' EPSG:4326 squares filled in. It returns the result the siting ran on too.
func (s *Service) Siting(ctx context.Context, q Query, o SitingOptions, drawn []DrawnInput) (*Siting, *Result, error) {
	cal, err := s.Validate(ctx, &q)
	if err != nil {
		return nil, nil, err
	}
	cityID, _, _, err := s.Store.City(ctx, q.City)
	if errors.Is(err, ErrCityNotFound) {
		return nil, nil, badParam("city", fmt.Sprintf("no city %q", q.City))
	}
	if err != nil {
		return nil, nil, err
	}
	if o.Weight == WeightBand && len(q.Bands) == 0 {
		return nil, nil, badParam("band", "weight band needs band (age band codes)")
	}
	if o.Weight != WeightBand && len(q.Bands) > 0 {
		return nil, nil, badParam("band", "band is given with weight band only")
	}
	if err := s.resolveBands(ctx, &q, cityID); err != nil {
		return nil, nil, err
	}
	res, err := s.sitingResult(ctx, q, cal)
	if err != nil {
		return nil, nil, err
	}
	o.greedy = s.greedy.of(res)
	out, err := s.SitingOn(ctx, res, q, o, drawn)
	return out, res, err
}

// sitingResult is the coverage (with gaps) of q on the city's current data: the result
// kept for this data version, caliber and method (by the indicator, the start-up warming
// or an earlier siting), else computed and kept for the next call. A kept result is what a
// computation on that data gives (brought forward by Result.Apply, parcel for parcel).
func (s *Service) sitingResult(ctx context.Context, q Query, cal caliber.Caliber) (*Result, error) {
	st, err := s.state(ctx, s.Store.Pool, q.City)
	if err != nil {
		return nil, err
	}
	key := resultKey(cal, q.keyMethod())
	if lr, ok := s.kept(st, key); ok && lr.res.Gaps != nil {
		return lr.res, nil
	}
	res, err := s.compute(ctx, st.snap, q, cal)
	if err != nil {
		return nil, err
	}
	s.keepIfNone(st, key, res)
	return res, nil
}

// keepIfNone records res (stored as no run) on st unless st holds a result under key
// already: the indicator's, which knows its run, wins.
func (s *Service) keepIfNone(st *cityState, key string, res *Result) {
	lc := s.liveCity(st.snap.City)
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if _, ok := st.results[key]; !ok {
		st.results[key] = liveResult{res: res}
	}
}

// SitingOn is Siting on a result computed already (e.g. a scenario's: where the next parks
// would go once its changes are built). q's bands must have been resolved by Siting; a
// caller with its own result gives none.
func (s *Service) SitingOn(ctx context.Context, res *Result, q Query, o SitingOptions, drawn []DrawnInput) (*Siting, error) {
	if o.Weight == WeightBand && q.ages == nil {
		return nil, badParam("band", "weight band needs band (age band codes)")
	}
	if len(drawn) > MaxDrawnSites {
		return nil, badParam("candidates", fmt.Sprintf("at most %d drawn candidates", MaxDrawnSites))
	}
	srid := res.snapshot.MetricSRID
	var err error
	if q.ages != nil {
		w := s.weigh(res, q)
		o.BandWeights, o.Bands = w.weight, w.Bands
	}
	if len(drawn) > 0 {
		if o.Drawn, err = s.Store.ProjectSites(ctx, srid, drawn); err != nil {
			return nil, err
		}
	}
	out, err := Optimize(ctx, res, o)
	if err != nil {
		return nil, SitingFault(err)
	}
	if out.Best != nil {
		if err := s.Store.SitingGeometries(ctx, srid, out.Best.Sites); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ProjectSites reads drawn candidates (GeoJSON Polygons in EPSG:4326) into the metric CRS
// srid with their areas, as the parks table derives geom_m and area_m2. A geometry PostGIS
// cannot read or project is an Invalid fault naming candidates.
func (s Store) ProjectSites(ctx context.Context, srid int, drawn []DrawnInput) ([]DrawnSite, error) {
	raw := make([]string, len(drawn))
	for i, d := range drawn {
		raw[i] = string(d.Geometry)
	}
	rows, err := s.Pool.Query(ctx, `
		SELECT k, GeometryType(g), ST_AsBinary(g), ST_Area(g), ST_IsValid(g)
		FROM unnest($1::text[]) WITH ORDINALITY AS u(x, k),
		     LATERAL (SELECT ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(x), 4326), $2::int) AS g) t
		ORDER BY k`, raw, srid)
	if err != nil {
		return nil, candidateFault(err)
	}
	defer rows.Close()
	out := make([]DrawnSite, 0, len(drawn))
	for rows.Next() {
		var (
			k     int
			typ   string
			b     []byte
			area  float64
			valid bool
		)
		if err := rows.Scan(&k, &typ, &b, &area, &valid); err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(b)
		poly, ok := g.(orb.Polygon)
		if err != nil || !ok || typ != "POLYGON" || !valid {
			return nil, badParam("candidates", fmt.Sprintf("candidate %d must be a valid GeoJSON Polygon (EPSG:4326)", k))
		}
		out = append(out, DrawnSite{Name: drawn[k-1].Name, Geom: poly, AreaM2: area, Geometry: drawn[k-1].Geometry})
	}
	if err := rows.Err(); err != nil {
		return nil, candidateFault(err)
	}
	return out, nil
}

// candidateFault: PostGIS refusing a drawn geometry (a data exception, XX000) is the
// client's problem, and the statement holds nothing else of theirs.
func candidateFault(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (len(pe.Code) > 2 && pe.Code[:2] == "22" || pe.Code == "XX000") {
		return fault.Invalid("a drawn candidate is not a GeoJSON Polygon PostGIS can read and project from EPSG:4326").With("parameter", "candidates")
	}
	return err
}
