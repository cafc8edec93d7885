package edition

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/fault"
)

// Past is the past state of one city that a request reads with as_of: the city and the
// instant, with the edition when the reference named one.
type Past struct {
	CityID int
	AsOf
}

// CheckRef is the syntax check of an as_of reference before any query: an edition name, a
// date or an RFC 3339 instant (ParseRef); an empty value is refused too, since a client
// that sends as_of= means some past state and would otherwise get the current one.
func CheckRef(param, v string) error {
	r, err := ParseRef(param, v)
	if err == nil && r.IsZero() {
		return fault.Invalid(param+" is empty: give an edition name of the city, a date (2025-01-01) or an RFC 3339 instant").With("parameter", param)
	}
	return err
}

// NoHistory is the refusal of as_of (parameter param) on a layer that keeps no history:
// it can only be read as it is now.
func NoHistory(param, layer string) *fault.Error {
	return fault.Invalid(fmt.Sprintf("layer %s is of the current data: %s applies to the planning layers (and the park-coverage gaps)", strconv.Quote(layer), param)).With("parameter", param)
}

// ResolvePast is the one resolver of a planning layer's as_of, shared by the OGC API
// collections (city from city_id=) and the tiles (city from city=). v is the as_of
// reference (parameter asOfParam); cityRef is the city the request names, a slug or a
// decimal id, given as parameter cityParam, or "" for the database's only city.
//
// Every refusal is an Invalid fault naming the parameter the client used:
//   - v is empty or not an edition name, an RFC 3339 time or a date: asOfParam;
//   - cityRef names no city: cityParam;
//   - no cityRef while the database holds several cities or none: asOfParam (the detail
//     says to add cityParam=);
//   - v names an edition the city does not have: asOfParam;
//   - v is an instant in the future (the data then is not known yet): asOfParam;
//   - v is an instant before the city's first edition, or the city has no edition: asOfParam.
//     A bulk load (the seed, the OSM import) keeps history only of rows that existed at an
//     edition (migration 0019), so before the first edition the past is not known; from it
//     on it is.
func (s Store) ResolvePast(ctx context.Context, asOfParam, v, cityParam, cityRef string) (Past, error) {
	if err := CheckRef(asOfParam, v); err != nil {
		return Past{}, err
	}
	r, _ := ParseRef(asOfParam, v)
	var city citydata.City
	if cityRef != "" {
		c, err := citydata.Resolve(ctx, s.Pool, cityRef)
		if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
			return Past{}, fault.Invalid(fmt.Sprintf("no city %q to read %s in", fault.Clip(cityRef), asOfParam)).With("parameter", cityParam)
		}
		if err != nil {
			return Past{}, err
		}
		city = c
	} else {
		c, ok, err := citydata.Only(ctx, s.Pool)
		if err != nil {
			return Past{}, err
		}
		if !ok {
			return Past{}, fault.Invalid(fmt.Sprintf("%s reads one city's past: add %s=<the city> (the service holds several cities, or none)", asOfParam, cityParam)).With("parameter", asOfParam)
		}
		city = c
	}
	at, e, err := s.Resolve(ctx, city.ID, asOfParam, r)
	if err != nil {
		return Past{}, err
	}
	out := Past{CityID: city.ID, AsOf: AsOf{At: at.UTC()}}
	if e != nil {
		// An edition is never in the future (data_editions_guard) nor before the first.
		out.Edition = e.Name
		return out, nil
	}
	if at.After(time.Now()) {
		return Past{}, fault.Invalid(asOfParam+" lies in the future: the data then is not known yet (omit "+asOfParam+" for the current data)").With("parameter", asOfParam)
	}
	var first string
	var firstAt time.Time
	err = s.Pool.QueryRow(ctx, `SELECT name, as_of FROM data_editions WHERE city_id = $1 ORDER BY as_of, id LIMIT 1`, city.ID).Scan(&first, &firstAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Past{}, fault.Invalid(fmt.Sprintf("%s: city %s has no data edition yet, and its past is known only from its first edition on (POST /api/v1/editions makes one)", asOfParam, city.Slug)).With("parameter", asOfParam)
	}
	if err != nil {
		return Past{}, fmt.Errorf("first edition of city %d: %w", city.ID, err)
	}
	if at.Before(firstAt) {
		return Past{}, fault.Invalid(fmt.Sprintf("%s lies before the city's first edition %q (%s): its past is known only from then on", asOfParam, first, firstAt.UTC().Format(time.RFC3339))).With("parameter", asOfParam)
	}
	return out, nil
}
