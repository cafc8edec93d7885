package testdb

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Querier runs a query: a *pgxpool.Pool, a *pgx.Conn or a pgx.Tx.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Pairs runs sql, whose rows have two columns, and returns them as a map from the first
// column to the second (the oracle side of a per-id comparison: the id and PostGIS's or
// pgRouting's figure). An error fails the test.
func Pairs[K comparable, V any](ctx context.Context, t testing.TB, q Querier, sql string, args ...any) map[K]V {
	t.Helper()
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[K]V{}
	for rows.Next() {
		var k K
		var v V
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
