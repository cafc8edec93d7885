// Package citydata identifies the state of a city's input data: the data version that
// stored results and in-memory caches are keyed by (coverage runs, the walking graph and
// its inputs, report provenance, scenario baselines). There is one formula, here.
//
// A table's part is the number of the city's rows and the XOR of a 64-bit hash of each
// row's (id, version, updated_at). The shared feature triggers (migration 0002) give a new
// row version 1 and raise version on every update, and set updated_at to the writing
// transaction's time, so:
//
//   - an insert adds a row, whose id is new, or (an explicit id reused after a delete) whose
//     updated_at is the new transaction's;
//   - an update raises the row's version;
//   - a delete removes the row's hash, whatever else the same transaction does. The
//     former count/max(updated_at)/sum(version) formulas missed a delete paired with an
//     insert in a transaction that began before another edit committed: the count, the
//     sum of versions and the latest updated_at all came out as before.
//
// Any of these changes the table's part unless two different sets of rows hash to the same
// XOR (a 2⁻⁶⁴ coincidence). A statement that changes no row, a rolled-back transaction and
// an edit of another city change nothing. Tables without city_id (facility_categories,
// age_bands) and community_age_population (a city's through its communities, without a
// version column) hash whole rows.
package citydata

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Querier is what Read needs of a pool, a connection or a transaction; reading inside a
// REPEATABLE READ transaction gives the version of exactly the rows that transaction reads.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Version is the data version of a set of tables for one city.
type Version struct {
	Tables map[string]TableVersion `json:"tables"`
	// Hash is the first 16 hex digits of the SHA-256 of every table's name, rows and
	// digest, in name order: the key of stored results and caches.
	Hash string `json:"hash"`
}

// TableVersion is one table's part of a Version.
type TableVersion struct {
	Rows int64 `json:"rows"`
	// Digest is the XOR of the rows' 64-bit hashes, as 16 hex digits.
	Digest string `json:"digest"`
	// LastUpdated is the latest updated_at (informational: the hash does not use it);
	// nil for an empty table or one without updated_at.
	LastUpdated *time.Time `json:"last_updated,omitempty"`
}

// Updated is the latest LastUpdated over the tables, or the zero time.
func (v Version) Updated() time.Time {
	var t time.Time
	for _, tv := range v.Tables {
		if tv.LastUpdated != nil && tv.LastUpdated.After(t) {
			t = *tv.LastUpdated
		}
	}
	return t
}

// FacilityCategories is the one input table shared by every city.
const FacilityCategories = "facility_categories"

// AgeBands is the band set residents are counted in, shared by every city (migration 0020).
const AgeBands = "age_bands"

// CommunityAgePopulation is the residents by age band of each community (migration 0020):
// it has no city_id, its city is its community's, and it has no version column, so a row's
// hash is of the whole row (its counts, source and updated_at).
const CommunityAgePopulation = "community_age_population"

// featureTables are the city feature tables (migration 0002's cityreach_feature_table):
// city_id, id, version and updated_at kept by the shared triggers.
var featureTables = map[string]bool{
	"districts": true, "subdistricts": true, "communities": true, "parks": true, "park_entrances": true,
	"eco_corridors": true, "eco_redlines": true, "basic_farmland": true, "growth_boundaries": true,
	"residential_land": true, "facilities": true, "network_edges": true,
}

// part returns the SELECT of one table's name, row count, digest and latest update. Only
// the tables named here are accepted, so a table name never comes from a request.
func part(table string) (string, error) {
	switch table {
	case FacilityCategories, AgeBands:
		return `SELECT '` + table + `', count(*), coalesce(bit_xor(hash_record_extended(t.*, 0)), 0), NULL::timestamptz
			FROM ` + pgx.Identifier{table}.Sanitize() + ` t WHERE $1::int IS NOT NULL`, nil
	case CommunityAgePopulation:
		return `SELECT 'community_age_population', count(*), coalesce(bit_xor(hash_record_extended(a.*, 0)), 0), max(a.updated_at)
			FROM community_age_population a JOIN communities c ON c.id = a.community_id WHERE c.city_id = $1`, nil
	}
	if featureTables[table] {
		return `SELECT '` + table + `', count(*), coalesce(bit_xor(hash_record_extended((id, version, updated_at), 0)), 0), max(updated_at)
			FROM ` + pgx.Identifier{table}.Sanitize() + ` WHERE city_id = $1`, nil
	}
	return "", fmt.Errorf("citydata: %q is not an input table", table)
}

// Read returns the version of tables for city, in one statement (so one snapshot even
// outside a transaction).
func Read(ctx context.Context, q Querier, cityID int, tables ...string) (Version, error) {
	v := Version{Tables: make(map[string]TableVersion, len(tables))}
	parts := make([]string, len(tables))
	for i, t := range tables {
		p, err := part(t)
		if err != nil {
			return v, err
		}
		parts[i] = p
	}
	rows, err := q.Query(ctx, strings.Join(parts, "\nUNION ALL\n"), cityID)
	if err != nil {
		return v, fmt.Errorf("data version: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var tv TableVersion
		var digest int64
		if err := rows.Scan(&name, &tv.Rows, &digest, &tv.LastUpdated); err != nil {
			return v, fmt.Errorf("data version: %w", err)
		}
		tv.Digest = fmt.Sprintf("%016x", uint64(digest))
		if tv.LastUpdated != nil {
			u := tv.LastUpdated.UTC()
			tv.LastUpdated = &u
		}
		v.Tables[name] = tv
	}
	if err := rows.Err(); err != nil {
		return v, fmt.Errorf("data version: %w", err)
	}
	return Combine(v.Tables), nil
}

// Combine is the Version made of the table parts tables, with its Hash: Read's answer when
// the parts are those Read would read. A cache that re-reads only the tables an edit
// touched (ReadRows) combines their new parts with the unchanged ones.
func Combine(tables map[string]TableVersion) Version {
	v := Version{Tables: tables}
	names := make([]string, 0, len(v.Tables))
	for t := range v.Tables {
		names = append(names, t)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, t := range names {
		fmt.Fprintf(h, "%s:%d:%s;", t, v.Tables[t].Rows, v.Tables[t].Digest)
	}
	v.Hash = hex.EncodeToString(h.Sum(nil))[:16]
	return v
}

// ReadRows reads one city feature table's part of the version row by row: the part Read
// gives (the same count, XOR and latest update) and each row's 64-bit hash by id, so a
// cache can tell which rows an edit added, changed or removed by comparing two readings.
func ReadRows(ctx context.Context, q Querier, cityID int, table string) (TableVersion, map[int64]int64, error) {
	var tv TableVersion
	if _, err := part(table); err != nil || !featureTables[table] {
		return tv, nil, fmt.Errorf("citydata: %q is not a city feature table", table)
	}
	rows, err := q.Query(ctx, `SELECT id, hash_record_extended((id, version, updated_at), 0), updated_at FROM `+
		pgx.Identifier{table}.Sanitize()+` WHERE city_id = $1`, cityID)
	if err != nil {
		return tv, nil, fmt.Errorf("data version: %w", err)
	}
	defer rows.Close()
	hashes := map[int64]int64{}
	var digest int64
	for rows.Next() {
		var id, h int64
		var at *time.Time
		if err := rows.Scan(&id, &h, &at); err != nil {
			return tv, nil, fmt.Errorf("data version: %w", err)
		}
		hashes[id] = h
		digest ^= h
		if at != nil && (tv.LastUpdated == nil || at.After(*tv.LastUpdated)) {
			u := at.UTC()
			tv.LastUpdated = &u
		}
	}
	if err := rows.Err(); err != nil {
		return tv, nil, fmt.Errorf("data version: %w", err)
	}
	tv.Rows = int64(len(hashes))
	tv.Digest = fmt.Sprintf("%016x", uint64(digest))
	return tv, hashes, nil
}
