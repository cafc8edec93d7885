package coverage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/fault"
)

// MaxParcelPage is the most parcels one page of the per-parcel coverage holds.
const MaxParcelPage = 5000

// ParcelFigure is one residential parcel's coverage under a caliber and method: exactly the
// covered area the indicator adds up (Result.Covered), its share of the parcel, and the
// residents on it (spread evenly over its area, as the indicator spreads them).
type ParcelFigure struct {
	ID                int64   `json:"id"`
	AreaM2            float64 `json:"area_m2"`
	CoveredM2         float64 `json:"covered_m2"`
	Share             float64 `json:"share"`
	Population        float64 `json:"population"`
	CoveredPopulation float64 `json:"covered_population"`
	index             int     // in the snapshot's parcels
}

// Properties are the figure's GeoJSON, OGC and report-sheet properties.
func (p ParcelFigure) Properties() map[string]any {
	return map[string]any{"id": p.ID, "area_m2": p.AreaM2, "covered_m2": p.CoveredM2, "share": p.Share,
		"population": p.Population, "covered_population": p.CoveredPopulation}
}

// ParcelPage is a keyset page of the per-parcel figures of a result: the parcels with an
// id above After in id order, Matched the number of parcels of the city, Next the After
// of the next page (0 on the last).
type ParcelPage struct {
	Caliber string         `json:"caliber"`
	Method  string         `json:"method"`
	Matched int            `json:"matched"`
	Parcels []ParcelFigure `json:"parcels"`
	Next    int64          `json:"next,omitempty"`
	res     *Result
}

// Parcels returns the page of r's per-parcel figures after the parcel id *after (nil: from
// the first; a scenario's added parcels have negative ids), at most
// limit of them (0: MaxParcelPage; a negative limit or one above MaxParcelPage is an
// Invalid fault naming limit; -1 is allowed internally for every parcel).
func (r *Result) Parcels(after *int64, limit int) (*ParcelPage, error) {
	if limit == 0 {
		limit = MaxParcelPage
	}
	if limit < -1 || limit > MaxParcelPage {
		return nil, fault.Invalid(fmt.Sprintf("limit must be from 1 to %d", MaxParcelPage)).With("parameter", "limit")
	}
	ps := r.snapshot.Parcels
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ps[order[a]].ID < ps[order[b]].ID })
	start := 0
	if after != nil {
		start = sort.Search(len(order), func(i int) bool { return ps[order[i]].ID > *after })
	}
	page := &ParcelPage{Caliber: r.Caliber.ID, Method: r.Method, Matched: len(ps), res: r}
	for _, i := range order[start:] {
		if limit >= 0 && len(page.Parcels) == limit {
			page.Next = page.Parcels[len(page.Parcels)-1].ID
			break
		}
		p := &ps[i]
		f := ParcelFigure{ID: p.ID, AreaM2: p.AreaM2, CoveredM2: r.Covered[i], Population: p.Population, index: i}
		if p.AreaM2 > 0 {
			f.Share = r.Covered[i] / p.AreaM2
			f.CoveredPopulation = p.Population * r.Covered[i] / p.AreaM2
		}
		page.Parcels = append(page.Parcels, f)
	}
	return page, nil
}

// ParcelResult returns the result behind the indicator's figure of q on the current data
// (its stored run, computed when needed) with the run; the figures of its parcels add up to
// the run's. The result is the one the service keeps for the run's data version, or
// computed on that version's snapshot and kept.
func (s *Service) ParcelResult(ctx context.Context, q Query) (*Result, *Run, error) {
	cal, err := s.Validate(ctx, &q)
	if err != nil {
		return nil, nil, err
	}
	for range 3 {
		c, err := s.currentRunGaps(ctx, q, cal)
		if err != nil {
			return nil, nil, err
		}
		st, err := s.state(ctx, s.Store.Pool, q.City)
		if err != nil {
			return nil, nil, err
		}
		if st.dv.Hash != c.run.DataHash {
			continue // an edit came between: take the run of the newer data
		}
		key := resultKey(cal, q.keyMethod())
		if lr, ok := s.kept(st, key); ok {
			return lr.res, c.run, nil
		}
		v, err, _ := s.runs.Do("parcels\x00"+runKey(c.run.CityID, cal, q.keyMethod(), st.dv.Hash, ageKey{}), func() (any, error) {
			res, _, err := s.resultOn(context.WithoutCancel(ctx), st, q, cal)
			if err == nil {
				s.keep(st, key, res, c.run.ID, nil)
			}
			return res, err
		})
		if err != nil {
			return nil, nil, err
		}
		return v.(*Result), c.run, nil
	}
	return nil, nil, fault.Unavailable("the city's data is being edited; try again", time.Second)
}

// ParcelsGeoJSON renders a page as a GeoJSON FeatureCollection in EPSG:4326: each parcel's
// polygon (reprojected by PostGIS from the metric geometry the figure was computed on) with
// its Properties, and the foreign members numberMatched, numberReturned and next.
func (s Store) ParcelsGeoJSON(ctx context.Context, page *ParcelPage) (json.RawMessage, error) {
	n := len(page.Parcels)
	ids, ws := make([]int64, n), make([][]byte, n)
	props := make([]string, n)
	for i, f := range page.Parcels {
		b, err := wkb.Marshal(page.res.snapshot.Parcels[f.index].Geom)
		if err != nil {
			return nil, err
		}
		m := f.Properties()
		m["city"], m["caliber_id"], m["method"] = page.res.snapshot.City, page.Caliber, page.Method
		p, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		ids[i], ws[i], props[i] = f.ID, b, string(p)
	}
	var next any
	if page.Next != 0 {
		next = page.Next
	}
	var b []byte
	err := s.Pool.QueryRow(ctx, `SELECT json_build_object('type', 'FeatureCollection',
			'features', coalesce(json_agg(json_build_object('type', 'Feature', 'id', id, 'properties', p::json,
				'geometry', ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_GeomFromWKB(w), $2::int), 4326), 7)::json) ORDER BY i), '[]'::json),
			'numberMatched', $5::int, 'numberReturned', $6::int, 'caliber', $7::text, 'method', $8::text, 'next', $9::bigint)
		FROM unnest($1::bytea[], $3::bigint[], $4::text[]) WITH ORDINALITY AS u(w, id, p, i)`,
		ws, page.res.snapshot.MetricSRID, ids, props, page.Matched, n, page.Caliber, page.Method, next).Scan(&b)
	return b, err
}

// ParcelCity returns the slug of the city of residential parcel id, ErrCityNotFound when
// there is no such parcel.
func (s Store) ParcelCity(ctx context.Context, id int64) (string, error) {
	var slug string
	err := s.Pool.QueryRow(ctx, `SELECT c.slug FROM residential_land r JOIN cities c ON c.id = r.city_id WHERE r.id = $1`, id).Scan(&slug)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrCityNotFound
	}
	return slug, err
}
