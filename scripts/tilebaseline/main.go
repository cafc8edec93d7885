// Command tilebaseline is the peer baseline of scripts/bench-tiles.sh: a tile server that
// renders every request from PostGIS with pg_tileserv's query for a table layer and
// nothing else — no cache, no precomputed EPSG:3857 column, no generalisation — so that
// cityreach's uncached throughput can be compared with pg_tileserv's on the same tables,
// in the same run. pg_tileserv itself cannot be installed on these machines (the Go
// module proxy refuses github.com/CrunchyData/pg_tileserv), so this stands in for it.
//
// The SQL follows pg_tileserv's table layer (layer_table.go, v1.0): the geometry is
// transformed to EPSG:3857 per feature, the rows are found with ST_Intersects against the
// tile envelope (grown by the buffer) transformed to the table's SRID, every non-geometry
// column is a property, 4096 units, buffer 256, 10,000 features per tile at most.
//
//	DATABASE_URL=… tilebaseline -listen 127.0.0.1:18090
//	GET /{table}/{z}/{x}/{y}.pbf
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var path = regexp.MustCompile(`^/([a-z_]+)/([0-9]{1,2})/([0-9]{1,8})/([0-9]{1,8})\.pbf$`)

func main() {
	listen := flag.String("listen", "127.0.0.1:18090", "address to serve on")
	conns := flag.Int("conns", 8, "database connections")
	flag.Parse()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	cfg.MaxConns = int32(*conns)
	cfg.ConnConfig.RuntimeParams["jit"] = "off" // as the pg_tileserv reference was measured
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	// Each table's properties: every column that is not a geometry, as pg_tileserv lists them.
	sqls := map[string]string{}
	for _, table := range []string{"residential_land", "network_edges", "parks", "facilities"} {
		rows, err := pool.Query(ctx, `SELECT a.attname::text FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
			WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND t.typname NOT IN ('geometry', 'geography')
			ORDER BY a.attnum`, table)
		if err != nil {
			log.Fatal(err)
		}
		cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			log.Fatal(err)
		}
		for i, c := range cols {
			cols[i] = "t." + pgx.Identifier{c}.Sanitize()
		}
		sqls[table] = fmt.Sprintf(`WITH bounds AS (
			  SELECT ST_TileEnvelope($1, $2, $3) AS geom_clip,
			         ST_TileEnvelope($1, $2, $3, margin => 256.0 / 4096) AS geom_query
			), mvtgeom AS (
			  SELECT ST_AsMVTGeom(ST_Transform(t.geom, 3857), bounds.geom_clip, 4096, 256) AS geom, %s
			  FROM %s t, bounds
			  WHERE ST_Intersects(t.geom, ST_Transform(bounds.geom_query, 4326))
			  LIMIT 10000
			)
			SELECT ST_AsMVT(mvtgeom.*, %s, 4096, 'geom', 'id') FROM mvtgeom`,
			strings.Join(cols, ", "), pgx.Identifier{table}.Sanitize(), "'"+table+"'")
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		m := path.FindStringSubmatch(r.URL.Path)
		if m == nil || sqls[m[1]] == "" {
			http.NotFound(w, r)
			return
		}
		z, _ := strconv.Atoi(m[2])
		x, _ := strconv.Atoi(m[3])
		y, _ := strconv.Atoi(m[4])
		var b []byte
		if err := pool.QueryRow(r.Context(), sqls[m[1]], z, x, y).Scan(&b); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
		_, _ = w.Write(b)
	})
	log.Printf("tilebaseline on %s", *listen)
	log.Fatal(http.ListenAndServe(*listen, nil)) //nolint:gosec // G114: a measuring tool on a local address
}
