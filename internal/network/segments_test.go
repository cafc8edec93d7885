package network

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// From S, node a is 40 m away and node b 75 m; edge a–b is 100 m, bent at (50,0). With a
// 100 m cutoff a–b is reached 60 m from a and 25 m from b, leaving a 15 m gap: two pieces
// of exactly 60 m and 25 m.
func TestPartialEdgeTwoPieces(t *testing.T) {
	g := mustGraph(t, []Edge{
		walk(1, 0, 1, 40, orb.Point{0, -40}, orb.Point{0, 0}),
		walk(2, 0, 2, 75, orb.Point{0, -40}, orb.Point{50, 50}), // planar length ≠ Length: scaled
		walk(3, 1, 2, 100, orb.Point{0, 0}, orb.Point{50, 0}, orb.Point{50, 50}),
	})
	s := NewSearcher(g)
	if err := s.Run([]Source{AtNode(mustNode(t, g, 0), 0)}, 100); err != nil {
		t.Fatal(err)
	}
	segs, err := s.Segments(100, nil)
	if err != nil {
		t.Fatal(err)
	}
	var onAB []Segment
	for _, sg := range segs {
		switch sg.Edge {
		case 0:
			if sg.From != 0 || sg.To != 40 || sg.DistFrom != 0 || sg.DistTo != 40 {
				t.Errorf("S–a piece %+v, want whole edge 0→40", sg)
			}
		case 1:
			if sg.From != 0 || sg.To != 75 || sg.DistFrom != 0 || sg.DistTo != 75 {
				t.Errorf("S–b piece %+v, want whole edge 0→75", sg)
			}
		case 2:
			onAB = append(onAB, sg)
		}
	}
	if len(onAB) != 2 {
		t.Fatalf("a–b gives %d pieces, want 2: %+v", len(onAB), onAB)
	}
	first, second := onAB[0], onAB[1]
	if first.From > second.From {
		first, second = second, first
	}
	if first.From != 0 || first.To != 60 || first.DistFrom != 40 || first.DistTo != 100 {
		t.Errorf("first piece %+v, want [0, 60] at 40→100 m", first)
	}
	if second.From != 75 || second.To != 100 || second.DistFrom != 100 || second.DistTo != 75 {
		t.Errorf("second piece %+v, want [75, 100] at 100→75 m", second)
	}
	wantFirst := orb.LineString{{0, 0}, {50, 0}, {50, 10}}
	wantSecond := orb.LineString{{50, 25}, {50, 50}}
	if !first.Geom.Equal(wantFirst) || planar.Length(first.Geom) != 60 {
		t.Errorf("first geometry %v, want %v (60 m)", first.Geom, wantFirst)
	}
	if !second.Geom.Equal(wantSecond) || planar.Length(second.Geom) != 25 {
		t.Errorf("second geometry %v, want %v (25 m)", second.Geom, wantSecond)
	}

	// At 30 m only the first 30 m of both spokes remain.
	segs, _ = s.Segments(30, nil)
	if len(segs) != 2 || segs[0].To != 30 || segs[1].To != 30 {
		t.Errorf("pieces within 30 m: %+v", segs)
	}
}

// A source 20 m off the middle of a 1000 m edge reaches 100 m either way with a 120 m
// cutoff, although neither end is reached.
func TestSourceEdgeReachedAroundTheSource(t *testing.T) {
	g := mustGraph(t, []Edge{walk(1, 1, 2, 1000, orb.Point{0, 0}, orb.Point{1000, 0})})
	s := NewSearcher(g)
	src := Attachment{Edge: 0, Offset: 500, Access: 20, Point: orb.Point{500, 0}}
	if err := s.Run([]Source{AtPoint(src)}, 120); err != nil {
		t.Fatal(err)
	}
	if len(s.Reached()) != 0 {
		t.Fatalf("reached %d nodes, want none", len(s.Reached()))
	}
	segs, _ := s.Segments(120, nil)
	if len(segs) != 1 {
		t.Fatalf("pieces %+v, want one", segs)
	}
	sg := segs[0]
	if sg.From != 400 || sg.To != 600 || sg.DistFrom != 120 || sg.DistTo != 120 {
		t.Errorf("piece %+v, want [400, 600] at 120 m both ends", sg)
	}
	if !sg.Geom.Equal(orb.LineString{{400, 0}, {600, 0}}) {
		t.Errorf("geometry %v", sg.Geom)
	}

	// With a larger cutoff the ends are reached and the pieces merge into the whole edge:
	// from a 520 m away and b 520 m away; cutoff 530 covers everything.
	if err := s.Run([]Source{AtPoint(src)}, 530); err != nil {
		t.Fatal(err)
	}
	segs, _ = s.Segments(530, nil)
	if len(segs) != 1 || segs[0].From != 0 || segs[0].To != 1000 || segs[0].DistFrom != 520 {
		t.Errorf("pieces %+v, want the whole edge once", segs)
	}
	if d := s.distAt(0, 250); d != 270 {
		t.Errorf("distance at 250 m = %v, want 20+250 = 270", d)
	}
}

// Every piece of a grid search must satisfy its contract: points within the cutoff, end
// distances from the formula, pieces not overlapping, geometry as long as the piece.
func TestSegmentsOnGrid(t *testing.T) {
	g := mustGraph(t, synthGrid(25, 25, 80, 9))
	s := NewSearcher(g)
	if err := s.Run([]Source{AtNode(mustNode(t, g, 12*25+12), 0)}, 700); err != nil {
		t.Fatal(err)
	}
	segs, _ := s.Segments(700, nil)
	seen := map[int32][]Segment{}
	total := 0.0
	for _, sg := range segs {
		if !(sg.From < sg.To) || sg.DistFrom > 700+1e-9 || sg.DistTo > 700+1e-9 {
			t.Fatalf("bad piece %+v", sg)
		}
		if !near(planar.Length(sg.Geom), sg.To-sg.From, 1e-9) { // synthetic lengths are planar
			t.Fatalf("piece %+v geometry %v m", sg, planar.Length(sg.Geom))
		}
		for _, o := range seen[sg.Edge] {
			if sg.From < o.To && o.From < sg.To {
				t.Fatalf("pieces overlap: %+v and %+v", o, sg)
			}
		}
		seen[sg.Edge] = append(seen[sg.Edge], sg)
		total += sg.To - sg.From
	}
	// Every edge with a reached end is represented.
	for e := range int32(g.NumEdges()) {
		a, b := g.EdgeEnds(e)
		if (s.Dist(a) < 700 || s.Dist(b) < 700) && len(seen[e]) == 0 {
			t.Fatalf("edge %d with a reached end has no piece", e)
		}
	}
	if math.IsNaN(total) || total == 0 {
		t.Fatal("no reached length")
	}
}
