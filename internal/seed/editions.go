package seed

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/edition"
)

// The demo city's data editions.
const (
	Edition2024 = "2024 现状"
	Edition2025 = "2025 现状"
	// EditionParks is how many parks 2025 adds: the open community parks (社区公园) of the
	// highest ids, which every caliber counts.
	EditionParks = 5
)

// Editions gives the loaded demo city two published data editions (docs/editions.md), so
// the indicator series shows a year of change: 2024 现状 without the EditionParks newest
// community parks (社区公园, counted by every caliber), 2025 现状 with them. The city's
// data ends as Load left it — the same parks with the same ids, attributes and exact
// geometries, so every current figure is the plain demo's — but the parks were removed and
// added again through the history triggers: an edition reads the history, and a bulk load
// writes none. The editions' as_of is the time of seeding; the names are labels.
//
// A city that has editions already (an earlier seed, before --replace) keeps them, and
// nothing is done: a published edition cannot be deleted, and its data stays readable.
func Editions(ctx context.Context, pool *pgxpool.Pool, cityID int) (created bool, err error) {
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM data_editions WHERE city_id = $1`, cityID).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	// The parks and their entrances as rows, geometry as exact EWKB.
	var ids []int64
	var parks, entrances json.RawMessage
	err = pool.QueryRow(ctx, `WITH p AS (SELECT * FROM parks WHERE city_id = $1 ORDER BY (park_class = 'community' AND open_status = 'open') DESC, id DESC LIMIT $2)
		SELECT array_agg(id), jsonb_agg(to_jsonb(p) || jsonb_build_object('geom', p.geom::text)),
		       (SELECT coalesce(jsonb_agg(to_jsonb(e) || jsonb_build_object('geom', e.geom::text)), '[]') FROM park_entrances e WHERE e.city_id = $1 AND e.park_id IN (SELECT id FROM p))
		FROM p`, cityID, EditionParks).Scan(&ids, &parks, &entrances)
	if err != nil {
		return false, err
	}
	if len(ids) == 0 {
		return false, fmt.Errorf("seed editions: the city has no parks")
	}
	st := edition.Store{Pool: pool}
	if err := edit(ctx, pool, `DELETE FROM parks WHERE id = ANY($1)`, ids); err != nil {
		return false, err
	}
	if err := publish(ctx, st, Edition2024, "示例数据: 2025 年新建社区公园之前 (demo: before the 2025 community parks)"); err != nil {
		return false, err
	}
	for _, t := range []struct {
		table string
		rows  json.RawMessage
	}{{"parks", parks}, {"park_entrances", entrances}} {
		if err := restoreRows(ctx, pool, t.table, t.rows); err != nil {
			return false, err
		}
	}
	if err := publish(ctx, st, Edition2025, "示例数据: 含 2025 年新建社区公园 (demo: with the 2025 community parks)"); err != nil {
		return false, err
	}
	return true, nil
}

// edit runs one statement as the seed, with history (no bulk load).
func edit(ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SELECT set_config('cityreach.actor', $1, true)`, actor); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("seed editions: %w", err)
	}
	return tx.Commit(ctx)
}

// restoreRows inserts rows (to_jsonb of table's rows, geometry as EWKB) back into table,
// with their ids; the triggers derive the rest.
func restoreRows(ctx context.Context, pool *pgxpool.Pool, table string, rows json.RawMessage) error {
	var cols string
	if err := pool.QueryRow(ctx, `SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' AND attname <> 'geom_m'`, table).Scan(&cols); err != nil {
		return err
	}
	ident := pgx.Identifier{table}.Sanitize()
	return edit(ctx, pool, `INSERT INTO `+ident+` (`+cols+`) SELECT `+cols+` FROM jsonb_populate_recordset(NULL::`+ident+`, $1)`, rows)
}

func publish(ctx context.Context, st edition.Store, name, desc string) error {
	e, err := st.Create(ctx, edition.New{City: Slug, Name: name, Description: desc}, actor)
	if err != nil {
		return fmt.Errorf("seed edition %s: %w", name, err)
	}
	_, err = st.Publish(ctx, e.ID, actor)
	return err
}
