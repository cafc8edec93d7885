package coverage

import (
	"context"
	"errors"
	"fmt"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/fault"
)

// Where a query's caliber and method came from, as Report.CaliberFrom and MethodFrom say.
const (
	FromRequest        = "request"
	FromCityDefault    = "city default"    // cities.default_caliber (migration 0015)
	FromCaliberDefault = "caliber default" // the caliber's method
)

// DefaultCaliber returns the caliber city (a slug) gives its figures under when a request
// names none: cities.default_caliber. ErrCityNotFound for an unknown slug.
func (s Store) DefaultCaliber(ctx context.Context, city string) (string, error) {
	c, err := citydata.BySlug(ctx, s.Pool, city)
	if fault.KindOf(err) == fault.KindNotFound {
		return "", fmt.Errorf("%w: %q", ErrCityNotFound, city)
	}
	return c.DefaultCaliber, err
}

// DefaultCaliber is the caliber a request on city (a slug) that names none is answered
// under, as Validate resolves it; its errors are Invalid faults naming city (no such city)
// or caliber (the city's default is not a known caliber). GET /api/v1/calibers?city= shows
// it (caliberhttp.Handler).
func (s *Service) DefaultCaliber(ctx context.Context, city string) (string, error) {
	id, err := s.Store.DefaultCaliber(ctx, city)
	if errors.Is(err, ErrCityNotFound) {
		return "", badParam("city", fmt.Sprintf("no city %q", city))
	}
	if err != nil {
		return "", err
	}
	if _, err := s.Calibers.Get(id); err != nil {
		return "", badParam("caliber", fmt.Sprintf("city %q names %q as its default caliber, which is not a known caliber; give caliber= (GET /api/v1/calibers lists them)", city, id))
	}
	return id, nil
}

// From is FromRequest when v (a caliber or method parameter) was given, else def.
func From(v, def string) string {
	if v != "" {
		return FromRequest
	}
	return def
}
