package featureapi

import (
	"context"
	"time"

	"github.com/cityreach/cityreach/internal/layers"
)

// Extent is what a layer's features cover: the EPSG:4326 box (nil when the layer is
// empty) and, on layers with editions, the first day of validity and the last end
// (nil To while some edition is still in force).
type Extent struct {
	BBox     *[4]float64
	From, To *time.Time
}

// Extent computes the layer's extent with ST_Extent over every feature, a full scan (about
// 0.3 s for 50,000 parcels), so callers cache it until the layer changes.
func (s *Store) Extent(ctx context.Context, l *layers.Layer) (Extent, error) {
	var a args
	q := `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)`
	if l.ValidFrom != "" {
		from, _ := l.Column(l.ValidFrom)
		to, _ := l.Column(l.ValidTo)
		q += `, f, t, open`
		q = `WITH x AS (SELECT ST_Extent("geom") AS e, min(` + from + `)::date AS f, max(` + to + `)::date AS t, bool_or(` + to + ` IS NULL) AS open FROM ` + l.Table() + `) ` + q + ` FROM x`
	} else {
		q = `WITH x AS (SELECT ST_Extent("geom") AS e FROM ` + l.Table() + `) ` + q + ` FROM x`
	}
	var v [4]*float64
	dest := []any{&v[0], &v[1], &v[2], &v[3]}
	var from, to *time.Time
	var open *bool
	if l.ValidFrom != "" {
		dest = append(dest, &from, &to, &open)
	}
	if err := s.reads.QueryRow(ctx, q, a...).Scan(dest...); err != nil {
		return Extent{}, err
	}
	var out Extent
	if v[0] != nil {
		out.BBox = &[4]float64{*v[0], *v[1], *v[2], *v[3]}
	}
	out.From = from
	if open == nil || !*open {
		out.To = to
	}
	return out, nil
}
