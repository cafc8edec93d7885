package synth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"slices"
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

// TestGenerateSteps: some footways are steps, the same ones for a seed, and only footway
// places become steps (the share is stepsShare of the footways, give or take sampling).
func TestGenerateSteps(t *testing.T) {
	o := loadOutlines(t)
	count := func(seed uint64) (steps, foot int, ids []int) {
		c, err := Generate(context.Background(), Params{Scale: 0.05, Seed: seed}, o)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range c.Edges {
			if e.Steps != (e.Highway == "steps") || (e.Steps && !e.Walkable) {
				t.Fatalf("edge %d: steps %v, highway %s, walkable %v", i, e.Steps, e.Highway, e.Walkable)
			}
			switch e.Highway {
			case "steps":
				steps++
				ids = append(ids, i)
			case "footway":
				foot++
			}
		}
		return steps, foot, ids
	}
	s1, f1, ids1 := count(1)
	_, _, again := count(1)
	if s1 == 0 || !slices.Equal(ids1, again) {
		t.Fatalf("seed 1: %d steps edges (%v), again %v", s1, len(ids1), len(again))
	}
	share := float64(s1) / float64(s1+f1)
	t.Logf("seed 1: %d steps of %d footways and steps (%.3f)", s1, s1+f1, share)
	if share < 0.08 || share > 0.3 {
		t.Errorf("steps share %.3f, want about %.3f", share, stepsShare)
	}
}
