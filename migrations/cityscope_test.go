package migrations_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	pgquery "github.com/pganalyze/pg_query_go/v6"

	"github.com/cityreach/cityreach/internal/testdb"
)

// cityScopeExceptions are the statements allowed to touch two city-scoped tables without
// constraining each by the city, keyed by file:line's file and a fragment of the SQL, with
// the reason (docs/scale-out.md lists them too). Keep it short: each one is a query that
// Citus would run on every shard.
var cityScopeExceptions = map[string]string{}

// TestEveryCrossTableStatementIsCityScoped is the check of docs/scale-out.md ("Citus-ready
// schema"): in every SQL statement the service issues (the constant text handed to pgx's
// Query, QueryRow, Exec and Batch.Queue anywhere under cmd/ and internal/) that names two or
// more city-scoped tables, each of them is constrained by its city column — city_id, the
// id of cities, or the foreign key to a city-scoped parent for the tables that have no
// city_id — in a WHERE clause or a JOIN condition of its own SELECT/UPDATE/DELETE (for
// INSERT: the city column is among the inserted columns). The city-scoped set is read from
// the migrated schema, not written here: every table with a city_id column, cities, and
// every table whose foreign key points at one of those without a city_id of its own.
// Statements parse with the real PostgreSQL parser (pg_query_go).
func TestEveryCrossTableStatementIsCityScoped(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	key := map[string]string{} // city-scoped table → its city column (cities itself is a reference table)
	rows, err := db.Pool.Query(ctx, `SELECT c.table_name::text FROM information_schema.columns c
		JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.column_name = 'city_id'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		key[name] = "city_id"
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows, err = db.Pool.Query(ctx, `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, a.attname::text
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND cardinality(c.conkey) = 1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var child, parent, col string
		if err := rows.Scan(&child, &parent, &col); err != nil {
			t.Fatal(err)
		}
		if _, has := key[child]; !has && key[parent] != "" {
			key[child] = col
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// jobs names the city a job is about, but it is the queue, not city data: on Citus it
	// stays local to the coordinator (docs/scale-out.md, "Distribution"), where a claim
	// across every city's jobs is one local index scan.
	delete(key, "jobs")
	for _, want := range []string{"parks", "facilities", "coverage_runs", "coverage_areas", "scenario_changes"} {
		if key[want] == "" {
			t.Fatalf("%s is not in the city-scoped set %v: the schema query is wrong", want, key)
		}
	}

	_, self, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(self))
	sites := collectSQL(t, root)
	var dynamic, unparsed []string
	checked, cross, templated := 0, 0, 0
	for _, s := range sites {
		if s.SQL == "" {
			dynamic = append(dynamic, s.Pos)
			continue
		}
		tree, err := pgquery.ParseToJSON(s.SQL)
		if err != nil {
			unparsed = append(unparsed, s.Pos+": "+err.Error())
			continue
		}
		checked++
		if s.Templated {
			templated++
		}
		var doc any
		if err := json.Unmarshal([]byte(tree), &doc); err != nil {
			t.Fatal(err)
		}
		n, bad := unscoped(doc, key)
		if n < 2 {
			continue
		}
		cross++
		for _, b := range bad {
			if reason, ok := exceptionFor(s); ok {
				t.Logf("%s: %s not constrained by the city (allowed: %s)", s.Pos, b, reason)
				continue
			}
			t.Errorf("%s: %s is not constrained by its city column in a WHERE or JOIN condition of its own query level:\n%s", s.Pos, b, s.SQL)
		}
	}
	t.Logf("%d statement sites: %d parsed and checked (%d from fmt.Sprintf templates), %d name two or more city-scoped tables; %d built at run time (not checked): %s; %d not parsed: %s",
		len(sites), checked, templated, cross, len(dynamic), strings.Join(dynamic, ", "), len(unparsed), strings.Join(unparsed, "; "))
	if checked < 100 {
		t.Errorf("only %d statements were checked: the extraction of SQL from the Go sources broke", checked)
	}
	checkRecorded(t, key)
}

// checkRecorded checks the statements that test runs recorded in $CITYREACH_SQL_LOG
// (internal/testdb: every distinct statement of the test pools, including those built at
// run time). They include the tests' own fixture SQL, which is not the service's, so a
// statement that fails the rule is reported, not failed; docs/scale-out.md has the numbers.
func checkRecorded(t *testing.T, key map[string]string) {
	path := os.Getenv("CITYREACH_SQL_LOG")
	if path == "" {
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Logf("no SQL log: %v", err)
		return
	}
	seen := map[string]bool{}
	parsed, cross, flagged := 0, 0, 0
	for _, sql := range strings.Split(string(raw), "\x00") {
		if sql = strings.TrimSpace(sql); sql == "" || seen[sql] {
			continue
		}
		seen[sql] = true
		tree, err := pgquery.ParseToJSON(sql)
		if err != nil {
			continue
		}
		parsed++
		var doc any
		_ = json.Unmarshal([]byte(tree), &doc)
		n, bad := unscoped(doc, key)
		if n < 2 {
			continue
		}
		cross++
		if len(bad) > 0 {
			flagged++
			t.Logf("recorded statement with %s not constrained by the city:\n%s", strings.Join(bad, ", "), sql)
		}
	}
	t.Logf("SQL log %s: %d distinct statements, %d parsed, %d name two or more city-scoped tables, %d of those lack the city somewhere (test fixtures included)",
		path, len(seen), parsed, cross, flagged)
}

func exceptionFor(s sqlSite) (string, bool) {
	for k, reason := range cityScopeExceptions {
		file, frag, _ := strings.Cut(k, "|")
		if strings.HasPrefix(s.Pos, file+":") && strings.Contains(s.SQL, frag) {
			return reason, true
		}
	}
	return "", false
}

// unscoped walks a pg_query JSON tree and returns how many times city-scoped tables are
// named and which of those occurrences are not constrained by the city at their query level.
func unscoped(tree any, key map[string]string) (int, []string) {
	var count int
	var bad []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for kind, body := range v {
				m, ok := body.(map[string]any)
				if !ok {
					continue
				}
				switch kind {
				case "SelectStmt", "UpdateStmt", "DeleteStmt", "InsertStmt":
					c, b := checkLevel(kind, m, key)
					count += c
					bad = append(bad, b...)
				}
			}
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(tree)
	sort.Strings(bad)
	return count, bad
}

// rangeVar is a table named in a FROM, JOIN, USING or an UPDATE/DELETE/INSERT target.
type rangeVar struct{ name, ref string }

// checkLevel checks one query level: the tables of its FROM (through JOINs, not into
// subqueries, which are levels of their own) against the column references of its WHERE
// and JOIN conditions (including correlated references from subqueries inside them).
func checkLevel(kind string, m map[string]any, key map[string]string) (int, []string) {
	var tables []rangeVar
	var conds []any
	add := func(rv map[string]any) {
		name, _ := rv["relname"].(string)
		ref := name
		if a, ok := rv["alias"].(map[string]any); ok {
			if an, ok := a["aliasname"].(string); ok {
				ref = an
			}
		}
		if key[name] != "" {
			tables = append(tables, rangeVar{name, ref})
		}
	}
	var from func(v any)
	from = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				from(x)
			}
		case map[string]any:
			if rv, ok := v["RangeVar"].(map[string]any); ok {
				add(rv)
			}
			if j, ok := v["JoinExpr"].(map[string]any); ok {
				from(j["larg"])
				from(j["rarg"])
				if q, ok := j["quals"]; ok {
					conds = append(conds, q)
				}
				if u, ok := j["usingClause"]; ok {
					conds = append(conds, u)
				}
			}
		}
	}
	from(m["fromClause"])
	from(m["usingClause"])
	if rv, ok := m["relation"].(map[string]any); ok {
		add(rv)
	}
	if w, ok := m["whereClause"]; ok {
		conds = append(conds, w)
	}
	// INSERT: the target is scoped when its city column is among the inserted columns.
	insertCols := map[string]bool{}
	if kind == "InsertStmt" {
		for _, c := range asList(m["cols"]) {
			if rt, ok := c.(map[string]any)["ResTarget"].(map[string]any); ok {
				if n, ok := rt["name"].(string); ok {
					insertCols[n] = true
				}
			}
		}
	}
	refs := columnRefs(conds)
	var bad []string
	for i, tb := range tables {
		col := key[tb.name]
		if kind == "InsertStmt" && i == len(tables)-1 && insertCols[col] {
			continue
		}
		if refs[tb.ref+"."+col] || refs["using:"+col] || (refs[col] && len(tables) == 1) {
			continue
		}
		bad = append(bad, tb.name+" "+tb.ref+" (by "+col+")")
	}
	return len(tables), bad
}

// columnRefs lists the column references under conds as "alias.column" and "column" (an
// unqualified name, or a USING column).
func columnRefs(conds []any) map[string]bool {
	out := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			if cr, ok := v["ColumnRef"].(map[string]any); ok {
				var parts []string
				for _, f := range asList(cr["fields"]) {
					if s, ok := f.(map[string]any)["String"].(map[string]any); ok {
						parts = append(parts, s["sval"].(string))
					}
				}
				out[strings.Join(parts, ".")] = true
			}
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, c := range conds {
		// A USING (city_id) list is plain String nodes.
		for _, u := range asList(c) {
			if s, ok := u.(map[string]any)["String"].(map[string]any); ok {
				out["using:"+s["sval"].(string)] = true
			}
		}
		walk(c)
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// TestUnscopedFindsTheMissingCity shows the check is not vacuous: by hand, on the key set
// of the schema, which occurrences lack their city.
func TestUnscopedFindsTheMissingCity(t *testing.T) {
	key := map[string]string{"parks": "city_id", "facilities": "city_id", "coverage_runs": "city_id", "coverage_areas": "run_id"}
	for _, c := range []struct {
		sql  string
		n    int
		want string
	}{
		{"SELECT 1 FROM parks p JOIN facilities f ON ST_Intersects(p.geom, f.geom) WHERE p.city_id = $1", 2, "facilities f (by city_id)"},
		{"SELECT 1 FROM parks p JOIN facilities f ON f.city_id = p.city_id AND ST_Intersects(p.geom, f.geom) WHERE p.city_id = $1", 2, ""},
		{"SELECT 1 FROM parks p JOIN facilities f USING (city_id) WHERE p.city_id = $1", 2, ""},
		{"SELECT 1 FROM parks p WHERE p.city_id = $1 AND EXISTS (SELECT 1 FROM facilities f WHERE f.id = p.id)", 2, "facilities f (by city_id)"},
		{"SELECT 1 FROM parks p WHERE p.city_id = $1 AND EXISTS (SELECT 1 FROM facilities f WHERE f.city_id = p.city_id)", 2, ""},
		{"INSERT INTO coverage_areas (run_id, level) SELECT $1, 'x' FROM parks WHERE city_id = $2", 2, ""},
		{"INSERT INTO coverage_areas (level) SELECT 'x' FROM parks WHERE city_id = $2", 2, "coverage_areas coverage_areas (by run_id)"},
		{"DELETE FROM coverage_areas a USING coverage_runs r WHERE a.run_id = r.id AND r.city_id = $1", 2, ""},
		{"SELECT 1 FROM parks", 1, "parks parks (by city_id)"},
	} {
		tree, err := pgquery.ParseToJSON(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		_ = json.Unmarshal([]byte(tree), &doc)
		n, bad := unscoped(doc, key)
		if n != c.n || strings.Join(bad, ";") != c.want {
			t.Errorf("%s: %d tables, unscoped %q; want %d, %q", c.sql, n, bad, c.n, c.want)
		}
	}
}
