package tiles

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cityreach/cityreach/internal/layers"
)

// GeneraliseBelow is the first zoom drawn from full-detail geometry. Below it, lines and
// polygons are simplified with a tolerance of one tile unit and features smaller than one
// screen pixel (1/256 of the tile) are left out, so low-zoom tiles of dense parcels stay small.
const GeneraliseBelow = 14

// sharedFields (city, source, version, audit columns) are sent only when asked for: they
// are bookkeeping, not map content, and on a dense z14 parcel tile they doubled the bytes.
var sharedFields = map[string]bool{"city_id": true, "data_source": true, "synthetic": true, "version": true,
	"created_at": true, "updated_at": true, "updated_by": true}

// BlocksMaxZoom is the last zoom drawn from generalised blocks, for the layers that have
// them (migration 0011): at z12 a parcel is a dot of a screen pixel or two.
const BlocksMaxZoom = 12

// Grid14Zoom is the zoom whose tile grid geom_3857_z14 is stored in (migration 0024).
const Grid14Zoom = 14

// FeaturesField is the property of a block saying how many features it stands for.
const FeaturesField = "features"

// tableSource draws one feature table of the layer registry from its geom_3857 column
// and, when blocks is set, its zoom 0–12 tiles from the layer's generalised blocks.
type tableSource struct {
	layer  *layers.Layer
	blocks *blockSpec
	// clearance: the table has geom_3857_clearance (migration 0012), so polygons that
	// snapping cannot invalidate skip ST_AsMVTGeom's validation.
	clearance bool
	// grid14: the table also has geom_3857_z14 (migration 0024), those polygons already in
	// the global zoom-14 tile grid, so a z14 tile only translates them.
	grid14 bool
	info   *Info // shared: callers must not modify its Fields
}

// blockSpec is a layer's row of tile_block_specs: the columns a block keeps as text
// (group_by) and as sums.
type blockSpec struct {
	groupBy, sums map[string]bool
}

// TableSource returns the Source of a registry layer. Its fields are the layer's
// attributes (id is the MVT feature id); by default a tile carries the layer's own
// attributes, and the shared bookkeeping columns only when properties= names them.
func TableSource(l *layers.Layer) Source { return newTableSource(l, nil, false, false) }

func newTableSource(l *layers.Layer, blocks *blockSpec, clearance, grid14 bool) tableSource {
	s := tableSource{layer: l, blocks: blocks, clearance: clearance, grid14: clearance && grid14}
	inf := Info{Title: l.TitleEN, TitleZH: l.TitleZH, GeomType: l.GeomType, MinZoom: 0, MaxZoom: MaxZoom, IDColumn: "id",
		Params: []Param{asOfParam}}
	for _, a := range l.Attributes {
		if a.Name == "id" {
			continue
		}
		desc := a.TitleEN
		if a.TitleZH != "" {
			desc += " (" + a.TitleZH + ")"
		}
		inf.Fields = append(inf.Fields, Field{Name: a.Name, Type: fieldType(a.Type), Description: desc, Default: !sharedFields[a.Name]})
	}
	if blocks != nil {
		inf.Fields = append(inf.Fields, Field{Name: FeaturesField, Type: "Number",
			Description: "Features a zoom 0–12 block stands for (1 above zoom 12; always sent at zoom 0–12)"})
	}
	s.info = &inf
	return s
}

func (s tableSource) Name() string { return s.layer.ID }

// Info is computed once, by newTableSource: every tile request asks for it.
func (s tableSource) Info() Info { return *s.info }

// fieldType maps a registry type to the TileJSON/MVT value type.
func fieldType(t layers.Type) string {
	switch t {
	case layers.Integer, layers.Number:
		return "Number"
	case layers.Boolean:
		return "Boolean"
	default:
		return "String"
	}
}

func (s tableSource) lines() bool {
	return !strings.Contains(s.layer.GeomType, "Point")
}

func (s tableSource) Query(r Request, a *Args) (string, error) {
	// The generalised blocks and the fast paths below read what is stored for the live
	// rows; the rows of as_of= (rare tiles, cached as any other) are drawn by ST_AsMVTGeom.
	asOf := a.asOf != nil
	if s.blocks != nil && r.Tile.Z <= BlocksMaxZoom && !asOf {
		return s.blocksQuery(r, a), nil
	}
	geom := "t.geom_3857"
	envb := a.BufferedEnvelope()
	where := []string{"t.geom_3857 && " + envb}
	if s.lines() && r.Tile.Z < GeneraliseBelow {
		// Simplify only what spans many tile units: for small features the grid snapping
		// of ST_AsMVTGeom already does it, and ST_SimplifyPreserveTopology costs ~30 % of a
		// dense z12 tile.
		geom = fmt.Sprintf("CASE WHEN ST_XMax(t.geom_3857) - ST_XMin(t.geom_3857) > 64 * %[1]s OR ST_YMax(t.geom_3857) - ST_YMin(t.geom_3857) > 64 * %[1]s"+
			" THEN ST_SimplifyPreserveTopology(t.geom_3857, %[1]s) ELSE t.geom_3857 END", a.Tolerance())
		// Both sides under a screen pixel: the feature would be a dot. ST_XMax … read the
		// cached bounding box.
		where = append(where, fmt.Sprintf("(ST_XMax(t.geom_3857) - ST_XMin(t.geom_3857) >= %[1]s OR ST_YMax(t.geom_3857) - ST_YMin(t.geom_3857) >= %[1]s)", a.ScreenPixel()))
	}
	if c := a.City(); c != "" {
		where = append(where, "t.city_id = "+c)
	}
	// Clip only features reaching past the buffer: clipping costs about a third of a dense
	// tile's time and does nothing to a feature that lies well within it (InnerEnvelope).
	inner := a.InnerEnvelope()
	mvtGeom := fmt.Sprintf("ST_AsMVTGeom(%s, %s, %d, %d, NOT (t.geom_3857 @ %s))", geom, a.Envelope(), Extent, Buffer, inner)
	if s.clearance && r.Tile.Z >= GeneraliseBelow && !asOf {
		// A polygon inside the buffer whose minimum clearance is at least two tile units
		// stays valid when snapped (see migration 0012): transform and snap it as
		// ST_AsMVTGeom would, without its per-feature MakeValid. At zoom 14 that was done
		// once per row, in the global grid (migration 0024): the tile only translates it.
		var fast string
		if s.grid14 && r.Tile.Z == Grid14Zoom {
			fast = a.gridTranslate("t.geom_3857_z14")
		} else {
			fast = a.tileAffine("t.geom_3857")
		}
		mvtGeom = fmt.Sprintf("CASE WHEN t.geom_3857 @ %s AND t.geom_3857_clearance >= 2 * %s THEN %s ELSE %s END",
			inner, a.Tolerance(), fast, mvtGeom)
	}
	cols := []string{"t.id", mvtGeom + " AS geom"}
	if asOf && s.blocks != nil && r.Tile.Z <= BlocksMaxZoom && !slices.Contains(r.Properties, FeaturesField) {
		// The blocks always send it at these zooms; so does their stand-in.
		cols = append(cols, "1 AS "+FeaturesField)
	}
	for _, p := range r.Properties {
		if p == FeaturesField && s.blocks != nil {
			cols = append(cols, "1 AS "+FeaturesField)
			continue
		}
		col, ok := s.layer.Column(p)
		if !ok || p == "id" {
			return "", fmt.Errorf("tiles: %s has no property %q", s.layer.ID, p)
		}
		switch s.layer.Attr(p).Type {
		case layers.Date, layers.Time:
			// ISO 8601, as the GeoJSON API writes them.
			cols = append(cols, fmt.Sprintf("to_json(t.%s) #>> '{}' AS %s", col, col))
		default:
			cols = append(cols, "t."+col)
		}
	}
	return fmt.Sprintf("SELECT %s FROM %s t WHERE %s LIMIT %s",
		strings.Join(cols, ", "), a.from(s.layer.ID), strings.Join(where, " AND "), a.Limit()), nil
}

// blocksQuery draws a zoom 0–12 tile from cityreach_tile_blocks, which first brings the
// tile's dirty cells up to date. Every block lies inside its tile (cells are z14 tiles),
// so nothing is clipped. Properties the blocks do not keep are left out.
func (s tableSource) blocksQuery(r Request, a *Args) string {
	z, x, y := a.zxy()
	// NULL asks for every city; a city that does not exist must match nothing.
	city := "NULL::int"
	if c := a.City(); c != "" {
		city = "coalesce(" + c + ", -1)"
	}
	// The blocks are simplified for z12; lower zooms simplify further what spans many units.
	geom := "b.geom_3857"
	if r.Tile.Z < BlocksMaxZoom {
		geom = fmt.Sprintf("CASE WHEN ST_XMax(b.geom_3857) - ST_XMin(b.geom_3857) > 64 * %[1]s OR ST_YMax(b.geom_3857) - ST_YMin(b.geom_3857) > 64 * %[1]s"+
			" THEN ST_SimplifyPreserveTopology(b.geom_3857, %[1]s) ELSE b.geom_3857 END", a.Tolerance())
	}
	cols := []string{"b.id", fmt.Sprintf("ST_AsMVTGeom(%s, %s, %d, %d, false) AS geom", geom, a.Envelope(), Extent, Buffer),
		"b.features AS " + FeaturesField}
	for _, p := range r.Properties {
		switch {
		case s.blocks.groupBy[p]:
			cols = append(cols, fmt.Sprintf("b.grp ->> %s::text AS %s", a.once("name:"+p, p), pgx.Identifier{p}.Sanitize()))
		case s.blocks.sums[p]:
			cols = append(cols, fmt.Sprintf("(b.sums ->> %s::text)::float8 AS %s", a.once("name:"+p, p), pgx.Identifier{p}.Sanitize()))
		}
	}
	return fmt.Sprintf("SELECT %s FROM cityreach_tile_blocks(%s::text, %s, %s::int, %s::int, %s::int) b LIMIT %s",
		strings.Join(cols, ", "), a.once("layer:"+s.layer.ID, s.layer.ID), city, z, x, y, a.Limit())
}

// loadBlockSpecs reads tile_block_specs (migration 0011), keeping the columns the
// registry layer has; nil when the table is missing (an older schema).
func loadBlockSpecs(ctx context.Context, db DB, reg map[string]*layers.Layer) (map[string]*blockSpec, error) {
	var have bool
	if err := db.QueryRow(ctx, "SELECT to_regclass('tile_block_specs') IS NOT NULL").Scan(&have); err != nil || !have {
		return nil, err
	}
	rows, err := db.Query(ctx, "SELECT layer, group_by, sums FROM tile_block_specs")
	if err != nil {
		return nil, err
	}
	type spec struct {
		Layer   string
		GroupBy []string
		Sums    []string
	}
	specs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[spec])
	if err != nil {
		return nil, err
	}
	out := map[string]*blockSpec{}
	for _, sp := range specs {
		l := reg[sp.Layer]
		if l == nil {
			continue
		}
		b := &blockSpec{groupBy: map[string]bool{}, sums: map[string]bool{}}
		for _, c := range sp.GroupBy {
			if l.Attr(c) != nil {
				b.groupBy[c] = true
			}
		}
		for _, c := range sp.Sums {
			if l.Attr(c) != nil {
				b.sums[c] = true
			}
		}
		out[sp.Layer] = b
	}
	return out, nil
}

func (s tableSource) Bounds(ctx context.Context, db DB, a *Args) (Box, bool, error) {
	return TableBounds(ctx, db, a, s.layer.ID)
}

// TableBounds is the EPSG:4326 extent of a feature table's geom (of a's city when one is
// requested); ok is false when the table has no rows. table must come from an allow-list.
// Indicator sources drawn over a table's features use it for their Bounds.
func TableBounds(ctx context.Context, db DB, a *Args, table string) (b Box, ok bool, err error) {
	q := "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM " + pgx.Identifier{table}.Sanitize()
	if c := a.City(); c != "" {
		q += " WHERE city_id = " + c
	}
	q += ") s"
	var v [4]*float64
	if err := db.QueryRow(ctx, q, a.Values()...).Scan(&v[0], &v[1], &v[2], &v[3]); err != nil {
		return Box{}, false, err
	}
	if v[0] == nil {
		return Box{}, false, nil
	}
	return Box{*v[0], *v[1], *v[2], *v[3]}, true, nil
}

// Detail implements Detailer from the layer's own features.
func (s tableSource) Detail(ctx context.Context, db DB, a *Args) (float64, bool, error) {
	return TableDetail(ctx, db, a, s.layer.ID, s.layer.GeomType)
}

func (s tableSource) DependsOn() []Dependency { return []Dependency{{Layer: s.layer.ID}} }

// hasColumn reports which of the tables carry column (geom_3857 of migration 0006,
// geom_3857_clearance of 0012).
func hasColumn(ctx context.Context, db DB, tables []string, column string) (map[string]bool, error) {
	rows, err := db.Query(ctx, `SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = $2 AND table_name = ANY($1)`, tables, column)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}
