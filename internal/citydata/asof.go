package citydata

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ShadowAsOf makes the rest of tx read the named city feature tables as they were at at
// (data editions, internal/edition): each gets a temporary table of the same name, filled
// with cityreach_as_of (migration 0019) for cityID and dropped when tx ends, and pg_temp
// goes first on tx's search_path. Every unqualified read in tx then sees the past rows:
// the loaders of coverage and walk and this package's Read, whose version is the one the
// live tables had at at. Setting the search path also makes PostgreSQL re-parse statements
// prepared before, which would otherwise still name the live tables. tx must not write
// those tables.
func ShadowAsOf(ctx context.Context, tx pgx.Tx, cityID int, at time.Time, tables ...string) error {
	for _, t := range tables {
		if _, err := part(t); err != nil || t == FacilityCategories {
			return fmt.Errorf("citydata: %q is not a city feature table", t)
		}
	}
	// The live tables, schema-qualified, as the search path finds them before pg_temp.
	live := make([]string, len(tables))
	for i, t := range tables {
		if err := tx.QueryRow(ctx, `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`, t).Scan(&live[i]); err != nil {
			return fmt.Errorf("as of %s: %w", t, err)
		}
	}
	if _, err := tx.Exec(ctx, `SELECT set_config('search_path', 'pg_temp, ' || current_setting('search_path'), true)`); err != nil {
		return fmt.Errorf("as of: %w", err)
	}
	for i, t := range tables {
		live := live[i]
		tmp := pgx.Identifier{"pg_temp", t}.Sanitize()
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE `+pgx.Identifier{t}.Sanitize()+` (LIKE `+live+`) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("as of %s: %w", t, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+tmp+` SELECT * FROM cityreach_as_of(NULL::`+live+`, $1, $2)`, cityID, at); err != nil {
			return fmt.Errorf("as of %s: %w", t, err)
		}
	}
	return nil
}

// Reader is what a store reads through: a pool, or the transaction of ShadowAsOf.
type Reader interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Through returns tx when it is set (a transaction reading a past state), else r.
func Through(tx pgx.Tx, r Reader) Reader {
	if tx != nil {
		return tx
	}
	return r
}
