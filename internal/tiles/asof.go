package tiles

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/fault"
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
// name, a date or an instant (edition.ParseRef); a name is resolved in the city later.
func CheckAsOf(v string) error {
	_, err := edition.ParseRef(AsOfParam, v)
	return err
}

// resolveAsOf turns the request's as_of= into the city and instant its table sources read,
// nil when it has none or no table source is drawn (indicator sources read the parameter
// themselves). The city is the request's city= or the database's only city; an edition
// name is looked up in that city. Resolving before the cache key is made means a tile of
// an edition that was deleted and made again at another instant is never served stale.
func (s *Service) resolveAsOf(ctx context.Context, r TileRequest) (*AsOf, error) {
	v := r.Params[AsOfParam]
	if v == "" {
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
	var city citydata.City
	if r.City != "" {
		c, err := citydata.Resolve(ctx, s.db, r.City)
		if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
			return nil, fault.Invalid("no city "+strconv.Quote(fault.Clip(r.City))+" to read as_of in").With("parameter", "city")
		}
		if err != nil {
			return nil, err
		}
		city = c
	} else {
		c, ok, err := citydata.Only(ctx, s.db)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fault.Invalid("as_of reads one city's past: add city=<the city's slug or id> (the service holds several cities, or none)").With("parameter", AsOfParam)
		}
		city = c
	}
	if s.editions.Pool == nil {
		return nil, errors.New("tiles: as_of needs a Service made by New (a pool to read the editions)")
	}
	at, err := s.editions.At(ctx, city.ID, AsOfParam, v)
	if err != nil {
		return nil, err
	}
	return &AsOf{CityID: city.ID, At: at.At}, nil
}
