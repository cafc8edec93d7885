package caliber

import (
	"errors"
	"strings"
	"testing"
)

func TestBuiltinCalibersAreTheSevenOfTheStandards(t *testing.T) {
	want := []string{"gbt50563-2010", "gbt51346-2019", "gb55014-2021", "tdt1063-walk5", "who-300m", "tpl-10min", "tijian2023-site400"}
	got := Builtin()
	if len(got) != len(want) {
		t.Fatalf("%d builtin calibers, want %d", len(got), len(want))
	}
	for i, c := range got {
		if c.ID != want[i] || !c.Builtin {
			t.Errorf("builtin %d: %q builtin=%v", i, c.ID, c.Builtin)
		}
	}
}

func TestRadiusBands(t *testing.T) {
	r, _ := NewRegistry()
	g, _ := r.Get("gbt50563-2010")
	cases := []struct {
		f      ParkFacts
		radius float64
		ok     bool
	}{
		{ParkFacts{Class: Comprehensive, OpenStatus: "open", AreaM2: 5000}, 500, true},
		{ParkFacts{Class: Community, OpenStatus: "open", AreaM2: 4999.9}, 300, true},
		{ParkFacts{Class: Garden, OpenStatus: "shared", AreaM2: 2000}, 300, true},
		{ParkFacts{Class: Garden, OpenStatus: "open", AreaM2: 1999}, 0, false},
		{ParkFacts{Class: Garden, OpenStatus: "open", AreaM2: 1000, Historic: true}, 300, true},
		{ParkFacts{Class: Garden, OpenStatus: "open", AreaM2: 999, Historic: true}, 0, false},
		{ParkFacts{Class: Square, OpenStatus: "open", AreaM2: 90000}, 0, false},
		{ParkFacts{Class: Comprehensive, OpenStatus: "closed", AreaM2: 90000}, 0, false},
	}
	for _, c := range cases {
		r, ok := g.Radius(c.f)
		if r != c.radius || ok != c.ok {
			t.Errorf("%+v: %v %v, want %v %v", c.f, r, ok, c.radius, c.ok)
		}
	}
	s, _ := r.Get("gbt51346-2019")
	if r, ok := s.Radius(ParkFacts{Class: Square, OpenStatus: "open", AreaM2: 100}); !ok || r != 500 {
		t.Errorf("GB/T 51346 counts squares at 500 m: %v %v", r, ok)
	}
	if _, ok := s.Radius(ParkFacts{Class: Garden, OpenStatus: "open", AreaM2: 1e5}); ok {
		t.Error("GB/T 51346 excludes 游园")
	}
}

func TestDecodeRefusesHostileInput(t *testing.T) {
	cases := []struct{ body, field string }{
		{`{"id":"X","title":"t","classes":["garden"],"bands":[{"min_area_m2":0,"radius_m":300}]}`, "id"},
		{`{"id":"my-cal","title":" ","classes":["garden"],"bands":[{"min_area_m2":0,"radius_m":300}]}`, "title"},
		{`{"id":"my-cal","title":"t","classes":["forest"],"bands":[{"min_area_m2":0,"radius_m":300}]}`, "classes[0]"},
		{`{"id":"my-cal","title":"t","classes":["garden","garden"],"bands":[{"min_area_m2":0,"radius_m":300}]}`, "classes[1]"},
		{`{"id":"my-cal","title":"t","classes":["garden"],"bands":[]}`, "bands"},
		{`{"id":"my-cal","title":"t","classes":["garden"],"bands":[{"min_area_m2":0,"radius_m":-1}]}`, "bands[0].radius_m"},
		{`{"id":"my-cal","title":"t","classes":["garden"],"bands":[{"min_area_m2":-5,"radius_m":300}]}`, "bands[0].min_area_m2"},
		{`{"id":"my-cal","title":"t","classes":["garden"],"bands":[{"min_area_m2":0,"radius_m":300}],"method":"bird"}`, "method"},
		{`{"id":"my-cal","title":"t","classes":["garden"],"bands":[{"min_area_m2":0,"radius_m":300}],"open_status":["ajar"]}`, "open_status[0]"},
		{`{"id":"my-cal","title":"t","classes":["garden"],"bands":[{"min_area_m2":0,"radius_m":300}],"targets":[{"label":"x","ratio":80}]}`, "targets[0].ratio"},
		{`{"id":"my-cal","title":"t","classes":["garden"],"bands":[{"min_area_m2":0,"radius_m":300}],"radius":500}`, "body"},
		{`{"id":`, "body"},
	}
	for _, c := range cases {
		_, err := Decode(strings.NewReader(c.body))
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%s: %v, want a validation error on %s", c.body, err, c.field)
		}
	}
	cs, err := Decode(strings.NewReader(`{"id":"my-cal","title":"t","classes":["garden"],"bands":[{"min_area_m2":0,"radius_m":300},{"min_area_m2":5000,"radius_m":500}]}`))
	if err != nil || cs[0].Bands[0].MinAreaM2 != 5000 || cs[0].Method != Buffer || cs[0].Headline != ByArea {
		t.Fatalf("valid caliber: %v %+v", err, cs)
	}
	reg, _ := NewRegistry()
	if err := reg.Add(cs[0]); err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(cs[0]); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate id: %v", err)
	}
	b := Builtin()[0]
	if err := reg.Add(b); !errors.Is(err, ErrExists) {
		t.Errorf("replacing a builtin: %v", err)
	}
}
