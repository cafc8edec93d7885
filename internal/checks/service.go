package checks

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/cityreach/cityreach/internal/fault"
)

// Service runs the checks on the baseline: it loads the layers a check needs and calls the
// pure check function. The HTTP handlers and the CLI both call it, so a number is computed
// in one place.
type Service struct {
	Store  *Store
	Config Config // defaults; a request's overrides apply to a copy
	Reach  Reach
}

// Request is what the caller asks: the city, the growth-boundary edition or date, the two
// editions of a diff, and threshold overrides by name (Overridable).
type Request struct {
	City      string
	Edition   string
	Date      string // YYYY-MM-DD
	From, To  string // an edition name or a YYYY-MM-DD date
	Overrides map[string]string
	// AsOf, when set, is a data edition of the city, an RFC 3339 time or a date: the
	// complete-community scorecard of the data as it was then (docs/editions.md).
	AsOf string
}

var slugRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// config validates r and returns the configuration with its overrides applied.
func (s *Service) config(r Request) (Config, error) {
	if r.City == "" {
		return Config{}, fault.Invalid("city is required").With("parameter", "city")
	}
	if !slugRE.MatchString(r.City) {
		return Config{}, fault.Invalid("city must be a city slug such as baotou").With("parameter", "city")
	}
	cfg := s.Config
	for _, name := range Overridable {
		if v, ok := r.Overrides[name]; ok {
			if err := cfg.Override(r.City, name, v); err != nil {
				return Config{}, err
			}
		}
	}
	return cfg, nil
}

// parseEditionRef reads an edition reference: a YYYY-MM-DD date or an edition name.
func parseEditionRef(param, v string) (EditionQuery, error) {
	q := EditionQuery{Today: today()}
	if v == "" {
		return q, nil
	}
	if len(v) > 100 || strings.ContainsAny(v, "\x00\n\r") {
		return q, fault.Invalid(param+" is not a valid edition or date").With("parameter", param)
	}
	if looksLikeDate(v) {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return q, fault.Invalid(param+" must be a date YYYY-MM-DD or an edition name: "+err.Error()).With("parameter", param)
		}
		q.Date = &d
		return q, nil
	}
	q.Edition = v
	return q, nil
}

func looksLikeDate(v string) bool {
	return len(v) == 10 && v[4] == '-' && v[7] == '-'
}

func (r Request) editionQuery() (EditionQuery, error) {
	if r.Edition != "" && r.Date != "" {
		return EditionQuery{}, fault.Invalid("give edition or date, not both").With("parameter", "date")
	}
	if r.Date != "" {
		if !looksLikeDate(r.Date) {
			return EditionQuery{}, fault.Invalid("date must be YYYY-MM-DD").With("parameter", "date")
		}
		return parseEditionRef("date", r.Date)
	}
	if r.Edition != "" {
		q, err := parseEditionRef("edition", r.Edition)
		q.Date, q.Edition = nil, r.Edition
		return q, err
	}
	return EditionQuery{Today: today()}, nil
}

// Corridors runs the corridor check.
func (s *Service) Corridors(ctx context.Context, r Request) (*CorridorReport, error) {
	cfg, err := s.config(r)
	if err != nil {
		return nil, err
	}
	_, l, at, err := s.layers(ctx, r, CorridorsNeed, false)
	if err != nil {
		return nil, err
	}
	rep, err := CheckCorridors(ctx, l, cfg.Corridor)
	if rep != nil {
		rep.AsOf = at
	}
	return rep, err
}

// ControlLines runs the three-control-line check.
func (s *Service) ControlLines(ctx context.Context, r Request) (*ControlLinesReport, error) {
	cfg, err := s.config(r)
	if err != nil {
		return nil, err
	}
	q, err := r.editionQuery()
	if err != nil {
		return nil, err
	}
	need := ControlLinesNeed
	if cfg.Growth.BaseLayer == "" {
		need &^= NeedResidential
	}
	_, l, at, err := s.layers(ctx, r, need, false)
	if err != nil {
		return nil, err
	}
	rep, err := CheckControlLines(ctx, l, q, cfg)
	if rep != nil {
		rep.AsOf = at
	}
	return rep, err
}

// GrowthDiff compares two editions.
func (s *Service) GrowthDiff(ctx context.Context, r Request) (*DiffReport, error) {
	cfg, err := s.config(r)
	if err != nil {
		return nil, err
	}
	if r.From == "" || r.To == "" {
		return nil, fault.Invalid("from and to are required: edition names or YYYY-MM-DD dates").With("parameter", "from")
	}
	from, err := parseEditionRef("from", r.From)
	if err != nil {
		return nil, err
	}
	to, err := parseEditionRef("to", r.To)
	if err != nil {
		return nil, err
	}
	need := NeedBoundaries
	if cfg.Growth.BaseLayer != "" {
		need |= NeedResidential
	}
	_, l, at, err := s.layers(ctx, r, need, false)
	if err != nil {
		return nil, err
	}
	rep, err := DiffEditions(ctx, l, from, to, cfg.Growth)
	if rep != nil {
		rep.AsOf = at
	}
	return rep, err
}

// Outside lists what lies outside the boundary.
func (s *Service) Outside(ctx context.Context, r Request) (*OutsideReport, error) {
	cfg, err := s.config(r)
	if err != nil {
		return nil, err
	}
	q, err := r.editionQuery()
	if err != nil {
		return nil, err
	}
	_, l, at, err := s.layers(ctx, r, GrowthNeed, false)
	if err != nil {
		return nil, err
	}
	rep, err := CheckOutside(ctx, l, q, cfg.Growth)
	if rep != nil {
		rep.AsOf = at
	}
	return rep, err
}

// CompleteCommunities runs the scorecard.
func (s *Service) CompleteCommunities(ctx context.Context, r Request) (*ScorecardReport, error) {
	cfg, err := s.config(r)
	if err != nil {
		return nil, err
	}
	ctx, l, at, err := s.layers(ctx, r, ScorecardNeed, true)
	if err != nil {
		return nil, err
	}
	reach, err := s.reachFor(ctx, l.City)
	if err != nil {
		return nil, err
	}
	rep, err := CheckScorecard(ctx, l, reach, cfg.Scorecard)
	if rep != nil {
		rep.AsOf = at
	}
	return rep, err
}

// Run runs the check called name ("corridors", "control-lines", "growth-diff", "outside",
// "complete-communities") and returns its report.
func (s *Service) Run(ctx context.Context, name string, r Request) (Featurer, error) {
	switch name {
	case "corridors":
		return s.Corridors(ctx, r)
	case "control-lines":
		return s.ControlLines(ctx, r)
	case "growth-diff":
		return s.GrowthDiff(ctx, r)
	case "outside":
		return s.Outside(ctx, r)
	case "complete-communities":
		return s.CompleteCommunities(ctx, r)
	}
	return nil, fault.NotFound("no check " + name)
}

// Names lists the checks Run knows.
var Names = []string{"corridors", "control-lines", "growth-diff", "outside", "complete-communities"}
