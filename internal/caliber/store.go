package caliber

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store keeps user calibers in the caliber_definitions table (migration 0007), so a
// caliber added through the API survives a restart and results can name it.
type Store struct{ Pool *pgxpool.Pool }

// Load returns every stored user caliber.
func (s Store) Load(ctx context.Context) ([]Caliber, error) {
	rows, err := s.Pool.Query(ctx, `SELECT definition FROM caliber_definitions ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defs, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, err
	}
	out := make([]Caliber, 0, len(defs))
	for _, d := range defs {
		var c Caliber
		if err := json.Unmarshal(d, &c); err != nil {
			return nil, err
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Insert stores c; ErrExists when the id is taken.
func (s Store) Insert(ctx context.Context, c Caliber) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO caliber_definitions (id, definition) VALUES ($1, $2)`, c.ID, c.Digest())
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return ErrExists
	}
	return err
}
