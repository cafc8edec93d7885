package tiles

import (
	"context"
	"errors"
	"time"

	"github.com/cityreach/cityreach/internal/edition"
)

// AsOfParam is the query parameter that draws the table layers as they stood at a data
// edition of the city (its name), a date YYYY-MM-DD (00:00 Beijing time) or an RFC 3339
// instant (docs/editions.md).
const AsOfParam = "as_of"

// AsOf is the past state of one city that a tile's table sources read.
type AsOf struct {
	CityID int
	At     time.Time
}

// asOfParam is the as_of parameter of the table sources: only its syntax is checked when
// the request is parsed; the name is resolved in the city before the cache is consulted.
var asOfParam = Param{Name: AsOfParam,
	Description: "the features as they stood at a data edition of the city (its name), a date YYYY-MM-DD (00:00 Beijing time) or an RFC 3339 instant; needs city= when the service holds several cities",
	Check:       CheckAsOf}

// CheckAsOf is the syntax check of an as_of= tile parameter before any query: an edition
// name, a date or an instant, not empty (edition.CheckRef); a name is resolved in the city
// later.
func CheckAsOf(v string) error { return edition.CheckRef(AsOfParam, v) }

// resolveAsOf turns the request's as_of= into the city and instant its table sources read,
// nil when it has none or no table source is drawn (indicator sources read the parameter
// themselves). The city is the request's city= or the database's only city; the one
// resolver of the OGC collections decides and words every refusal
// (edition.Store.ResolvePast). Resolving before the cache key is made means a tile of an
// edition that was deleted and made again at another instant is never served stale.
func (s *Service) resolveAsOf(ctx context.Context, r TileRequest) (*AsOf, error) {
	v, ok := r.Params[AsOfParam]
	if !ok {
		return nil, nil
	}
	table := false
	for _, n := range r.Sources {
		if _, ok := s.sources[n].(tableSource); ok {
			table = true
		}
	}
	if !table {
		return nil, nil
	}
	if s.editions.Pool == nil {
		return nil, errors.New("tiles: as_of needs a Service made by New (a pool to read the editions)")
	}
	p, err := s.editions.ResolvePast(ctx, AsOfParam, v, "city", r.City)
	if err != nil {
		return nil, err
	}
	return &AsOf{CityID: p.CityID, At: p.At}, nil
}
