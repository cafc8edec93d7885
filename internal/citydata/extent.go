package citydata

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ResidentialExtent is the EPSG:4326 box (minLon, minLat, maxLon, maxLat) of every
// residential parcel of every city, from PostGIS's ST_Extent; nil when there are none. The
// per-parcel indicator collections (OGC API) advertise it as their extent: a full scan,
// so callers cache it until residential_land changes.
func ResidentialExtent(ctx context.Context, q Querier) (*[4]float64, error) {
	rows, err := q.Query(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(geom) AS e FROM residential_land) x`)
	if err != nil {
		return nil, fmt.Errorf("residential parcels' extent: %w", err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (v [4]*float64, err error) {
		err = r.Scan(&v[0], &v[1], &v[2], &v[3])
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("residential parcels' extent: %w", err)
	}
	if v[0] == nil {
		return nil, nil
	}
	return &[4]float64{*v[0], *v[1], *v[2], *v[3]}, nil
}

// Only returns the one city of the database, ok false when it holds none or several: the
// city of a request that names none where a city is required.
func Only(ctx context.Context, q Querier) (c City, ok bool, err error) {
	cities, err := List(ctx, q)
	if err != nil || len(cities) != 1 {
		return City{}, false, err
	}
	return cities[0], true, nil
}

// SlugOrOnly returns slug when it is not empty, else the slug of the database's one city;
// "" when slug is empty and the database holds no city or several.
func SlugOrOnly(ctx context.Context, q Querier, slug string) (string, error) {
	if slug != "" {
		return slug, nil
	}
	c, ok, err := Only(ctx, q)
	if err != nil || !ok {
		return "", err
	}
	return c.Slug, nil
}
