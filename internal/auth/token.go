package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Role is what a token may do.
type Role string

// The roles, from least to most powerful.
const (
	Viewer Role = "viewer"
	Editor Role = "editor"
	Admin  Role = "admin"
)

// ParseRole returns the role called s.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Viewer, Editor, Admin:
		return r, nil
	}
	return "", fmt.Errorf("role %q must be viewer, editor or admin", s)
}

func (r Role) rank() int {
	switch r {
	case Viewer:
		return 1
	case Editor:
		return 2
	case Admin:
		return 3
	}
	return 0
}

// Allows reports whether a token with role r may do what need requires.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// SecretPrefix starts every secret, so that leaked tokens are easy to find in logs and
// by secret scanners.
const SecretPrefix = "crk_"

// Token is a stored token; the secret itself is never stored.
type Token struct {
	ID        int64
	Name      string
	Role      Role
	CreatedAt time.Time
	RevokedAt *time.Time
	// ExpiresAt is when the token stops working; nil never expires.
	ExpiresAt *time.Time
}

// ErrNotFound means no live token matches.
var ErrNotFound = errors.New("no such token")

// ErrNameTaken means a live token already has the name.
var ErrNameTaken = errors.New("a live token already has this name")

var nameFormat = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// Store keeps tokens in the api_tokens table.
type Store struct {
	Pool *pgxpool.Pool
}

// Digest is the SHA-256 of a secret, the only form in which it is stored.
func Digest(secret string) []byte {
	d := sha256.Sum256([]byte(secret))
	return d[:]
}

// Create makes a token that never expires and returns it with its secret, which cannot be
// recovered later.
func (s *Store) Create(ctx context.Context, name string, role Role) (Token, string, error) {
	return s.CreateUntil(ctx, name, role, time.Time{})
}

// CreateUntil makes a token that stops working at expires (the zero time: never) and
// returns it with its secret. An expiry that is not in the future is refused.
func (s *Store) CreateUntil(ctx context.Context, name string, role Role, expires time.Time) (Token, string, error) {
	if !nameFormat.MatchString(name) {
		return Token{}, "", fmt.Errorf("token name %q must be 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", name)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Token{}, "", err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Token{}, "", err
	}
	secret := SecretPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	t := Token{Name: name, Role: role}
	var exp *time.Time
	if !expires.IsZero() {
		exp = &expires
	}
	err := s.Pool.QueryRow(ctx,
		`INSERT INTO api_tokens (name, role, secret_sha256, expires_at) VALUES ($1, $2, $3, $4) RETURNING id, created_at, expires_at`,
		name, string(role), Digest(secret), exp).Scan(&t.ID, &t.CreatedAt, &t.ExpiresAt)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return Token{}, "", fmt.Errorf("%w: %s", ErrNameTaken, name)
	}
	if errors.As(err, &pe) && pe.ConstraintName == "api_tokens_expires_after_creation" {
		return Token{}, "", fmt.Errorf("the expiry %s is not in the future", expires.Format(time.RFC3339))
	}
	if err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// List returns every token, live and revoked, oldest first.
func (s *Store) List(ctx context.Context) ([]Token, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, name, role, created_at, revoked_at, expires_at FROM api_tokens ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Token, error) {
		var t Token
		var role string
		err := r.Scan(&t.ID, &t.Name, &role, &t.CreatedAt, &t.RevokedAt, &t.ExpiresAt)
		t.Role = Role(role)
		return t, err
	})
}

// Revoke revokes the live token called name; it returns ErrNotFound when there is none.
func (s *Store) Revoke(ctx context.Context, name string) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL`, name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return nil
}

// Lookup returns the live token whose secret is secret, or ErrNotFound: an unknown, revoked
// or expired token is not found (the database's clock decides expiry).
func (s *Store) Lookup(ctx context.Context, secret string) (Token, error) {
	if !strings.HasPrefix(secret, SecretPrefix) || len(secret) > 128 {
		return Token{}, ErrNotFound
	}
	var t Token
	var role string
	err := s.Pool.QueryRow(ctx,
		`SELECT id, name, role, created_at, expires_at FROM api_tokens
		 WHERE secret_sha256 = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
		Digest(secret)).Scan(&t.ID, &t.Name, &role, &t.CreatedAt, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, ErrNotFound
	}
	t.Role = Role(role)
	return t, err
}
