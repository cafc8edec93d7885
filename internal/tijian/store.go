package tijian

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/checks"
	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/edition"
	"github.com/cityreach/cityreach/internal/walk"
)

// versionTables are every table the values read.
var versionTables = []string{"districts", "subdistricts", "communities", "parks", "park_entrances", "residential_land", "facilities", "network_edges"}

// units are a city's units, each level by code.
type units struct {
	city    citydata.City
	at      *edition.AsOf
	version DataVersion
	cityRow *Unit
	byLevel map[string][]*Unit
	byID    map[string]map[int64]*Unit
}

// all lists the units from the city down, each level by code.
func (us *units) all() []*Unit {
	out := []*Unit{us.cityRow}
	for _, l := range Levels[1:] {
		out = append(out, us.byLevel[l]...)
	}
	return out
}

// loadUnits reads the city's districts, 街道 and communities with their codes, parents
// and outlines, as they were at asOf when it is set (a boundary adjustment changes them),
// and the data version of every table the values read, in one transaction.
func loadUnits(ctx context.Context, pool *pgxpool.Pool, slug, asOf string) (*units, error) {
	city, err := citydata.BySlug(ctx, pool, slug)
	if err != nil {
		return nil, err
	}
	us := &units{city: city, byLevel: map[string][]*Unit{}, byID: map[string]map[int64]*Unit{}}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	if asOf != "" {
		at, err := edition.Store{Pool: pool}.At(ctx, city.ID, "as_of", asOf)
		if err != nil {
			return nil, err
		}
		us.at = &at
		if err := citydata.ShadowAsOf(ctx, tx, city.ID, at.At, versionTables...); err != nil {
			return nil, err
		}
	}
	v, err := citydata.Read(ctx, tx, city.ID, versionTables...)
	if err != nil {
		return nil, err
	}
	us.version = DataVersion{Hash: v.Hash, Updated: v.Updated().UTC().Truncate(1e9)}
	us.cityRow = &Unit{Level: coverage.LevelCity, ID: int64(city.ID), Code: city.Adcode, Name: city.Name}
	queries := map[string]string{
		coverage.LevelDistrict:    `SELECT id, adcode, name, NULL::bigint, ST_AsGeoJSON(geom, 7) FROM districts WHERE city_id = $1`,
		coverage.LevelSubdistrict: `SELECT id, code, name, district_id, ST_AsGeoJSON(geom, 7) FROM subdistricts WHERE city_id = $1`,
		coverage.LevelCommunity:   `SELECT id, code, name, subdistrict_id, ST_AsGeoJSON(geom, 7) FROM communities WHERE city_id = $1`,
	}
	parentLevel := map[string]string{coverage.LevelSubdistrict: coverage.LevelDistrict, coverage.LevelCommunity: coverage.LevelSubdistrict}
	for _, level := range Levels[1:] {
		rows, err := tx.Query(ctx, queries[level], city.ID) //nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
		if err != nil {
			return nil, err
		}
		var id int64
		var code, name string
		var parent *int64
		var geom *string
		us.byID[level] = map[int64]*Unit{}
		if _, err := pgx.ForEachRow(rows, []any{&id, &code, &name, &parent, &geom}, func() error {
			u := &Unit{Level: level, ID: id, Code: code, Name: name, parent: us.cityRow}
			if geom != nil {
				u.geom = json.RawMessage(*geom)
			}
			if parent != nil {
				u.parent = us.byID[parentLevel[level]][*parent] // nil: a 街道 or community without its parent
			}
			us.byID[level][id] = u
			us.byLevel[level] = append(us.byLevel[level], u)
			return nil
		}); err != nil {
			return nil, err
		}
		sort.Slice(us.byLevel[level], func(i, j int) bool { return us.byLevel[level][i].Code < us.byLevel[level][j].Code })
	}
	for _, l := range Levels[1:] {
		for _, u := range us.byLevel[l] {
			if u.parent != nil {
				u.ParentCode = u.parent.Code
			}
		}
	}
	return us, nil
}

// chain is u and its parents up to the city; a community or 街道 whose parent is missing
// counts at its own level and the city's.
func (us *units) chain(u *Unit) []*Unit {
	out := []*Unit{}
	for x := u; x != nil; x = x.parent {
		out = append(out, x)
	}
	if out[len(out)-1] != us.cityRow {
		out = append(out, us.cityRow)
	}
	return out
}

// tallyCommunities counts, for every unit, the communities under it (through the
// administrative parents: community → 街道 → district → city) by their complete-community
// score and their living-circle status (the community-level report lc).
func (us *units) tallyCommunities(sc *checks.ScorecardReport, lc *walk.Report) {
	for _, u := range us.all() {
		u.tally = tally{fail: map[string]int{}}
	}
	coms := us.byID[coverage.LevelCommunity]
	for _, s := range sc.Scores {
		u := coms[s.ID]
		if u == nil {
			continue // a scenario's new community: no unit row
		}
		for _, x := range us.chain(u) {
			x.tally.scored++
			if s.Complete {
				x.tally.complete++
			}
			for _, m := range s.Missing {
				x.tally.fail[m]++
			}
		}
	}
	for _, a := range lc.Areas {
		u := coms[a.ID]
		if u == nil || a.Status == walk.StatusNoLand {
			continue
		}
		for _, x := range us.chain(u) {
			x.tally.lcUnits++
			x.tally.lcPop += a.Population
			if a.Complete {
				x.tally.lcComplete++
				x.tally.lcPopDone += a.Population
			}
		}
	}
}
