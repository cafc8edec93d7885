package tiles

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/problem"
)

// MaxSources bounds the layers of one composite tile.
const MaxSources = 16

var slugRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// parseSources checks a {layer} or {a},{b},{c} path segment against the registered
// sources: 404 for a name that is not one, 400 for a malformed list.
func (s *Service) parseSources(seg string) ([]string, error) {
	if seg == "" {
		return nil, problem.BadRequest("no layer named")
	}
	names := strings.Split(seg, ",")
	if len(names) > MaxSources {
		return nil, problem.BadRequest("at most " + strconv.Itoa(MaxSources) + " layers per tile")
	}
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" {
			return nil, problem.BadRequest("empty layer name in " + strconv.Quote(seg))
		}
		if s.sources[n] == nil {
			return nil, problem.NotFound("no such tile layer: "+strconv.Quote(n)).With("layers", s.order)
		}
		if seen[n] {
			return nil, problem.BadRequest("layer " + strconv.Quote(n) + " named twice")
		}
		seen[n] = true
	}
	return names, nil
}

// parseUint accepts 1 to 8 ASCII digits: no sign, no spaces, no exponent, no hex.
func parseUint(s string) (int, bool) {
	if len(s) == 0 || len(s) > 8 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// ParseTile parses the z, x and y path segments (y with its ".mvt" suffix) and checks the
// tile is inside the pyramid.
func ParseTile(zs, xs, ys string) (Tile, error) {
	yv, ok := strings.CutSuffix(ys, ".mvt")
	if !ok {
		return Tile{}, problem.NotFound("tiles are served as {y}.mvt")
	}
	z, okz := parseUint(zs)
	x, okx := parseUint(xs)
	y, oky := parseUint(yv)
	switch {
	case !okz:
		return Tile{}, problem.BadRequest("z must be a whole number from 0 to "+strconv.Itoa(MaxZoom)).With("z", zs)
	case z > MaxZoom:
		return Tile{}, problem.BadRequest("z must be a whole number from 0 to "+strconv.Itoa(MaxZoom)).With("z", zs)
	case !okx || x >= 1<<z:
		return Tile{}, problem.BadRequest("x must be a whole number from 0 to 2^z-1 = "+strconv.Itoa(1<<z-1)).With("x", xs)
	case !oky || y >= 1<<z:
		return Tile{}, problem.BadRequest("y must be a whole number from 0 to 2^z-1 = "+strconv.Itoa(1<<z-1)).With("y", yv)
	}
	return Tile{Z: z, X: x, Y: y}, nil
}

// options are the query parameters shared by tiles and TileJSON: properties, limit, city.
type options struct {
	Properties []string
	Limit      int
	City       string
	// Params are the source-specific parameters given, checked by their sources.
	Params map[string]string
}

// parseOptions validates the query string: unknown parameters, properties that none of
// the sources has, limits outside 1..DefaultLimit and malformed cities are 400s.
func (s *Service) parseOptions(q url.Values, names []string) (options, error) {
	o := options{Limit: DefaultLimit}
	for k, v := range q {
		if len(v) != 1 {
			return o, problem.BadRequest("parameter "+strconv.Quote(k)+" given more than once").With("parameter", k)
		}
		switch k {
		case "properties":
			props, err := s.parseProperties(v[0], names)
			if err != nil {
				return o, err
			}
			o.Properties = props
		case "limit":
			n, ok := parseUint(v[0])
			if !ok || n < 1 || n > DefaultLimit {
				return o, problem.BadRequest("limit must be a whole number from 1 to "+strconv.Itoa(DefaultLimit)).With("limit", v[0])
			}
			o.Limit = n
		case "city":
			if n, ok := parseUint(v[0]); ok && n > 0 {
				o.City = strconv.Itoa(n)
			} else if slugRE.MatchString(v[0]) {
				o.City = v[0]
			} else {
				return o, problem.BadRequest("city must be a city id or slug").With("city", v[0])
			}
		default:
			if k == AsOfParam {
				// A tile drawing one layer in the past and another in the present would
				// pass for one state of the city.
				for _, n := range names {
					if inf := s.sources[n].Info(); inf.Param(AsOfParam) == nil {
						return o, problem.FromFault(edition.NoHistory(AsOfParam, n))
					}
				}
			}
			known := false
			for _, n := range names {
				inf := s.sources[n].Info()
				p := inf.Param(k)
				if p == nil {
					continue
				}
				known = true
				if p.Check != nil {
					if err := p.Check(v[0]); err != nil {
						return o, problem.BadRequest(err.Error()).With("parameter", k)
					}
				}
			}
			if !known {
				return o, problem.BadRequest("unknown parameter "+strconv.Quote(k)+"; tiles accept properties, limit and city"+s.paramList(names)).With("parameter", k)
			}
			if o.Params == nil {
				o.Params = map[string]string{}
			}
			o.Params[k] = v[0]
		}
	}
	return o, nil
}

// parseProperties checks a comma-separated list against the sources' fields; the result
// is sorted and free of duplicates so equal requests share a cache entry. An empty value
// asks for geometry only.
func (s *Service) parseProperties(v string, names []string) ([]string, error) {
	out := []string{}
	if v == "" {
		return out, nil
	}
	seen := map[string]bool{}
	for _, p := range strings.Split(v, ",") {
		if seen[p] {
			continue
		}
		found := false
		for _, n := range names {
			inf := s.sources[n].Info()
			if inf.Field(p) != nil {
				found = true
				break
			}
		}
		if !found {
			return nil, problem.BadRequest("no layer of this tile has a property "+strconv.Quote(p)).With("property", p)
		}
		seen[p] = true
		out = append(out, p)
	}
	slices.Sort(out)
	return out, nil
}

// paramList names the source parameters of names for an error message.
func (s *Service) paramList(names []string) string {
	var out []string
	for _, n := range names {
		inf := s.sources[n].Info()
		for _, p := range inf.Params {
			if !slices.Contains(out, p.Name) {
				out = append(out, p.Name)
			}
		}
	}
	if len(out) == 0 {
		return ""
	}
	return ", and for these layers " + strings.Join(out, ", ")
}
