package osmimport

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
)

// way is an OSM way kept for assembly.
type way struct {
	ID    osm.WayID
	Nodes []osm.NodeID
	Tags  osm.Tags
}

// relation is a multipolygon relation kept for assembly.
type relation struct {
	ID      osm.RelationID
	Tags    osm.Tags
	Members osm.Members
}

// data is the whole extract in memory: extracts for one city fit easily (Monaco: 180k
// nodes, 27k ways).
type data struct {
	coords    map[osm.NodeID]orb.Point
	tagged    []*osm.Node // nodes with tags
	ways      []*way
	wayByID   map[osm.WayID]*way
	relations []*relation
	bound     orb.Bound
	nodes     int
}

// read scans the file once. progress is called with the elements read so far.
func read(ctx context.Context, path string, progress func(int)) (*data, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	return readFrom(ctx, f, progress)
}

func readFrom(ctx context.Context, r io.Reader, progress func(int)) (*data, error) {
	d := &data{coords: map[osm.NodeID]orb.Point{}, wayByID: map[osm.WayID]*way{}}
	sc := osmpbf.New(ctx, r, runtime.GOMAXPROCS(0))
	defer sc.Close() //nolint:errcheck // read-only; a failed Close loses nothing
	n := 0
	first := true
	for sc.Scan() {
		n++
		if progress != nil && n%10000 == 0 {
			progress(n)
		}
		switch o := sc.Object().(type) {
		case *osm.Node:
			p := orb.Point{o.Lon, o.Lat}
			d.coords[o.ID] = p
			d.nodes++
			if first {
				d.bound, first = p.Bound(), false
			} else {
				d.bound = d.bound.Extend(p)
			}
			if len(o.Tags) > 0 {
				d.tagged = append(d.tagged, o)
			}
		case *osm.Way:
			w := &way{ID: o.ID, Tags: o.Tags, Nodes: make([]osm.NodeID, len(o.Nodes))}
			for i, wn := range o.Nodes {
				w.Nodes[i] = wn.ID
			}
			d.ways = append(d.ways, w)
			d.wayByID[w.ID] = w
		case *osm.Relation:
			if t := o.Tags.Find("type"); t == "multipolygon" || t == "boundary" {
				d.relations = append(d.relations, &relation{ID: o.ID, Tags: o.Tags, Members: o.Members})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %w", err)
	}
	if progress != nil {
		progress(n)
	}
	if d.nodes == 0 {
		return nil, fmt.Errorf("the extract has no nodes")
	}
	return d, nil
}
