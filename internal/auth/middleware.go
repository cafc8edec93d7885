package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/problem"
)

// Principal is who a request acts as. The zero value is the anonymous caller.
type Principal struct {
	ID   int64  // the token's id; 0 when anonymous
	Name string // the token's name; "" when anonymous
	Role Role   // "" when anonymous
}

// Anonymous reports whether the request carried no token.
func (p Principal) Anonymous() bool { return p.Name == "" }

// Owns reports whether p may act on a resource owned by owner as its owner: p is the token
// called owner, or an admin. Nobody owns a resource without an owner except admins, and
// the anonymous caller owns nothing.
func (p Principal) Owns(owner string) bool {
	return p.Role == Admin || (!p.Anonymous() && owner != "" && p.Name == owner)
}

const principalKey = "cityreach.principal"

// Looker finds the live token with a secret; *Store is one.
type Looker interface {
	Lookup(ctx context.Context, secret string) (Token, error)
}

// Static is a fixed set of tokens by secret, for tests and embedded servers; it is a Looker.
type Static map[string]Token

// Lookup returns the token with the secret or ErrNotFound.
func (s Static) Lookup(_ context.Context, secret string) (Token, error) {
	if t, ok := s[secret]; ok {
		return t, nil
	}
	return Token{}, ErrNotFound
}

// Authenticate identifies the caller from an "Authorization: Bearer <secret>" header and
// stores the Principal in the gin context. A request without the header is anonymous;
// a request with a malformed, unknown, revoked or expired token gets 401 at once, even where
// anonymous reads are allowed, so that a client never silently loses its identity.
func Authenticate(tokens Looker, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.GetHeader("Authorization")
		if h == "" {
			c.Set(principalKey, Principal{})
			c.Next()
			return
		}
		scheme, secret, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			unauthorized(c, "the Authorization header must be \"Bearer <token>\"")
			return
		}
		if tokens == nil {
			unauthorized(c, "this server accepts no tokens")
			return
		}
		t, err := tokens.Lookup(c.Request.Context(), strings.TrimSpace(secret))
		if errors.Is(err, ErrNotFound) {
			unauthorized(c, "the token is unknown or revoked")
			return
		}
		if err != nil {
			problem.Respond(c, log, err)
			return
		}
		c.Set(principalKey, Principal{ID: t.ID, Name: t.Name, Role: t.Role})
		c.Next()
	}
}

// Require lets the request through when its principal has at least role need. An
// anonymous caller passes a viewer check when anonymousRead is set; otherwise it gets 401,
// and a token with too small a role gets 403.
func Require(need Role, anonymousRead bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := FromContext(c)
		switch {
		case p.Anonymous() && need == Viewer && anonymousRead:
			c.Next()
		case p.Anonymous():
			unauthorized(c, "this request needs a token with the "+string(need)+" role: send \"Authorization: Bearer <token>\"")
		case !p.Role.Allows(need):
			problem.Write(c, http.StatusForbidden, "the token "+p.Name+" has the "+string(p.Role)+" role; this request needs "+string(need), nil)
		default:
			c.Next()
		}
	}
}

// FromContext returns the request's principal (anonymous when Authenticate did not run).
func FromContext(c *gin.Context) Principal {
	if v, ok := c.Get(principalKey); ok {
		if p, ok := v.(Principal); ok {
			return p
		}
	}
	return Principal{}
}

func unauthorized(c *gin.Context, detail string) {
	c.Header("WWW-Authenticate", `Bearer realm="cityreach"`)
	problem.Write(c, http.StatusUnauthorized, detail, nil)
}
