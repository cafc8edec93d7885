package report_test

import (
	"context"
	"testing"

	"github.com/cityreach/cityreach/internal/report"
)

// TestDataVersionCoversAges: a report's data version with the capacity section (withAges)
// moves when an age count is edited by plain SQL, as cityreach import ages writes them,
// while the data version of a report without it (which reads no age table) stays.
func TestDataVersionCoversAges(t *testing.T) {
	pool := demo(t)
	ctx := context.Background()
	var city int
	if err := pool.QueryRow(ctx, `SELECT id FROM cities WHERE slug = 'baotou'`).Scan(&city); err != nil {
		t.Fatal(err)
	}
	st := report.Store{Pool: pool}
	read := func() (without, with string) {
		a, err := st.DataVersion(ctx, city, false)
		if err != nil {
			t.Fatal(err)
		}
		b, err := st.DataVersion(ctx, city, true)
		if err != nil {
			t.Fatal(err)
		}
		return a.Hash, b.Hash
	}
	without, with := read()
	if without == with {
		t.Fatalf("the data version with the age tables is %s, the one without them too", with)
	}
	if tag, err := pool.Exec(ctx, `UPDATE community_age_population SET population = population + 1, updated_at = now()
		WHERE band = '0-3' AND community_id = (SELECT min(a.community_id) FROM community_age_population a
			JOIN communities c ON c.id = a.community_id WHERE c.city_id = $1)`, city); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("age edit: %v (%d rows)", err, tag.RowsAffected())
	}
	without2, with2 := read()
	if without2 != without {
		t.Errorf("without the capacity section: %s → %s after an age edit, want it kept", without, without2)
	}
	if with2 == with {
		t.Errorf("with the capacity section: %s did not move after an age edit", with)
	}
}
