package coverage_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/cityreach/cityreach/internal/caliber"
	"github.com/cityreach/cityreach/internal/capacity"
	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/coverage"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/tiles"
	"github.com/cityreach/cityreach/internal/tiles/tilestest"
)

// TestBandCountsFollowAgeVersion: park coverage with band= on Ages made as cityreach serve
// makes them (NewAges, the tile service's listener), on a pool of their own whose
// statements are counted. A repeated band= request runs no statement on it (the counts
// are kept per version of the age tables; before they were, three: the bands, whether
// the city has age data, the counts). After an age edit by plain SQL, the next band=
// request reads the ages again, its population share equals sqlBandShare on the edited
// rows, and its data_version moved (its tables include the age tables, whose parts are
// citydata.Read's now), while the answer without band (which reads no age table) keeps
// its run and data_version.
func TestBandCountsFollowAgeVersion(t *testing.T) {
	db, reg := bandDemo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ts := tilestest.Live(t, ctx, db.Pool, tiles.Options{CacheBytes: 1 << 20})
	count, agePool := testdb.Counted(t, db.Pool)
	svc := &coverage.Service{Store: coverage.Store{Pool: db.Pool}, Calibers: reg, Watch: ts,
		Ages: capacity.NewAges(capacity.Store{Pool: agePool}, ts)}
	defer svc.Close(context.Background()) //nolint:errcheck // test cleanup
	var cityID int
	if err := db.Pool.QueryRow(ctx, `SELECT id FROM cities WHERE slug = 'baotou'`).Scan(&cityID); err != nil {
		t.Fatal(err)
	}
	all := coverage.Query{City: "baotou", Caliber: "who-300m", Method: caliber.Buffer}
	band := all
	band.Bands = []string{"60-80"}
	version := func(r *coverage.Report) citydata.Version {
		var v citydata.Version
		if err := json.Unmarshal(r.Run.DataVersion, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	check := func(label string) *coverage.Report {
		t.Helper()
		rep, err := svc.Indicator(ctx, band)
		if err != nil {
			t.Fatal(err)
		}
		var cov, tot, ratio float64
		if err := db.Pool.QueryRow(ctx, sqlBandShare, cityID, band.Bands).Scan(&cov, &tot, &ratio); err != nil {
			t.Fatal(err)
		}
		if f := rep.City1; math.Abs(f.PopulationShare-cov/tot) > 1e-9 || math.Abs(f.Population-tot) > 1e-6*tot {
			t.Errorf("%s: share %.12f of %.6f residents, PostGIS %.12f of %.6f", label, f.PopulationShare, f.Population, cov/tot, tot)
		}
		ages, err := citydata.Read(ctx, db.Pool, cityID, citydata.AgeBands, citydata.CommunityAgePopulation)
		if err != nil {
			t.Fatal(err)
		}
		tables := version(rep).Tables
		for name, part := range ages.Tables {
			if tables[name].Digest != part.Digest || tables[name].Rows != part.Rows {
				t.Errorf("%s: data_version's %s %+v, citydata.Read %+v", label, name, tables[name], part)
			}
		}
		return rep
	}
	everyone, err := svc.Indicator(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	first := check("first")
	count.Take()
	again, err := svc.Indicator(ctx, band)
	if err != nil {
		t.Fatal(err)
	}
	if s := count.Take(); len(s) != 0 {
		t.Errorf("a repeated band= request ran %d statements on the age tables' pool, want none: %q", len(s), s)
	}
	if !again.Reused || again.Run.ID != first.Run.ID {
		t.Errorf("repeated: run %d reused %v, want run %d reused", again.Run.ID, again.Reused, first.Run.ID)
	}

	if tag, err := db.Pool.Exec(ctx, `UPDATE community_age_population SET population = population + 100, updated_at = now()
		WHERE band = '60-80' AND community_id = (SELECT min(a.community_id) FROM community_age_population a
			JOIN communities c ON c.id = a.community_id WHERE c.city_id = $1)`, cityID); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("age edit: %v (%d rows)", err, tag.RowsAffected())
	}
	after := check("after the edit")
	if s := count.Take(); len(s) == 0 {
		t.Error("the band= request after an age edit read no age table")
	}
	if after.Reused || after.Run.ID == first.Run.ID {
		t.Errorf("after the edit: run %d reused %v, the run before was %d", after.Run.ID, after.Reused, first.Run.ID)
	}
	if h := version(first).Hash; version(after).Hash == h {
		t.Errorf("after the edit: data_version %s did not move", h)
	}
	still, err := svc.Indicator(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	if h := version(everyone).Hash; !still.Reused || still.Run.ID != everyone.Run.ID || version(still).Hash != h {
		t.Errorf("without band after the edit: run %d reused %v data_version %s, want run %d and %s", still.Run.ID, still.Reused, version(still).Hash, everyone.Run.ID, h)
	}
}
