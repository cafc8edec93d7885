package importer

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

func makeCity(t testing.TB, pool *pgxpool.Pool, slug string, srid int) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ($1, $1, '150200', $2)`, slug, srid); err != nil {
		t.Fatal(err)
	}
}

func geojsonReader(s string) Reader { return NewGeoJSONReader(strings.NewReader(s)) }

// checksum is an order-independent digest of a table's rows, geometry included.
func checksum(t testing.TB, pool *pgxpool.Pool, table string) string {
	t.Helper()
	var s string
	err := pool.QueryRow(context.Background(), `SELECT count(*) || ':' || coalesce(md5(string_agg(md5(x::text), ',' ORDER BY md5(x::text))), '')
		FROM `+table+` x`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
