package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/problem"
)

// Access is who may call a route. The zero value is undeclared, and a route with an
// undeclared access cannot be mounted: the engine fails closed.
type Access int

// The access levels, from the most open.
const (
	accessUndeclared Access = iota
	// Public routes answer everyone, even when anonymous reads are off: only the health
	// probes and the web page with its static files.
	Public
	// AnonymousRead routes answer any token, and callers without one when the server's
	// anonymous reads are on (config.AnonymousRead).
	AnonymousRead
	// Viewer routes need a token of any role.
	Viewer
	// Editor routes need an editor or admin token.
	Editor
	// Admin routes need an admin token.
	Admin
)

func (a Access) String() string {
	switch a {
	case Public:
		return "public"
	case AnonymousRead:
		return "anonymous-read"
	case Viewer:
		return "viewer"
	case Editor:
		return "editor"
	case Admin:
		return "admin"
	}
	return "undeclared"
}

// ParseAccess is the inverse of Access.String for the declared levels.
func ParseAccess(s string) (Access, error) {
	for a := Public; a <= Admin; a++ {
		if a.String() == s {
			return a, nil
		}
	}
	return accessUndeclared, fmt.Errorf("access %q must be public, anonymous-read, viewer, editor or admin", s)
}

// OwnerRule says whether the owner of the addressed resource matters.
type OwnerRule int

// The owner rules.
const (
	// NoOwner: the access level alone decides.
	NoOwner OwnerRule = iota
	// OwnerOrAdmin: only the resource's owner or an admin passes; anyone else allowed by the
	// access level gets 403. For resources every reader may see (scenarios).
	OwnerOrAdmin
	// OwnerOrAdminHidden: as OwnerOrAdmin, but anyone else gets the same 404 as for a
	// resource that does not exist, so ids of others' resources reveal nothing (jobs,
	// imports).
	OwnerOrAdminHidden
	// OwnList: a list that shows a caller only what they own and an admin everything; the
	// handler filters with auth.Principal.Owns.
	OwnList
)

func (o OwnerRule) String() string {
	switch o {
	case OwnerOrAdmin:
		return "owner or admin (others 403)"
	case OwnerOrAdminHidden:
		return "owner or admin (others 404)"
	case OwnList:
		return "own only (admin: all)"
	}
	return "-"
}

// Route is one row of the route table: a method and path, who may call it, whether the
// owner of the addressed resource matters, a one-line summary for the API description,
// and the handlers. Feature packages return their routes; NewEngine mounts them all and
// enforces the access and owner rules, so the policy is read from this table only.
type Route struct {
	Method string
	// Path is gin's pattern: /api/v1/jobs/:job.
	Path   string
	Access Access
	Owner  OwnerRule
	// OwnerOf names the owner of the resource the request addresses (OwnerOrAdmin and
	// OwnerOrAdminHidden). found is false when there is no such resource; err is a problem
	// to answer (a malformed id, a failed query).
	OwnerOf func(c *gin.Context) (owner string, found bool, err error)
	// Missing is what a request for a resource that does not exist gets under
	// OwnerOrAdminHidden, and what a non-owner gets in its place.
	Missing func(c *gin.Context) error
	// AnyQuery routes read and check their own query parameters (filters named after a
	// layer's attributes, the web page's files). Every other route takes exactly the query
	// parameters of its Params: the engine refuses any other, and any given twice, with a
	// 400 problem naming it, before the access check and before any handler.
	AnyQuery bool
	// Heavy routes may compute for seconds on one request: the engine bounds how many run
	// at once per caller and on the server (HeavyLimits).
	Heavy bool
	// Summary is one line describing the route.
	Summary string
	// OperationID names the operation in the OpenAPI document: unique, lowerCamelCase.
	OperationID string
	// Params, Body and Responses describe the request and the successful answers for the
	// OpenAPI document (openapi.go); Problems are the 4xx answers beyond those the access,
	// owner rule, path parameters and body imply.
	Params    []Param
	Body      *Body
	Responses []Response
	Problems  []int
	// Offered, when set, says whether the route's method is offered on the resource a
	// request addresses; OPTIONS leaves it out of Allow where it is not (a write route
	// shared by collections of which some are read-only). Nil: always offered.
	Offered  func(c *gin.Context) bool
	Handlers []gin.HandlerFunc
}

// Mounter is a feature package's route group.
type Mounter interface {
	Routes() []Route
}

// Routes is a fixed route list; it is a Mounter.
type Routes []Route

// Routes returns rs.
func (rs Routes) Routes() []Route { return rs }

// Table collects the routes of mounts and checks each one declares what NewEngine needs:
// a known method, a path, an access level, a summary and handlers; writes need editor or
// admin; an owner rule that looks at a resource has OwnerOf (and Missing when hidden);
// no method and path twice. Every error is reported at once.
func Table(mounts ...Mounter) ([]Route, error) {
	var out []Route
	var errs []error
	seen := map[string]bool{}
	for _, m := range mounts {
		for _, rt := range m.Routes() {
			if err := rt.check(); err != nil {
				errs = append(errs, err)
				continue
			}
			k := rt.Method + " " + rt.Path
			if seen[k] {
				errs = append(errs, fmt.Errorf("route %s is declared twice", k))
				continue
			}
			seen[k] = true
			out = append(out, rt)
		}
	}
	return out, errors.Join(errs...)
}

func (rt Route) check() error {
	name := rt.Method + " " + rt.Path
	switch rt.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return fmt.Errorf("route %s: method must be GET, POST, PUT, PATCH or DELETE (HEAD is mounted with each GET)", name)
	}
	switch {
	case !strings.HasPrefix(rt.Path, "/"):
		return fmt.Errorf("route %s: the path must start with /", name)
	case rt.Access <= accessUndeclared || rt.Access > Admin:
		return fmt.Errorf("route %s declares no access level", name)
	case rt.Method != http.MethodGet && rt.Access < Editor:
		return fmt.Errorf("route %s writes, so it needs the editor or admin access, not %s", name, rt.Access)
	case rt.Access == Public && rt.Owner != NoOwner:
		return fmt.Errorf("route %s is public and cannot have an owner rule", name)
	case (rt.Owner == OwnerOrAdmin || rt.Owner == OwnerOrAdminHidden) && rt.OwnerOf == nil:
		return fmt.Errorf("route %s has an owner rule but no OwnerOf", name)
	case rt.Owner == OwnerOrAdminHidden && rt.Missing == nil:
		return fmt.Errorf("route %s hides others' resources but has no Missing", name)
	case rt.Owner < NoOwner || rt.Owner > OwnList:
		return fmt.Errorf("route %s has an unknown owner rule", name)
	case strings.TrimSpace(rt.Summary) == "":
		return fmt.Errorf("route %s has no summary", name)
	case len(rt.Handlers) == 0:
		return fmt.Errorf("route %s has no handler", name)
	}
	return nil
}

// Policy is how the engine checks callers.
type Policy struct {
	// Tokens finds the token of a bearer secret; nil refuses every token.
	Tokens auth.Looker
	// AnonymousRead lets callers without a token use AnonymousRead routes.
	AnonymousRead bool
}

const anonymousReadKey = "cityreach.anonymous_read"

// note records the policy in the request, for AnonymousReads.
func (p Policy) note(c *gin.Context) {
	c.Set(anonymousReadKey, p.AnonymousRead)
	c.Next()
}

// AnonymousReads reports whether the engine serving c lets callers without a token read,
// for pages that tell their reader.
func AnonymousReads(c *gin.Context) bool { return c.GetBool(anonymousReadKey) }

// guard is the middleware that enforces rt's access level and owner rule.
func (p Policy) guard(rt Route, log *slog.Logger) []gin.HandlerFunc {
	var hs []gin.HandlerFunc
	switch rt.Access {
	case Public:
	case AnonymousRead:
		hs = append(hs, auth.Require(auth.Viewer, p.AnonymousRead))
	case Viewer:
		hs = append(hs, auth.Require(auth.Viewer, false))
	case Editor:
		hs = append(hs, auth.Require(auth.Editor, false))
	case Admin:
		hs = append(hs, auth.Require(auth.Admin, false))
	}
	if rt.Owner == OwnerOrAdmin || rt.Owner == OwnerOrAdminHidden {
		hs = append(hs, ownerCheck(rt, log))
	}
	return hs
}

func ownerCheck(rt Route, log *slog.Logger) gin.HandlerFunc {
	hidden := rt.Owner == OwnerOrAdminHidden
	return func(c *gin.Context) {
		owner, found, err := rt.OwnerOf(c)
		switch {
		case err != nil:
			problem.Respond(c, log, err)
		case !found && !hidden:
			c.Next() // the handler answers its own 404
		case !found || (hidden && !auth.FromContext(c).Owns(owner)):
			problem.Respond(c, log, rt.Missing(c))
		case !auth.FromContext(c).Owns(owner):
			p := auth.FromContext(c)
			problem.Write(c, http.StatusForbidden, fmt.Sprintf("this resource belongs to %s; only its owner or an admin may do this, not %s", owner, p.Name), nil)
		default:
			c.Next()
		}
	}
}

// headOnly answers a HEAD request with the GET handler's status and headers and no body.
func headOnly(c *gin.Context) {
	c.Writer = headWriter{c.Writer}
	c.Next()
}

type headWriter struct{ gin.ResponseWriter }

func (w headWriter) Write(b []byte) (int, error) {
	w.WriteHeaderNow()
	return len(b), nil
}

func (w headWriter) WriteString(s string) (int, error) {
	w.WriteHeaderNow()
	return len(s), nil
}

// queryNames are the names of the query parameters among rt.Params.
func (rt Route) queryNames() []string {
	var out []string
	for _, p := range rt.Params {
		if p.In == "" || p.In == "query" {
			out = append(out, p.Name)
		}
	}
	return out
}

// mount registers the routes of table on r, each GET also as HEAD, each behind its query
// check, its guard and, for heavy routes, the computation gate; and OPTIONS on every path
// (options).
func (p Policy) mount(r *gin.Engine, table []Route, log *slog.Logger, heavy *heavyGate) {
	sorted := append([]Route(nil), table...)
	// gin needs static segments before parameters only within one node; mounting in path
	// order keeps the registration deterministic.
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].Path < sorted[b].Path })
	byPath := map[string][]Route{}
	var paths []string
	for _, rt := range sorted {
		var hs []gin.HandlerFunc
		if !rt.AnyQuery {
			hs = append(hs, problem.Params(rt.queryNames()...))
		}
		if h := refused(rt); h != nil {
			hs = append(hs, h)
		}
		hs = append(hs, p.guard(rt, log)...)
		if rt.Heavy {
			hs = append(hs, heavy.handler())
		}
		hs = append(hs, rt.Handlers...)
		r.Handle(rt.Method, rt.Path, hs...)
		if byPath[rt.Path] == nil {
			paths = append(paths, rt.Path)
		}
		byPath[rt.Path] = append(byPath[rt.Path], rt)
		if rt.Method == http.MethodGet {
			r.Handle(http.MethodHead, rt.Path, append([]gin.HandlerFunc{headOnly}, hs...)...)
		}
	}
	for _, path := range paths {
		r.Handle(http.MethodOptions, path, options(byPath[path]))
	}
}

// Allow is the Allow header of a path that mounts methods: them, and OPTIONS, in a fixed
// order.
func Allow(methods []string) string {
	order := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}
	var out []string
	for _, m := range order {
		if m == http.MethodOptions || slices.Contains(methods, m) {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// options answers OPTIONS on a mounted path with 204 and the methods it allows, to every
// caller: it reveals only what the OpenAPI document says, and clients (QGIS, GDAL, a
// browser's CORS preflight) ask it without credentials. Allow lists each route's method
// (GET with HEAD) unless the route's Offered refuses the addressed resource; where POST or
// PATCH is offered, Accept-Post and Accept-Patch name the body types its Body declares
// (OGC API – Features Part 4 /req/create-replace-delete/options-accept-post,
// /req/update/options-accept-patch). It is the one place OPTIONS is handled; a CORS
// policy, where configured, runs as middleware before it and may add its headers or
// answer preflights itself.
func options(routes []Route) gin.HandlerFunc {
	return func(c *gin.Context) {
		var methods []string
		for _, rt := range routes {
			if rt.Offered != nil && !rt.Offered(c) {
				continue
			}
			methods = append(methods, rt.Method)
			if rt.Method == http.MethodGet {
				methods = append(methods, http.MethodHead)
			}
			if rt.Body != nil && (rt.Method == http.MethodPost || rt.Method == http.MethodPatch) {
				types := rt.Body.Types
				if len(types) == 0 {
					types = []string{JSONType}
				}
				c.Header("Accept-"+rt.Method[:1]+strings.ToLower(rt.Method[1:]), strings.Join(types, ", "))
			}
		}
		c.Header("Allow", Allow(methods))
		c.Status(http.StatusNoContent)
	}
}

// PolicyMarkdown renders routes as the Markdown table of docs/security.md: one row per
// route, sorted by path and method; HEAD is left out, since every GET answers it.
func PolicyMarkdown(routes []Route) string {
	rs := append([]Route(nil), routes...)
	order := map[string]int{http.MethodGet: 0, http.MethodPost: 1, http.MethodPut: 2, http.MethodPatch: 3, http.MethodDelete: 4}
	sort.SliceStable(rs, func(a, b int) bool {
		if rs[a].Path != rs[b].Path {
			return rs[a].Path < rs[b].Path
		}
		return order[rs[a].Method] < order[rs[b].Method]
	})
	var b strings.Builder
	b.WriteString("| Method | Path | Access | Owner | What |\n|---|---|---|---|---|\n")
	for _, rt := range rs {
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", rt.Method, rt.Path, rt.Access, rt.Owner, strings.ReplaceAll(rt.Summary, "|", `\|`))
	}
	return b.String()
}
