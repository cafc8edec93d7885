package migrations_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cityreach/cityreach/internal/testdb"
)

// TestAgeCapacityConstraints: migration 0020 refuses malformed bands, negative counts,
// unknown bands and out-of-range capacities, and migration 0027 bad capacity norms, each by
// its named constraint.
func TestAgeCapacityConstraints(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	var city, com int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO cities (slug, name, adcode, metric_srid) VALUES ('baotou', '包头市', '150200', 4546) RETURNING id`).Scan(&city); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `INSERT INTO communities (city_id, code, name, population, households, geom)
		VALUES ($1, '150203001001', '阿尔丁', 100, 40, $2::geometry) RETURNING id`, city, poly).Scan(&com); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sql        string
		args       []any
		constraint string
	}{
		{`INSERT INTO age_bands (code, min_age, max_age, name_zh, name_en, sort_order) VALUES ('80+', 80, NULL, 'x', 'x', 9)`, nil, "age_bands_code_format"},
		{`INSERT INTO age_bands (code, min_age, max_age, name_zh, name_en, sort_order) VALUES ('5-9', 5, 10, 'x', 'x', 9)`, nil, "age_bands_code_matches"},
		{`INSERT INTO age_bands (code, min_age, max_age, name_zh, name_en, sort_order) VALUES ('9-5', 9, 5, 'x', 'x', 9)`, nil, "age_bands_ages_ordered"},
		{`INSERT INTO community_age_population (community_id, band, population) VALUES ($1, '6-12', -1)`, []any{com}, "community_age_population_nonnegative"},
		{`INSERT INTO community_age_population (community_id, band, population) VALUES ($1, '5-9', 1)`, []any{com}, "community_age_population_band_fkey"},
		{`INSERT INTO facilities (city_id, category, capacity, geom) VALUES ($1, 'primary_school', -5, $2::geometry)`, []any{city, point}, "facilities_capacity_range"},
		// The capacity norm of migration 0027.
		{`UPDATE facility_categories SET capacity_norm = 0 WHERE code = 'elderly_care'`, nil, "facility_categories_capacity_norm_range"},
		{`UPDATE facility_categories SET capacity_norm = 'NaN' WHERE code = 'elderly_care'`, nil, "facility_categories_capacity_norm_range"},
		{`UPDATE facility_categories SET capacity_norm_basis = 'households' WHERE code = 'elderly_care'`, nil, "facility_categories_capacity_norm_basis_known"},
		{`UPDATE facility_categories SET capacity_norm_source = repeat('x', 501) WHERE code = 'elderly_care'`, nil, "facility_categories_capacity_norm_source_length"},
	} {
		_, err := db.Pool.Exec(ctx, c.sql, c.args...)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.ConstraintName != c.constraint {
			t.Errorf("%s: %v, want constraint %s", c.sql, err, c.constraint)
		}
	}
	// The defaults: seven bands, and the school categories' demand bands.
	var n int
	var bands []string
	if err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM age_bands), (SELECT demand_bands FROM facility_categories WHERE code = 'elderly_care')`).Scan(&n, &bands); err != nil {
		t.Fatal(err)
	}
	if n != 7 || len(bands) != 2 || bands[0] != "60-80" || bands[1] != "80-" {
		t.Errorf("%d bands, elderly care serves %v", n, bands)
	}
	// The norms' defaults (docs/capacity.md): per 1,000 residents of the basis.
	norms := map[string]string{}
	//nolint:rowserrcheck // pgx.ForEachRow checks rows.Err
	rows, err := db.Pool.Query(ctx, `SELECT code, capacity_norm::text || ' ' || capacity_norm_basis FROM facility_categories
		WHERE code IN ('nursery', 'kindergarten', 'primary_school', 'middle_school', 'elderly_care', 'park_square', 'clinic')`)
	if err != nil {
		t.Fatal(err)
	}
	var code, norm string
	if _, err := pgx.ForEachRow(rows, []any{&code, &norm}, func() error { norms[code] = norm; return nil }); err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]string{"nursery": "4.5 residents", "kindergarten": "900 bands", "primary_school": "1000 bands",
		"middle_school": "1000 bands", "elderly_care": "30 bands", "park_square": "8000 bands", "clinic": "1000 bands"} {
		if norms[code] != want {
			t.Errorf("%s: norm %q, want %q", code, norms[code], want)
		}
	}
	// Deleting the community deletes its counts.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO community_age_population (community_id, band, population) VALUES ($1, '6-12', 7)`, com); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `DELETE FROM communities WHERE id = $1`, com); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM community_age_population`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d counts left after the community was deleted (%v)", n, err)
	}
}
