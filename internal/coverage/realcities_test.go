package coverage

import (
	"context"
	"math"
	"testing"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/osmimport"
	"github.com/cityreach/cityreach/internal/testdb"
)

// TestRealCitiesAgreeWithPostGIS computes the official buffer figure on the real
// OpenStreetMap extracts of Monaco and central Helsinki (imported by the OSM importer) and
// checks it against the independent subdivided-union computation in PostGIS, and that the
// network figure never exceeds it.
func TestRealCitiesAgreeWithPostGIS(t *testing.T) {
	pool := newDB(t)
	ctx := context.Background()
	for _, c := range []struct{ slug, file string }{
		{"monaco", "monaco.osm.pbf"},
		{"helsinki", "helsinki_center.osm.pbf"},
	} {
		if _, err := osmimport.Import(ctx, pool, c.slug, testdb.DataFile(t, c.file), osmimport.Options{Bulk: true}); err != nil {
			t.Fatalf("%s: import: %v", c.slug, err)
		}
		snap, err := Store{Pool: pool}.Load(ctx, c.slug)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Parcels) == 0 || len(snap.Parks) == 0 {
			t.Fatalf("%s: %d parcels, %d parks", c.slug, len(snap.Parcels), len(snap.Parks))
		}
		buf, err := Compute(ctx, snap, builtin(t, "gbt50563-2010"), Options{Method: caliber.Buffer})
		if err != nil {
			t.Fatal(err)
		}
		var cov, tot float64
		if err := pool.QueryRow(ctx, sqlSubdividedCoverage, snap.CityID).Scan(&cov, &tot); err != nil {
			t.Fatal(err)
		}
		goPct, sqlPct := 100*buf.Ratio(), 100*cov/tot
		t.Logf("%s: Go %.6f %% (%.2f of %.2f m²), PostGIS %.6f %%", c.slug, goPct, buf.CoveredM2, buf.TotalM2, sqlPct)
		if math.Abs(goPct-sqlPct) > 0.01 || math.Abs(buf.TotalM2-tot) > 0.01 {
			t.Errorf("%s: Go %.6f %% of %.2f m² vs PostGIS %.6f %% of %.2f m²", c.slug, goPct, buf.TotalM2, sqlPct, tot)
		}
		net, err := Compute(ctx, snap, builtin(t, "gbt50563-2010"), Options{Method: caliber.Network})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: network %.4f %%", c.slug, 100*net.Ratio())
		assertNetworkWithinBuffer(t, net, buf)
	}
}
