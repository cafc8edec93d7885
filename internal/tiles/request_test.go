package tiles

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/layers"
)

// noDB fails the test on any query: bad input must be refused before database work.
type noDB struct{ t *testing.T }

func (d noDB) Query(context.Context, string, ...any) (pgx.Rows, error) {
	d.t.Fatal("database queried")
	return nil, nil
}
func (d noDB) QueryRow(context.Context, string, ...any) pgx.Row {
	d.t.Fatal("database queried")
	return nil
}
func (d noDB) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	d.t.Fatal("database queried")
	return pgconn.CommandTag{}, nil
}

func TestHostileTileRequestsAreRefusedBeforeTheDatabase(t *testing.T) {
	svc := newService(noDB{t}, nil, layers.Default(), Options{})
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.DiscardHandler), MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, Handler{Tiles: svc}))
	cases := []struct {
		path   string
		status int
	}{
		{"/tiles/parks/-1/0/0.mvt", 400},
		{"/tiles/parks/23/0/0.mvt", 400},
		{"/tiles/parks/99999999999/0/0.mvt", 400},
		{"/tiles/parks/1e1/0/0.mvt", 400},
		{"/tiles/parks/0x1/0/0.mvt", 400},
		{"/tiles/parks/+1/0/0.mvt", 400},
		{"/tiles/parks/%201/0/0.mvt", 400},
		{"/tiles/parks/1.0/0/0.mvt", 400},
		{"/tiles/parks/%D9%A1/0/0.mvt", 400}, // Arabic-Indic digit one
		{"/tiles/parks/0/1/0.mvt", 400},
		{"/tiles/parks/0/0/1.mvt", 400},
		{"/tiles/parks/14/16384/0.mvt", 400},
		{"/tiles/parks/14/0/16384.mvt", 400},
		{"/tiles/parks/14/-0/0.mvt", 400},
		{"/tiles/parks/22/4194304/0.mvt", 400},
		{"/tiles/parks/14/0/.mvt", 400},
		{"/tiles/parks/14/0/0x.mvt", 400},
		{"/tiles/parks/14/0/0.MVT", 404},
		{"/tiles/parks/14/0/0", 404},
		{"/tiles/nope/14/0/0.mvt", 404},
		{"/tiles/parks,nope/14/0/0.mvt", 404},
		{"/tiles/feature_history/14/0/0.mvt", 404},
		{"/tiles/Parks/14/0/0.mvt", 404},
		{"/tiles/parks;drop/14/0/0.mvt", 404},
		{"/tiles/parks,parks/14/0/0.mvt", 400},
		{"/tiles/parks,/14/0/0.mvt", 400},
		{"/tiles/,parks/14/0/0.mvt", 400},
		{"/tiles/parks/14/0/0.mvt?properties=geom_m", 400},
		{"/tiles/parks/14/0/0.mvt?properties=name,id%3Bdrop", 400},
		{"/tiles/parks/14/0/0.mvt?limit=0", 400},
		{"/tiles/parks/14/0/0.mvt?limit=50001", 400},
		{"/tiles/parks/14/0/0.mvt?limit=-1", 400},
		{"/tiles/parks/14/0/0.mvt?city=%27%3B--", 400},
		{"/tiles/parks/14/0/0.mvt?city=1&city=2", 400},
		{"/tiles/parks/14/0/0.mvt?bbox=1,2,3,4", 400},
		{"/tiles/parks/14/0/0.mvt?as_of=2024-13-01", 400},
		{"/tiles/parks/14/0/0.mvt?as_of=2024-01-01T00:00:00", 400}, // no zone
		{"/tiles/parks/14/0/0.mvt?as_of=%20", 400},
		{"/tiles/parks/14/0/0.mvt?as_of=a%00b", 400},
		{"/tiles/parks/14/0/0.mvt?as_of=2024-01-01&as_of=2025-01-01", 400},
		{"/tiles/parks.json?as_of=9999-99-99", 400},
		{"/tiles/nope.json", 404},
		{"/tiles/parks.json?limit=x", 400},
		{"/tiles/parks.xml", 404},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path, nil))
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, c.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q, want application/problem+json", ct)
			}
			var p map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p["status"] != float64(c.status) {
				t.Fatalf("problem body %s (%v)", rec.Body, err)
			}
		})
	}
}

func TestIndexListsEveryRegistryLayer(t *testing.T) {
	svc := newService(noDB{t}, nil, layers.Default(), Options{})
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.DiscardHandler), MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, Handler{Tiles: svc}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/tiles/index.json", nil)
	req.Host = "maps.example.org:8080"
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	var idx struct{ Layers []IndexEntry }
	if err := json.Unmarshal(body, &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Layers) != len(layers.Default().All()) {
		t.Fatalf("%d layers, want %d", len(idx.Layers), len(layers.Default().All()))
	}
	for _, l := range idx.Layers {
		if l.Tiles != "http://maps.example.org:8080/tiles/"+l.Name+"/{z}/{x}/{y}.mvt" {
			t.Fatalf("tiles URL %q", l.Tiles)
		}
	}
}

func TestEnvelopeMatchesTheTileGrid(t *testing.T) {
	// Worked by hand: zoom 1 splits the world square (±20037508.342789244 m) in four.
	e := Tile{Z: 1, X: 1, Y: 0}.Envelope(0)
	if e.MinX != 0 || e.MaxX != earthHalf || e.MinY != 0 || e.MaxY != earthHalf {
		t.Fatalf("1/1/0 = %+v", e)
	}
	// The margin is a fraction of the tile width: 1/16 of 20037508.34 m.
	e = Tile{Z: 1, X: 0, Y: 1}.Envelope(1.0 / 16)
	if d := e.MaxX - earthHalf/16; d > 1e-6 || d < -1e-6 {
		t.Fatalf("buffered MaxX %v", e.MaxX)
	}
	// 0° and ±85.0511° map to 0 and ±20037508.34 m.
	b := LonLatBoxTo3857(Box{-180, -90, 180, 0})
	if b.MinX != -earthHalf || b.MaxY != 0 || b.MinY+earthHalf > 1e-3 {
		t.Fatalf("%+v", b)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{"": false, "gzip": true, "br, gzip;q=0.5": true, "gzip;q=0": false, "identity": false, "*": true, "GZIP": true} {
		if acceptsGzip(h) != want {
			t.Errorf("acceptsGzip(%q) != %v", h, want)
		}
	}
	if !etagMatches(`W/"a", "b"`, `"b"`) || etagMatches(`"a"`, `"b"`) || !etagMatches("*", `"b"`) {
		t.Error("etagMatches")
	}
}

// presentOnly is an indicator-like source without as_of.
type presentOnly struct{}

func (presentOnly) Name() string { return "present_only" }
func (presentOnly) Info() Info {
	return Info{Title: "present", GeomType: "Point", MaxZoom: MaxZoom, Fields: []Field{{Name: "v", Type: "Number", Default: true}}}
}
func (presentOnly) Query(Request, *Args) (string, error) { return "", nil }
func (presentOnly) Bounds(context.Context, DB, *Args) (Box, bool, error) {
	return Box{}, false, nil
}
func (presentOnly) DependsOn() []Dependency { return nil }

// TestAsOfIsRefusedWithALayerThatHasNoPast: a composite tile would otherwise mix a past
// and a present layer.
func TestAsOfIsRefusedWithALayerThatHasNoPast(t *testing.T) {
	svc := newService(noDB{t}, nil, layers.Default(), Options{})
	if err := svc.Register(presentOnly{}); err != nil {
		t.Fatal(err)
	}
	h := httpapi.Must(httpapi.NewEngine(httpapi.Options{Log: slog.New(slog.DiscardHandler), MaxBody: 1 << 20, Policy: httpapi.Policy{AnonymousRead: true}}, Handler{Tiles: svc}))
	for _, path := range []string{"/tiles/parks,present_only/14/0/0.mvt?as_of=2024-01-01", "/tiles/present_only/14/0/0.mvt?as_of=2024-01-01", "/tiles/parks,present_only.json?as_of=2024-01-01"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "as_of") {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
}
