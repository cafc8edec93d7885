package edition

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cityreach/cityreach/internal/citydata"
	"github.com/cityreach/cityreach/internal/fault"
)

// Store reads and writes data_editions.
type Store struct{ Pool *pgxpool.Pool }

const columns = `e.id, c.slug, e.name, e.description, e.as_of, e.created_by, e.created_at, e.published_at, e.published_by`

func scan(row pgx.Row) (*Edition, error) {
	var e Edition
	err := row.Scan(&e.ID, &e.City, &e.Name, &e.Description, &e.AsOf, &e.CreatedBy, &e.CreatedAt, &e.PublishedAt, &e.PublishedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	e.AsOf, e.CreatedAt = e.AsOf.UTC(), e.CreatedAt.UTC()
	if e.PublishedAt != nil {
		u := e.PublishedAt.UTC()
		e.PublishedAt = &u
	}
	return &e, nil
}

// CityID resolves a city slug; an Invalid fault naming the city parameter when unknown.
func (s Store) CityID(ctx context.Context, slug string) (int, error) {
	if slug == "" {
		return 0, fault.Invalid("city is required (a city slug, e.g. baotou)").With("parameter", "city")
	}
	c, err := citydata.BySlug(ctx, s.Pool, slug)
	return c.ID, citydata.UnknownAsInvalid(err)
}

// List returns the editions of city, oldest as_of first; published only when published.
func (s Store) List(ctx context.Context, city string, published bool) ([]Edition, error) {
	id, err := s.CityID(ctx, city)
	if err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+columns+` FROM data_editions e JOIN cities c ON c.id = e.city_id
		WHERE e.city_id = $1 AND (NOT $2 OR e.published_at IS NOT NULL) ORDER BY e.as_of, e.id`, id, published)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Edition, error) {
		e, err := scan(r)
		if err != nil {
			return Edition{}, err
		}
		return *e, nil
	})
	if out == nil {
		out = []Edition{}
	}
	return out, err
}

// Get returns edition id.
func (s Store) Get(ctx context.Context, id int64) (*Edition, error) {
	return scan(s.Pool.QueryRow(ctx, `SELECT `+columns+` FROM data_editions e JOIN cities c ON c.id = e.city_id WHERE e.id = $1`, id))
}

// ByName returns the edition of city called name.
func (s Store) ByName(ctx context.Context, cityID int, name string) (*Edition, error) {
	return scan(s.Pool.QueryRow(ctx, `SELECT `+columns+` FROM data_editions e JOIN cities c ON c.id = e.city_id
		WHERE e.city_id = $1 AND e.name = $2`, cityID, name))
}

// New is what creating an edition takes; AsOf nil means now (the database's clock).
type New struct {
	City        string
	Name        string
	Description string
	AsOf        *time.Time
}

// Create stores a new, unpublished edition of n.City by actor.
func (s Store) Create(ctx context.Context, n New, actor string) (*Edition, error) {
	if err := CheckName(n.Name); err != nil {
		return nil, err
	}
	if len(n.Description) > 4000 {
		return nil, fault.Invalid("description is at most 4000 bytes").With("pointer", "/description")
	}
	id, err := s.CityID(ctx, n.City)
	if err != nil {
		return nil, err
	}
	var eid int64
	err = s.Pool.QueryRow(ctx, `INSERT INTO data_editions (city_id, name, description, as_of, created_by)
		VALUES ($1, $2, $3, coalesce($4, clock_timestamp()), $5) RETURNING id`, id, n.Name, n.Description, n.AsOf, actor).Scan(&eid)
	if err != nil {
		return nil, constraintFault(err)
	}
	return s.Get(ctx, eid)
}

// Publish freezes edition id; publishing a published edition is a Conflict.
func (s Store) Publish(ctx context.Context, id int64, actor string) (*Edition, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE data_editions SET published_at = clock_timestamp(), published_by = $2
		WHERE id = $1 AND published_at IS NULL`, id, actor)
	if err != nil {
		return nil, constraintFault(err)
	}
	e, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() == 0 {
		return nil, fault.Conflict(fmt.Sprintf("edition %q is already published (%s)", e.Name, e.PublishedAt.Format(time.RFC3339)))
	}
	return e, nil
}

// Delete removes an unpublished edition; a published one is a Conflict (the database refuses it).
func (s Store) Delete(ctx context.Context, id int64) error {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM data_editions WHERE id = $1`, id)
	if err != nil {
		return constraintFault(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// Resolve turns an as-of reference of city into the instant it names and, for an edition
// name, the edition. A name the city has no edition of is an Invalid fault naming param.
func (s Store) Resolve(ctx context.Context, cityID int, param string, r Ref) (time.Time, *Edition, error) {
	if r.At != nil {
		return *r.At, nil, nil
	}
	e, err := s.ByName(ctx, cityID, r.Edition)
	if errors.Is(err, ErrNotFound) {
		return time.Time{}, nil, fault.Invalid(fmt.Sprintf("%s: the city has no edition %q (GET /api/v1/editions?city= lists them)", param, fault.Clip(r.Edition))).With("parameter", param)
	}
	if err != nil {
		return time.Time{}, nil, err
	}
	return e.AsOf, e, nil
}

// constraintFault maps the named constraints of migration 0019 to faults (Invalid or Conflict).
func constraintFault(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.ConstraintName {
	case "data_editions_name_unique":
		return fault.Conflict("the city already has an edition of that name").With("pointer", "/name")
	case "data_editions_as_of_not_future":
		return fault.Invalid("as_of lies in the future: an edition records data that exists").With("pointer", "/as_of")
	case "data_editions_published_immutable":
		return fault.Conflict("the edition is published: it can no longer be changed or deleted")
	case "data_editions_name_format":
		return fault.Invalid("name is not a valid edition name").With("pointer", "/name")
	}
	return err
}

// At resolves the as-of reference v (parameter param) of city cityID: the AsOf to record.
func (s Store) At(ctx context.Context, cityID int, param, v string) (AsOf, error) {
	r, err := ParseRef(param, v)
	if err != nil {
		return AsOf{}, err
	}
	if r.IsZero() {
		return AsOf{}, fault.Invalid(param+" is empty").With("parameter", param)
	}
	at, e, err := s.Resolve(ctx, cityID, param, r)
	if err != nil {
		return AsOf{}, err
	}
	out := AsOf{At: at.UTC()}
	if e != nil {
		out.Edition = e.Name
	}
	return out, nil
}
