package migrations_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/layers"
	"github.com/cityreach/cityreach/internal/testdb"
)

// TestParkCategory (0010): 公园绿地、广场 is a living-circle category of reach 300 m, not
// basic, whose points come from the parks table; the facilities table refuses it (insert and
// update), and a category in use by facilities cannot become derived. The layer registry's
// facility vocabulary is exactly the categories recorded in the facilities table.
func TestParkCategory(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	var nameZh, nameEn, source string
	var reach float64
	var basic bool
	if err := db.Pool.QueryRow(ctx, `SELECT name_zh, name_en, reach_m, basic, source FROM facility_categories WHERE code = 'park_square'`).
		Scan(&nameZh, &nameEn, &reach, &basic, &source); err != nil {
		t.Fatal(err)
	}
	if nameZh != "公园绿地、广场" || nameEn != "Parks and squares" || reach != 300 || basic || source != "parks" {
		t.Fatalf("park_square = %s / %s, %v m, basic %v, source %s", nameZh, nameEn, reach, basic, source)
	}
	rows, _ := db.Pool.Query(ctx, `SELECT code FROM facility_categories WHERE source = 'facilities' ORDER BY code`)
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(codes, layers.FacilityCategories()) {
		t.Errorf("facilities vocabulary %v, registry %v", codes, layers.FacilityCategories())
	}

	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	f := setup(t, ctx, tx)
	expectRefusal(t, ctx, tx, "a park recorded as a facility", "facilities_category_source", "derived from the parks table", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO facilities (city_id, category, geom) VALUES ($1, 'park_square', $2)`, f.city, point)
		return err
	})
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO facilities (city_id, category, geom) VALUES ($1, 'clinic', $2) RETURNING id`, f.city, point).Scan(&id); err != nil {
		t.Fatal(err)
	}
	expectRefusal(t, ctx, tx, "a facility re-categorised as a park", "facilities_category_source", "", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE facilities SET category = 'park_square' WHERE id = $1`, id)
		return err
	})
	expectRefusal(t, ctx, tx, "a category in use made derived", "facility_categories_source_in_use", "", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE facility_categories SET source = 'parks' WHERE code = 'clinic'`)
		return err
	})
	expectRefusal(t, ctx, tx, "an unknown source", "facility_categories_source_known", "", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE facility_categories SET source = 'buildings' WHERE code = 'canteen'`)
		return err
	})
	// A city may make it basic, or change its tier.
	if _, err := tx.Exec(ctx, `UPDATE facility_categories SET basic = true, reach_m = 500 WHERE code = 'park_square'`); err != nil {
		t.Fatal(err)
	}
}
