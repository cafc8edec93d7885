package tiles

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/fault"
)

// DB is the part of a pgx pool the tiles package queries through. Handlers never see it.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Field is one attribute carried by a source's tiles, with its TileJSON type: "String",
// "Number" or "Boolean".
type Field struct {
	Name        string
	Type        string
	Description string
	// Default fields are sent when the client names no properties=; the others only on request.
	Default bool
}

// Info describes a source for TileJSON and for validating a request's properties.
type Info struct {
	// Title is the English title; TitleZH the Chinese one ("" when Title holds both).
	Title    string
	TitleZH  string
	GeomType string // Point, LineString, MultiPolygon, …
	Fields   []Field
	MinZoom  int
	MaxZoom  int
	// IDColumn names the integer column used as the MVT feature id, "" for none.
	IDColumn string
	// Params are query parameters this source accepts beyond properties, limit and city
	// (an indicator's caliber and method, say). They are part of the cache key.
	Params []Param
}

// Param is a source-specific query parameter. Check validates a value (its error is the
// 400's detail); the Description says what the source uses when it is absent.
type Param struct {
	Name        string
	Description string
	Check       func(string) error
}

// Param returns the parameter called name, or nil.
func (i *Info) Param(name string) *Param {
	for k := range i.Params {
		if i.Params[k].Name == name {
			return &i.Params[k]
		}
	}
	return nil
}

// Field returns the field called name, or nil: the allow-list of properties=.
func (i *Info) Field(name string) *Field {
	for k := range i.Fields {
		if i.Fields[k].Name == name {
			return &i.Fields[k]
		}
	}
	return nil
}

// Dependency says that a source's tiles change when Layer changes: any notified box of
// Layer, grown by MarginM metres, invalidates the source's tiles that it meets. A table
// source depends on itself with no margin.
//
// Whole says that any edit of Layer changes the source everywhere: an indicator layer
// whose features carry figures of a whole parcel or community (drawn in every tile the
// feature touches) cannot be invalidated by the edit's extent alone.
type Dependency struct {
	Layer   string
	MarginM float64
	Whole   bool
}

// Request is one source's part of a tile request, validated and normalised.
type Request struct {
	Tile Tile
	// Properties are the fields to send, in order; every name has been checked against
	// the source's Info.Fields.
	Properties []string
}

// Source is anything that can be drawn as one MVT layer. The table layers of the registry
// are Sources; indicator layers register their own with Service.Register.
type Source interface {
	// Name is the MVT layer name and the URL name: lower-case letters, digits and _.
	Name() string
	Info() Info
	// Query returns a SELECT whose rows are this source's features in r.Tile: a column
	// "geom" holding ST_AsMVTGeom(<3857 geometry>, a.Envelope(), Extent, Buffer, true),
	// the IDColumn if any, and one column per r.Properties name. Every value must be a bind
	// parameter from a (a.Add, a.Envelope, a.Limit, a.City …); identifiers must come from
	// an allow-list and be quoted with pgx.Identifier.
	Query(r Request, a *Args) (string, error)
	// Bounds is the extent of the data in EPSG:4326 (of city, when a.City() is not ""),
	// ok false when there is none.
	Bounds(ctx context.Context, db DB, a *Args) (b Box, ok bool, err error)
	// DependsOn lists the layers whose edits change this source's tiles.
	DependsOn() []Dependency
}

// A Preparer is a Source whose data must be brought up to date before a tile is drawn:
// an indicator layer makes sure its result is computed on the current data and binds
// what the query needs with Args.Bind. Prepare runs on every render (never on a cache
// hit; the dependencies evict the tiles an edit can change).
type Preparer interface {
	Prepare(ctx context.Context, a *Args) error
}

// Args collects bind parameters. Each tile value is added the first time a source uses
// it, and then shared by every source of a composite tile; a parameter nobody references
// would leave PostgreSQL unable to type it.
type Args struct {
	vals   []any
	tile   Tile
	limit  int
	city   string
	cityID int // city resolved (Service.args); 0 matches nothing
	params map[string]string
	memo   map[string]string
	bound  map[string]any
	gen    func([]string) (string, bool)
	asOf   *AsOf // the past state table sources read (as_of=), nil for the live tables
}

// newArgs starts the parameter list of one tile query. city is "" (every city), a
// positive integer id or a slug; it has been validated by the caller.
func newArgs(t Tile, limit int, city string, params map[string]string) *Args {
	return &Args{tile: t, limit: limit, city: city, params: params, memo: map[string]string{}, bound: map[string]any{}}
}

// args is newArgs with the city resolved to its id through internal/citydata, so the tile
// SQL reads no cities table: an id is taken as given, a slug is looked up, and a slug no
// city has becomes id 0, which matches nothing (the tile is empty, as before).
func (s *Service) args(ctx context.Context, t Tile, limit int, city string, params map[string]string) (*Args, error) {
	a := newArgs(t, limit, city, params)
	if city == "" {
		return a, nil
	}
	if id, err := strconv.ParseInt(city, 10, 32); err == nil {
		a.cityID = int(id)
		return a, nil
	}
	c, err := citydata.BySlug(ctx, s.db, city)
	if err != nil && fault.KindOf(err) != fault.KindNotFound {
		return nil, err
	}
	a.cityID = c.ID
	return a, nil
}

// from is the FROM item of a table source, to be given an alias: the table, or under
// as_of= its rows as they stood then (cityreach_as_of, migration 0019, which rebuilds the
// generated columns such as geom_3857 from their expressions), so that every column
// reference stays the same. table must come from the layer registry.
func (a *Args) from(table string) string {
	t := pgx.Identifier{table}.Sanitize()
	if a.asOf == nil {
		return t
	}
	return fmt.Sprintf("cityreach_as_of(NULL::%s, %s::integer, %s::timestamptz)", t,
		a.once("asof:city", a.asOf.CityID), a.once("asof:at", a.asOf.At))
}

// Param is the value of a source parameter as the client gave it (validated by the
// Param's Check), or "" when it was not given.
func (a *Args) Param(name string) string { return a.params[name] }

// CityName is the requested city as given (an id or a slug), "" for every city.
func (a *Args) CityName() string { return a.city }

// Generation identifies the edits of layers that the tile cache has processed: it changes
// whenever a notification of one of them is processed or the listener reconnects. A
// Preparer may keep what it computed under a generation and reuse it while the generation
// is unchanged, instead of asking the database whether its inputs changed; in the default
// strict consistency every edit committed before the request has been processed when
// Prepare runs. ok is false when there is no live listener (cache disabled or
// reconnecting): then the source must check the database.
func (a *Args) Generation(layers ...string) (string, bool) {
	if a.gen == nil {
		return "", false
	}
	return a.gen(layers)
}

// Bind keeps a value that Prepare computed for Query (a run id, a list of statuses);
// Bound returns its placeholder. A source should prefix keys with its name, since a
// composite tile shares one Args.
func (a *Args) Bind(key string, v any) { a.bound[key] = v }

// Bound returns the placeholder of a value given to Bind, ok false when there is none.
func (a *Args) Bound(key string) (string, bool) {
	v, ok := a.bound[key]
	if !ok {
		return "", false
	}
	return a.once("bound:"+key, v), true
}

// Add appends v and returns its placeholder ($n).
func (a *Args) Add(v any) string {
	a.vals = append(a.vals, v)
	return "$" + strconv.Itoa(len(a.vals))
}

// once adds v under key the first time and returns the same placeholder afterwards.
func (a *Args) once(key string, v any) string {
	if p, ok := a.memo[key]; ok {
		return p
	}
	p := a.Add(v)
	a.memo[key] = p
	return p
}

// Values are the bind parameters in order.
func (a *Args) Values() []any { return a.vals }

// Tile is the tile being rendered.
func (a *Args) Tile() Tile { return a.tile }

func (a *Args) zxy() (string, string, string) {
	return a.once("z", a.tile.Z), a.once("x", a.tile.X), a.once("y", a.tile.Y)
}

// Envelope is the SQL of the tile's EPSG:3857 envelope. It is a scalar subquery, so
// PostgreSQL computes it once per statement (an InitPlan): under the generic plan of a
// prepared statement, which pgx's statements get after a few executions, a bare
// ST_TileEnvelope($1, $2, $3) is a function of parameters and was evaluated for every row
// that used it (about 1.5 of 9 ms of CPU on a dense z14 parcel tile).
func (a *Args) Envelope() string {
	z, x, y := a.zxy()
	return fmt.Sprintf("(SELECT ST_TileEnvelope(%s::int, %s::int, %s::int))", z, x, y)
}

// BufferedEnvelope is the envelope grown by the clip buffer: the search box of the tile
// (a scalar subquery too, see Envelope).
func (a *Args) BufferedEnvelope() string {
	z, x, y := a.zxy()
	m := a.once("margin", float64(Buffer)/Extent)
	return fmt.Sprintf("(SELECT ST_TileEnvelope(%s::int, %s::int, %s::int, margin => %s::float8))", z, x, y, m)
}

// InnerEnvelope is the buffered envelope shrunk by one tile unit and 2 m: a geometry
// whose bounding box it contains has every vertex at least half a unit inside the clip
// box once snapped, so ST_AsMVTGeom's clipping cannot change it. (The @ operator compares
// float4 bounding boxes, rounded outwards by up to about 1 m at city coordinates; within
// half a unit of the buffer's edge a vertex snaps onto or past it, and clipping does move it.)
func (a *Args) InnerEnvelope() string {
	z, x, y := a.zxy()
	width := 2 * mercHalf / math.Exp2(float64(a.tile.Z))
	m := a.once("inner", max(float64(Buffer-1)/Extent-2/width, -0.4))
	return fmt.Sprintf("(SELECT ST_TileEnvelope(%s::int, %s::int, %s::int, margin => %s::float8))", z, x, y, m)
}

// gridTranslate is a geometry stored in the global zoom-14 tile grid (geom_3857_z14,
// migration 0024) moved into this z14 tile's units: tile (x, y) starts at grid unit
// (4096·x, 4096·y). Whole-unit offsets keep the snapped vertices and the orientation.
func (a *Args) gridTranslate(geom string) string {
	return fmt.Sprintf("ST_Translate(%s, %s::float8, %s::float8)", geom,
		a.once("gx", -float64(a.tile.X)*Extent), a.once("gy", -float64(a.tile.Y)*Extent))
}

// tileAffine is geom (EPSG:3857) in tile coordinates snapped to the integer grid, with
// exterior rings clockwise on screen (y down) as the MVT specification asks: what
// ST_AsMVTGeom(geom, envelope, Extent, Buffer, false) returns for a polygon that needs no
// repair. The factors are computed as PostGIS computes them, so the vertices are the same.
func (a *Args) tileAffine(geom string) string {
	e := a.tile.Envelope(0)
	fx := float64(Extent) / (e.MaxX - e.MinX)
	fy := -(float64(Extent) / (e.MaxY - e.MinY))
	return fmt.Sprintf("ST_ForcePolygonCCW(ST_SnapToGrid(ST_Affine(%s, %s::float8, 0, 0, %s::float8, %s::float8, %s::float8), 1))", geom,
		a.once("fx", fx), a.once("fy", fy), a.once("xoff", -e.MinX*fx), a.once("yoff", -e.MaxY*fy))
}

// Limit is the placeholder of the per-tile feature limit.
func (a *Args) Limit() string { return a.once("limit", a.limit) + "::int" }

// ScreenPixel is one screen pixel of a 256-pixel tile, in EPSG:3857 metres.
func (a *Args) ScreenPixel() string {
	return a.once("px", 2*earthHalf/float64(int(1)<<a.tile.Z)/256) + "::float8"
}

// Tolerance is one tile unit in EPSG:3857 metres, the simplification tolerance.
func (a *Args) Tolerance() string { return a.once("tol", PixelSize(a.tile.Z)) + "::float8" }

// City is an SQL expression for the requested city id, "" when every city is requested.
func (a *Args) City() string {
	if a.city == "" {
		return ""
	}
	return a.once("city", a.cityID) + "::int"
}

// validName is the shape of a source name; the registry's table names all match it.
func validName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || (i > 0 && r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}
