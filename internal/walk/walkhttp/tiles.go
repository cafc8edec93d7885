package walkhttp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/tiles"
	"github.com/cityreach/cityreach/internal/walk"
)

// CommunityLayer is the tile source of the communities' living-circle status.
const CommunityLayer = "living_circle_communities"

// CommunityTiles draws every community with its 15-minute living-circle status (complete,
// incomplete, no_residential_land), the basic categories it misses and its residents, on
// the current data: the status is the one GET /api/v1/indicators/living-circle gives at
// level=community with the default share.
type CommunityTiles struct {
	Service *walk.Service

	mu   sync.Mutex
	memo map[int]*communityStatus // by city id
}

// communityStatus is one city's per-community figures for one (network, inputs, reach).
type communityStatus struct {
	gen      string // the tile cache's generation of the inputs when last confirmed
	n        *walk.Network
	in       *walk.Inputs
	r        *walk.Reach
	ids      []int64
	status   []string
	complete []bool
	reached  []int32
	missing  []string
	pop      []float64
}

// Name implements tiles.Source.
func (*CommunityTiles) Name() string { return CommunityLayer }

// Info implements tiles.Source.
func (*CommunityTiles) Info() tiles.Info {
	return tiles.Info{
		Title:    "15分钟生活圈 社区达标状态 Community 15-minute living-circle status",
		GeomType: "MultiPolygon",
		IDColumn: "id",
		MaxZoom:  tiles.MaxZoom,
		Fields: []tiles.Field{
			{Name: "name", Type: "String", Description: "community name", Default: true},
			{Name: "status", Type: "String", Description: "complete, incomplete or no_residential_land", Default: true},
			{Name: "complete", Type: "Boolean", Description: "a complete 15-minute living circle", Default: true},
			{Name: "missing", Type: "String", Description: "basic categories not reached, comma-separated", Default: true},
			{Name: "reached", Type: "Number", Description: "number of categories reached"},
			{Name: "population", Type: "Number", Description: "residents on the community's residential land"},
		},
	}
}

// statusOf returns the city's per-community figures on the current data.
//
// gen is the tile cache's generation of the inputs ("" when unknown): while it is the one
// the memo was computed under, no input has been edited since and the change detectors
// need not be read.
func (t *CommunityTiles) statusOf(ctx context.Context, city walk.City, gen string) (*communityStatus, error) {
	t.mu.Lock()
	m := t.memo[city.ID]
	same := gen != "" && m != nil && m.gen == gen
	t.mu.Unlock()
	if same {
		return m, nil
	}
	n, in, r, err := t.Service.Baseline(ctx, city)
	if err != nil {
		return nil, err
	}
	if m != nil && m.n == n && m.in == in && m.r == r {
		t.mu.Lock()
		m.gen = gen
		t.mu.Unlock()
		return m, nil
	}
	rep, err := walk.Indicator(n, in, r, walk.Options{Level: walk.LevelCommunity})
	if err != nil {
		return nil, err
	}
	m = &communityStatus{n: n, in: in, r: r, gen: gen}
	for _, a := range rep.Areas {
		m.ids = append(m.ids, a.ID)
		m.status = append(m.status, a.Status)
		m.complete = append(m.complete, a.Complete)
		m.reached = append(m.reached, int32(len(a.Reached)))
		m.missing = append(m.missing, strings.Join(a.Missing, ","))
		m.pop = append(m.pop, a.Population)
	}
	t.mu.Lock()
	if t.memo == nil {
		t.memo = map[int]*communityStatus{}
	}
	t.memo[city.ID] = m
	t.mu.Unlock()
	return m, nil
}

// Prepare implements tiles.Preparer: the status of every community of the requested city
// (or of every city with communities), bound as arrays for Query.
func (t *CommunityTiles) Prepare(ctx context.Context, a *tiles.Args) error {
	var inputs []string
	for _, d := range t.DependsOn() {
		inputs = append(inputs, d.Layer)
	}
	gen, live := a.Generation(inputs...)
	if !live {
		gen = ""
	}
	cities, err := t.cities(ctx, a.CityName())
	if err != nil {
		return err
	}
	var all communityStatus
	for _, city := range cities {
		m, err := t.statusOf(ctx, city, gen)
		if err != nil {
			return err
		}
		all.ids = append(all.ids, m.ids...)
		all.status = append(all.status, m.status...)
		all.complete = append(all.complete, m.complete...)
		all.reached = append(all.reached, m.reached...)
		all.missing = append(all.missing, m.missing...)
		all.pop = append(all.pop, m.pop...)
	}
	a.Bind(CommunityLayer+".ids", all.ids)
	a.Bind(CommunityLayer+".status", all.status)
	a.Bind(CommunityLayer+".complete", all.complete)
	a.Bind(CommunityLayer+".reached", all.reached)
	a.Bind(CommunityLayer+".missing", all.missing)
	a.Bind(CommunityLayer+".pop", all.pop)
	return nil
}

// Query implements tiles.Source.
func (t *CommunityTiles) Query(r tiles.Request, a *tiles.Args) (string, error) {
	p := map[string]string{}
	for _, k := range []string{"ids", "status", "complete", "reached", "missing", "pop"} {
		v, ok := a.Bound(CommunityLayer + "." + k)
		if !ok {
			return "", errors.New("walk: community tiles queried without Prepare")
		}
		p[k] = v
	}
	geom := "c.geom_3857"
	if r.Tile.Z < tiles.GeneraliseBelow {
		geom = "ST_SimplifyPreserveTopology(c.geom_3857, " + a.Tolerance() + ")"
	}
	cols := fmt.Sprintf("c.id, ST_AsMVTGeom(%s, %s, %d, %d, true) AS geom", geom, a.Envelope(), tiles.Extent, tiles.Buffer)
	for _, f := range r.Properties {
		switch f {
		case "name":
			cols += ", c.name"
		case "status", "complete", "reached", "missing":
			cols += ", u." + pgx.Identifier{f}.Sanitize()
		case "population":
			cols += ", u.pop AS population"
		default:
			return "", fmt.Errorf("walk: community tiles have no property %q", f)
		}
	}
	return fmt.Sprintf(`SELECT %s FROM communities c
		JOIN unnest(%s::bigint[], %s::text[], %s::bool[], %s::int[], %s::text[], %s::float8[]) AS u(id, status, complete, reached, missing, pop) ON u.id = c.id
		WHERE c.geom_3857 && %s LIMIT %s`,
		cols, p["ids"], p["status"], p["complete"], p["reached"], p["missing"], p["pop"], a.BufferedEnvelope(), a.Limit()), nil
}

// Bounds implements tiles.Source.
func (*CommunityTiles) Bounds(ctx context.Context, db tiles.DB, a *tiles.Args) (tiles.Box, bool, error) {
	return tiles.TableBounds(ctx, db, a, "communities")
}

// Detail implements tiles.Detailer: the communities' own polygons.
func (*CommunityTiles) Detail(ctx context.Context, db tiles.DB, a *tiles.Args) (float64, bool, error) {
	return tiles.TableDetail(ctx, db, a, "communities", "MultiPolygon")
}

// DependsOn implements tiles.Source. A community's status is drawn in every tile the
// community touches, so an edit of its residential land, of a facility, of a park or its
// entrances (parks and squares are a category) or of a walking edge (which can change a
// community reaching it from up to MaxReachM away) redraws the whole layer; a boundary
// edit redraws the tiles of the old and new outlines.
func (*CommunityTiles) DependsOn() []tiles.Dependency {
	return []tiles.Dependency{
		{Layer: "communities"},
		{Layer: "residential_land", Whole: true},
		{Layer: "facilities", Whole: true},
		{Layer: "parks", Whole: true},
		{Layer: "park_entrances", Whole: true},
		{Layer: "network_edges", Whole: true},
		{Layer: "facility_categories", Whole: true},
	}
}

var _ tiles.Preparer = (*CommunityTiles)(nil)

// cities returns the requested city (a slug or an id; none when no city has it), or, for
// "", every city with communities, in id order.
func (t *CommunityTiles) cities(ctx context.Context, ref string) ([]walk.City, error) {
	pool := t.Service.Store.Pool
	if ref != "" {
		c, err := citydata.Resolve(ctx, pool, ref)
		if fault.KindOf(err) == fault.KindNotFound {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []walk.City{c}, nil
	}
	return citydata.Having(ctx, pool, "communities")
}
