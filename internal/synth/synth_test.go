package synth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/cityreach/cityreach/geodata"
)

func loadOutlines(t testing.TB) Outlines {
	t.Helper()
	a, err := geodata.FS.ReadFile(geodata.BaotouAdmin)
	if err != nil {
		t.Fatal(err)
	}
	city, ds, err := ParseAdmin(a)
	if err != nil {
		t.Fatal(err)
	}
	r, err := geodata.FS.ReadFile(geodata.YellowRiver)
	if err != nil {
		t.Fatal(err)
	}
	river, err := ParseRiver(r)
	if err != nil {
		t.Fatal(err)
	}
	return Outlines{City: city, Districts: ds, River: river}
}

func digest(t testing.TB, c *City) [32]byte {
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestGenerateDeterministic(t *testing.T) {
	o := loadOutlines(t)
	a, err := Generate(context.Background(), Params{Scale: 0.05, Seed: 7}, o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(context.Background(), Params{Scale: 0.05, Seed: 7}, o)
	c, _ := Generate(context.Background(), Params{Scale: 0.05, Seed: 8}, o)
	if digest(t, a) != digest(t, b) {
		t.Fatal("same seed, different output")
	}
	if digest(t, a) == digest(t, c) {
		t.Fatal("different seeds, same output")
	}
}

func TestGenerateCounts(t *testing.T) {
	o := loadOutlines(t)
	for _, s := range []float64{0.05} {
		c, err := Generate(context.Background(), Params{Scale: s, Seed: 1}, o)
		if err != nil {
			t.Fatal(err)
		}
		pop := 0
		for _, p := range c.Parcels {
			pop += p.Population
		}
		classes := map[string]int{}
		for _, p := range c.Parks {
			classes[p.Class]++
		}
		named := map[string]bool{}
		for _, l := range c.Manifest.Lacking {
			named[l.Category] = true
		}
		gaps := map[Lacking]bool{}
		for _, l := range c.Manifest.Gaps {
			gaps[l] = true
		}
		for _, l := range c.Manifest.Lacking {
			if !gaps[l] {
				t.Errorf("defect %v is not among the gaps", l)
			}
		}
		if len(c.Communities) < 8 || len(c.Parcels) < 1000 || len(c.Edges) < 2000 || len(classes) != 5 ||
			len(c.Manifest.NarrowPlaces) != 2 || len(c.Manifest.Overlaps) != 3 || len(c.Manifest.Lacking) != 2 || !named["clinic"] || !named["kindergarten"] {
			t.Errorf("scale %v: a layer or a defect is missing", s)
		}
		t.Logf("scale %v: communities %d subdistricts %d parcels %d pop %d parks %d %v facilities %d edges %d nodes %d corridors %d red %d farm %d blocks %d manifest %+v",
			s, len(c.Communities), len(c.Subdistricts), len(c.Parcels), pop, len(c.Parks), classes, len(c.Facilities), len(c.Edges), c.Nodes,
			len(c.Corridors), len(c.RedLines), len(c.Farmland), len(c.GrowthBlocks), c.Manifest)
	}
}
