package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/fault"
	"github.com/cityreach/cityreach/internal/featurewrite"
	"github.com/cityreach/cityreach/internal/layers"
)

// NodeSnapM is how far an added network edge's end may lie from a node of the baseline
// network and still be joined to it (when the change gives no source/target).
const NodeSnapM = 10.0

// ErrNotFound is returned for an unknown scenario or change.
var ErrNotFound = fault.NotFound("no such scenario")

// Store keeps scenarios and their changes in PostGIS. It writes the baseline tables only
// in Promote; the dry run that validates a change runs in a savepoint that is always
// rolled back.
type Store struct {
	Pool   *pgxpool.Pool
	Layers *layers.Registry

	colsMu sync.Mutex
	cols   featurewrite.Columns // read from the catalog on first use
}

// columnTypes returns the layers' column types (integer widths), read once.
func (s *Store) columnTypes(ctx context.Context) (featurewrite.Columns, error) {
	s.colsMu.Lock()
	defer s.colsMu.Unlock()
	if s.cols == nil {
		cols, err := featurewrite.LoadColumns(ctx, s.Pool, s.Layers)
		if err != nil {
			return nil, err
		}
		s.cols = cols
	}
	return s.cols, nil
}

const scenarioCols = `s.id, c.slug, s.city_id, c.metric_srid, s.name, s.description, s.owner, s.created_at, s.updated_at,
	s.promoted_at, s.promoted_by, (SELECT count(*) FROM scenario_changes x WHERE x.scenario_id = s.id)`

func scanScenario(r pgx.Row) (*Scenario, error) {
	var sc Scenario
	err := r.Scan(&sc.ID, &sc.City, &sc.CityID, &sc.MetricSRID, &sc.Name, &sc.Description, &sc.Owner, &sc.CreatedAt, &sc.UpdatedAt,
		&sc.PromotedAt, &sc.PromotedBy, &sc.NChanges)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &sc, err
}

// Create stores a new, empty scenario of city.
func (s *Store) Create(ctx context.Context, city, name, description, owner string) (*Scenario, error) {
	c, err := citydata.BySlug(ctx, s.Pool, city)
	if err != nil {
		return nil, citydata.UnknownAsInvalid(err)
	}
	var id int64
	err = s.Pool.QueryRow(ctx, `INSERT INTO scenarios (city_id, name, description, owner)
		VALUES ($1, $2, $3, $4) RETURNING id`, c.ID, name, description, owner).Scan(&id)
	if err != nil {
		return nil, featurewrite.Classify(err)
	}
	return s.Get(ctx, id, false)
}

// Get returns scenario id, with its changes when withChanges is set.
func (s *Store) Get(ctx context.Context, id int64, withChanges bool) (*Scenario, error) {
	sc, err := scanScenario(s.Pool.QueryRow(ctx, `SELECT `+scenarioCols+` FROM scenarios s JOIN cities c ON c.id = s.city_id WHERE s.id = $1`, id))
	if err != nil || !withChanges {
		return sc, err
	}
	sc.Changes, err = loadChanges(ctx, s.Pool, id)
	return sc, err
}

// List returns the scenarios, newest first, of one city when city is not empty.
func (s *Store) List(ctx context.Context, city string) ([]Scenario, error) {
	if city != "" {
		if _, err := citydata.BySlug(ctx, s.Pool, city); err != nil {
			return nil, err
		}
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+scenarioCols+` FROM scenarios s JOIN cities c ON c.id = s.city_id
		WHERE $1 = '' OR c.slug = $1 ORDER BY s.id DESC`, city)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Scenario{}
	for rows.Next() {
		sc, err := scanScenario(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *sc)
	}
	return out, rows.Err()
}

// Delete removes a scenario and its changes.
func (s *Store) Delete(ctx context.Context, id int64) error {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM scenarios WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = ErrNotFound
	}
	return err
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// loadChanges reads the changes of scenario id in order, with their metric geometry.
func loadChanges(ctx context.Context, q querier, id int64) ([]Change, error) {
	rows, err := q.Query(ctx, `SELECT n, layer, op, coalesce(target_id, 0), target_version, properties, resolved,
		ST_AsGeoJSON(geom, 7), ST_AsBinary(geom_m), coalesce(measure, 0), ST_AsGeoJSON(entrances, 7), ST_AsBinary(entrances_m),
		entrances IS NOT NULL
		FROM scenario_changes WHERE scenario_id = $1 ORDER BY n`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var props, resolved []byte
		var g, ents *string
		var gm, em []byte
		if err := rows.Scan(&c.N, &c.Layer, &c.Op, &c.Target, &c.TargetVersion, &props, &resolved, &g, &gm, &c.Measure, &ents, &em, &c.HasEntrances); err != nil {
			return nil, err
		}
		if err := unmarshalNumbers(props, &c.Properties); err != nil {
			return nil, err
		}
		if err := unmarshalNumbers(resolved, &c.Resolved); err != nil {
			return nil, err
		}
		if g != nil {
			c.Geometry = json.RawMessage(*g)
		}
		if ents != nil {
			c.Entrances = json.RawMessage(*ents)
		}
		if gm != nil {
			if c.GeomM, err = wkb.Unmarshal(gm); err != nil {
				return nil, fmt.Errorf("scenario change %d: %w", c.N, err)
			}
		}
		if em != nil {
			eg, err := wkb.Unmarshal(em)
			if err != nil {
				return nil, fmt.Errorf("scenario change %d entrances: %w", c.N, err)
			}
			if mp, ok := eg.(orb.MultiPoint); ok {
				c.EntrancesM = mp
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func unmarshalNumbers(b []byte, v *map[string]any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	return dec.Decode(v)
}

// measureExpr is the table's own area or length column, as overlays need it.
func measureExpr(layer string) string {
	switch layer {
	case "parks", "residential_land":
		return "area_m2"
	case "network_edges":
		return "length_m"
	}
	return "NULL::float8"
}

// resolvedExpr is the row's properties as JSON, without geometry.
const resolvedExpr = `to_jsonb(t) - 'geom' - 'geom_m' - 'geom_3857'`

// AddChange validates in and appends it to scenario sc. The layer's constraints are
// checked by applying the change to the baseline table inside a savepoint (history
// triggers off) that is always rolled back: the change is refused exactly when the
// promotion would refuse it today.
func (s *Store) AddChange(ctx context.Context, sc *Scenario, in ChangeInput) (*Change, error) {
	if sc.PromotedAt != nil {
		return nil, fault.Conflict("the scenario has been promoted; its changes are part of the baseline")
	}
	cols, err := s.columnTypes(ctx)
	if err != nil {
		return nil, err
	}
	d, err := decodeChange(s.Layers, in, cols)
	if err != nil {
		return nil, err
	}
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	// Serialise the numbering of one scenario's changes.
	if _, err := tx.Exec(ctx, `SELECT 1 FROM scenarios WHERE id = $1 FOR UPDATE`, sc.ID); err != nil {
		return nil, err
	}
	prior, err := loadChanges(ctx, tx, sc.ID)
	if err != nil {
		return nil, err
	}
	c := Change{Layer: in.Layer, Op: in.Op, Target: in.Target, Properties: d.raw}
	if c.Properties == nil {
		c.Properties = map[string]any{}
	}
	dry, err := tx.Begin(ctx) // savepoint
	if err != nil {
		return nil, err
	}
	err = s.dryRun(ctx, dry, sc, &d, &c, prior, cols)
	if rbErr := dry.Rollback(ctx); err == nil && rbErr != nil {
		err = rbErr
	}
	if err != nil {
		return nil, err
	}
	var geomWKB, entWKB []byte
	if d.geometry != nil {
		geomWKB, _ = wkb.Marshal(d.geometry)
	}
	if d.hasEnts {
		entWKB, _ = wkb.Marshal(d.entrances)
	}
	gmWKB, _ := wkb.Marshal(c.GeomM)
	props, _ := json.Marshal(c.Properties)
	resolved, _ := json.Marshal(c.Resolved)
	var target *int64
	if c.Op != OpAdd {
		target = &c.Target
	}
	err = tx.QueryRow(ctx, `INSERT INTO scenario_changes (scenario_id, n, layer, op, target_id, target_version, properties, resolved,
			geom, geom_m, measure, entrances, entrances_m)
		SELECT $1, coalesce((SELECT max(n) FROM scenario_changes WHERE scenario_id = $1), 0) + 1, $2, $3, $4, $5, $6, $7,
			ST_GeomFromWKB($8, 4326), ST_SetSRID(ST_GeomFromWKB($9), $10::int), $11,
			ST_GeomFromWKB($12, 4326), ST_Transform(ST_GeomFromWKB($12, 4326), $10::int)
		RETURNING n`, sc.ID, c.Layer, c.Op, target, c.TargetVersion, props, resolved, geomWKB, gmWKB, sc.MetricSRID, nullFloat(c.Measure, c.Layer), entWKB).Scan(&c.N)
	if err != nil {
		return nil, featurewrite.Classify(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE scenarios SET updated_at = now() WHERE id = $1`, sc.ID); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	cs, err := loadChanges(ctx, s.Pool, sc.ID)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		if cs[i].N == c.N {
			return &cs[i], nil
		}
	}
	return nil, ErrNotFound
}

func nullFloat(v float64, layer string) *float64 {
	if measureExpr(layer) == "NULL::float8" {
		return nil
	}
	return &v
}

// dryRun applies the change to the baseline table in tx (a savepoint the caller rolls
// back) and fills c with the target's version, the resolved properties, the metric
// geometry and its measure.
func (s *Store) dryRun(ctx context.Context, tx pgx.Tx, sc *Scenario, d *decoded, c *Change, prior []Change, cols featurewrite.Columns) error {
	if _, err := tx.Exec(ctx, `SELECT set_config('cityreach.bulk_load', 'on', true), set_config('cityreach.actor', 'scenario dry run', true)`); err != nil {
		return err
	}
	l := d.layer
	if d.geometry != nil {
		// The validity check of every write (ST_IsValidDetail's reason and location),
		// before anything else is looked at.
		if _, err := featurewrite.Prepare(ctx, tx, l, featurewrite.Write{Geometry: d.geometry}); err != nil {
			return onFeature(err)
		}
	}
	if c.Op == OpModify && d.geometry == nil && len(d.props) == 0 && !d.hasEnts {
		return fault.Invalid("the change changes nothing: give properties, a geometry or entrances").With("pointer", "/feature")
	}
	// The state of the target after the earlier changes.
	var base *Change
	for i := range prior {
		p := &prior[i]
		if p.Layer != c.Layer || c.Op == OpAdd {
			continue
		}
		if p.FeatureID() == c.Target || (p.Op != OpAdd && p.Target == c.Target) {
			base = p
		}
	}
	if base != nil && base.Op == OpDelete {
		return invalid("/target_id", fmt.Sprintf("feature %d of %s is deleted by change %d", c.Target, c.Layer, base.N))
	}
	if c.Target < 0 && base == nil {
		return invalid("/target_id", fmt.Sprintf("no change %d adds a feature to %s", -c.Target, c.Layer))
	}
	if l.ID == "network_edges" && d.geometry != nil {
		if err := snapEnds(ctx, tx, sc, d); err != nil {
			return err
		}
		c.Properties["source"], c.Properties["target"] = d.props["source"], d.props["target"]
	}
	measure := measureExpr(l.ID)
	var (
		gm       []byte
		resolved []byte
		version  *int32
	)
	// The trial writes are the promotion's own (featurewrite), returning what overlays need.
	trial := func(prefix string, dest ...any) featurewrite.Returning {
		return featurewrite.Returning{
			List: func(*featurewrite.Args) string {
				return prefix + `ST_AsBinary(geom_m), coalesce(` + measure + `, 0), to_jsonb(` + l.Table() + `) - 'geom' - 'geom_m' - 'geom_3857'`
			},
			Scan: func(r pgx.Row) error { return r.Scan(append(dest, &gm, &c.Measure, &resolved)...) },
		}
	}
	switch {
	case c.Op == OpDelete && c.Target > 0:
		err := tx.QueryRow(ctx, `SELECT version, ST_AsBinary(geom_m), coalesce(`+measure+`, 0), `+resolvedExpr+` FROM `+l.Table()+
			` t WHERE id = $1 AND city_id = $2`, c.Target, sc.CityID).Scan(&version, &gm, &c.Measure, &resolved)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid("/target_id", fmt.Sprintf("no feature %d in %s of %s", c.Target, l.ID, sc.City))
		}
		if err != nil {
			return err
		}
	case c.Op == OpDelete:
		c.GeomM, c.Measure, c.Resolved = base.GeomM, base.Measure, base.Resolved
		return nil
	case c.Op == OpAdd || c.Target < 0:
		// An added feature, or a later edit of one: insert it as it would then be.
		props := d.props
		geom := d.geometry
		if c.Target < 0 {
			merged, _, err := attributes(l, withoutCity(base.Resolved), false, cols.Of(l))
			if err != nil {
				return err
			}
			for k, v := range d.props {
				merged[k] = v
			}
			props = merged
			if geom == nil {
				g, err := geometryOf(ctx, tx, sc.ID, -c.Target)
				if err != nil {
					return err
				}
				geom = g
			}
		}
		w := featurewrite.Write{Set: withCity(props, sc.CityID), Geometry: geom, ID: -1 - rand.Int64N(1<<52)} //nolint:gosec // G404: a provisional negative id, not a secret
		if _, err := featurewrite.Insert(ctx, tx, l, w, trial("")); err != nil {
			return onFeature(err)
		}
	default: // modify a baseline feature
		w := featurewrite.Write{Set: d.props, Geometry: d.geometry, CityID: int64(sc.CityID), Touch: true}
		_, err := featurewrite.Update(ctx, tx, l, c.Target, w, trial("version - 1, ", &version))
		if errors.Is(err, featurewrite.ErrNotFound) {
			return invalid("/target_id", fmt.Sprintf("no feature %d in %s of %s", c.Target, l.ID, sc.City))
		}
		if err != nil {
			return onFeature(err)
		}
	}
	// The dry run always meets the baseline row, so this is the version the promotion
	// expects to find.
	if c.Target > 0 {
		c.TargetVersion = version
	}
	var err error
	if c.GeomM, err = wkb.Unmarshal(gm); err != nil {
		return fmt.Errorf("metric geometry: %w", err)
	}
	var row map[string]any
	if err := unmarshalNumbers(resolved, &row); err != nil {
		return err
	}
	c.Resolved = map[string]any{}
	for _, at := range l.Writable() {
		if v, ok := row[at.Name]; ok {
			c.Resolved[at.Name] = v
		}
	}
	if base != nil && c.Op == OpModify && c.Target > 0 {
		// A second edit of a baseline feature: the dry run saw the baseline row, so merge
		// this change's properties over the earlier resolution.
		merged := map[string]any{}
		for k, v := range base.Resolved {
			merged[k] = v
		}
		for k, v := range c.Properties {
			merged[k] = v
		}
		c.Resolved = merged
		if d.geometry == nil {
			c.GeomM, c.Measure = base.GeomM, base.Measure
		}
	}
	return nil
}

// geometryOf returns the geometry (EPSG:4326) given by change n of scenario id.
func geometryOf(ctx context.Context, tx pgx.Tx, id int64, n int64) (orb.Geometry, error) {
	var b []byte
	err := tx.QueryRow(ctx, `SELECT ST_AsBinary(geom) FROM scenario_changes WHERE scenario_id = $1 AND n = $2`, id, n).Scan(&b)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, invalid("/target_id", fmt.Sprintf("change %d has no geometry", n))
	}
	return wkb.Unmarshal(b)
}

// snapEnds joins an added edge's ends to the nearest baseline nodes within NodeSnapM, unless
// the change gives source and target.
func snapEnds(ctx context.Context, tx pgx.Tx, sc *Scenario, d *decoded) error {
	_, hasS := d.props["source"]
	_, hasT := d.props["target"]
	if hasS && hasT {
		return nil
	}
	g, _ := wkb.Marshal(d.geometry)
	var src, tgt *int64
	err := tx.QueryRow(ctx, `WITH e AS (SELECT ST_StartPoint(g) AS s, ST_EndPoint(g) AS t
			FROM (SELECT ST_Transform(ST_GeomFromWKB($1, 4326), $2::int) AS g) x),
		-- An end node within the snap distance lies on an edge within it: the GiST index
		-- on geom_m finds those edges instead of a scan of the whole network.
		near AS (SELECT n.source, n.target, n.geom_m FROM network_edges n, e
			WHERE n.city_id = $3 AND (ST_DWithin(n.geom_m, e.s, $4) OR ST_DWithin(n.geom_m, e.t, $4))),
		nodes AS (SELECT source AS id, ST_StartPoint(geom_m) AS p FROM near WHERE source IS NOT NULL
			UNION ALL SELECT target, ST_EndPoint(geom_m) FROM near WHERE target IS NOT NULL)
		SELECT (SELECT id FROM nodes, e WHERE ST_DWithin(p, e.s, $4) ORDER BY ST_Distance(p, e.s), id LIMIT 1),
		       (SELECT id FROM nodes, e WHERE ST_DWithin(p, e.t, $4) ORDER BY ST_Distance(p, e.t), id LIMIT 1)`,
		g, sc.MetricSRID, sc.CityID, NodeSnapM).Scan(&src, &tgt)
	if err != nil {
		return err
	}
	if src == nil || tgt == nil {
		return invalid("/feature/geometry", fmt.Sprintf("each end of a new edge must lie within %.0f m of a node of the walking network (or give source and target)", NodeSnapM))
	}
	d.props["source"], d.props["target"] = *src, *tgt
	return nil
}

// RemoveChange deletes change n. A change that a later change edits (target -n) cannot go
// first.
func (s *Store) RemoveChange(ctx context.Context, sc *Scenario, n int) error {
	if sc.PromotedAt != nil {
		return fault.Conflict("the scenario has been promoted; its changes are part of the baseline")
	}
	var dep *int
	if err := s.Pool.QueryRow(ctx, `SELECT min(n) FROM scenario_changes WHERE scenario_id = $1 AND target_id = $2`, sc.ID, -int64(n)).Scan(&dep); err != nil {
		return err
	}
	if dep != nil {
		return fault.Conflict(fmt.Sprintf("change %d edits the feature change %d adds; remove it first", *dep, n))
	}
	tag, err := s.Pool.Exec(ctx, `DELETE FROM scenario_changes WHERE scenario_id = $1 AND n = $2`, sc.ID, n)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fault.NotFound(fmt.Sprintf("scenario %d has no change %d", sc.ID, n))
	}
	_, err = s.Pool.Exec(ctx, `UPDATE scenarios SET updated_at = now() WHERE id = $1`, sc.ID)
	return err
}

// withCity is props with the scenario's city.
func withCity(props map[string]any, cityID int) map[string]any {
	out := make(map[string]any, len(props)+1)
	for k, v := range props {
		out[k] = v
	}
	out["city_id"] = cityID
	return out
}

func withoutCity(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != "city_id" {
			out[k] = v
		}
	}
	return out
}
