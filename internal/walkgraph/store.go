package walkgraph

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/network"
)

// Table is the table a walking graph is read from.
const Table = "network_edges"

// Querier is what the loaders need of a pool, a connection or a transaction (a REPEATABLE
// READ or as-of transaction reads the graph of the state it sees).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Version returns the version of the city's network_edges: the key of its graph.
func Version(ctx context.Context, q Querier, cityID int) (string, error) {
	v, err := citydata.Read(ctx, q, cityID, Table)
	return v.Hash, err
}

// VersionOf returns the network_edges version held in a wider data version dv (one that
// read network_edges among other tables): what Version would read in the same snapshot.
// ok is false when dv did not read network_edges.
func VersionOf(dv citydata.Version) (string, bool) {
	tv, ok := dv.Tables[Table]
	if !ok {
		return "", false
	}
	return citydata.Combine(map[string]citydata.TableVersion{Table: tv}).Hash, true
}

// EdgeCounts reports what the loader leaves out of the graph.
type EdgeCounts struct {
	// NonWalkable counts edges with walkable = false (barriers: motorways, railways, water).
	NonWalkable int `json:"non_walkable"`
	// NoTopology counts walkable edges without source/target node ids or metric geometry.
	NoTopology int `json:"no_topology"`
}

// Skipped counts the city's edges the graph leaves out.
func Skipped(ctx context.Context, q Querier, cityID int) (EdgeCounts, error) {
	var ec EdgeCounts
	err := q.QueryRow(ctx, `SELECT count(*) FILTER (WHERE NOT walkable),
		count(*) FILTER (WHERE walkable AND (source IS NULL OR geom_m IS NULL))
		FROM network_edges WHERE city_id = $1`, cityID).Scan(&ec.NonWalkable, &ec.NoTopology)
	return ec, err
}

// Edges reads the city's walkable edges with topology — metric geometry (geom_m), Length =
// length_m — in id order; only those of ids when ids is not nil. This is the one query a
// walking graph is built from, so pgRouting with cost = length_m on the same rows sees the
// same numbers.
func Edges(ctx context.Context, q Querier, cityID int, ids []int64) ([]network.Edge, error) {
	rows, err := q.Query(ctx, `SELECT id, source, target, length_m, ST_AsBinary(geom_m)
		FROM network_edges
		WHERE city_id = $1 AND walkable AND source IS NOT NULL AND geom_m IS NOT NULL
		AND ($2::bigint[] IS NULL OR id = ANY($2))
		ORDER BY id`, cityID, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var edges []network.Edge
	var b []byte
	for rows.Next() {
		e := network.Edge{Walkable: true}
		if err := rows.Scan(&e.ID, &e.Source, &e.Target, &e.Length, &b); err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return nil, fmt.Errorf("network edge %d: %w", e.ID, err)
		}
		ls, ok := g.(orb.LineString)
		if !ok {
			return nil, fmt.Errorf("network edge %d: geometry is %T, not a LineString", e.ID, g)
		}
		e.Geom = ls
		edges = append(edges, e)
	}
	return edges, rows.Err()
}
