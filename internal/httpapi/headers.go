package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/problem"
)

// frameAncestors keeps every answer out of other sites' frames (clickjacking). A page
// that sets its own Content-Security-Policy keeps it; the directive is added when missing.
const frameAncestors = "frame-ancestors 'none'"

// htmlPolicy is the Content-Security-Policy of an HTML answer whose handler sets none:
// the server's HTML pages (OGC API landing pages and collections) are self-contained, with
// an inline style sheet and no script.
const htmlPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'self'; " + frameAncestors

// headerHook runs fix on the response headers once, just before they are sent, whoever
// sends them: the handler's first write, a bodiless status, or the engine at the end.
type headerHook struct {
	gin.ResponseWriter
	fix  func(http.Header)
	done bool
}

func (w *headerHook) run() {
	if !w.done {
		w.done = true
		w.fix(w.Header())
	}
}

func (w *headerHook) WriteHeaderNow()             { w.run(); w.ResponseWriter.WriteHeaderNow() }
func (w *headerHook) Write(b []byte) (int, error) { w.run(); return w.ResponseWriter.Write(b) }
func (w *headerHook) WriteString(s string) (int, error) {
	w.run()
	return w.ResponseWriter.WriteString(s)
}
func (w *headerHook) Flush() { w.run(); w.ResponseWriter.Flush() }

// securityHeaders gives every answer X-Content-Type-Options: nosniff and a
// Content-Security-Policy with frame-ancestors (htmlPolicy for HTML without a policy of its
// own), and adds Vary: Origin where CORS answers depend on the Origin header.
func securityHeaders(varyOrigin bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		w := &headerHook{ResponseWriter: c.Writer, fix: func(h http.Header) {
			h.Set("X-Content-Type-Options", "nosniff")
			csp := h.Get("Content-Security-Policy")
			switch {
			case csp == "" && strings.HasPrefix(h.Get("Content-Type"), "text/html"):
				h.Set("Content-Security-Policy", htmlPolicy)
			case csp == "":
				h.Set("Content-Security-Policy", frameAncestors)
			case !strings.Contains(csp, "frame-ancestors"):
				h.Set("Content-Security-Policy", csp+"; "+frameAncestors)
			}
			if varyOrigin && !varies(h, "Origin") {
				h.Add("Vary", "Origin")
			}
		}}
		c.Writer = w
		c.Next()
		if !w.Written() {
			w.run() // a bodiless answer: gin writes the status after the chain
		}
	}
}

// varies reports whether the Vary header already lists name.
func varies(h http.Header, name string) bool {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, name) {
				return true
			}
		}
	}
	return false
}

// corsMethods and corsHeaders are what a cross-origin client may use: every method of the
// API and the request headers it reads. corsExpose are the response headers a script may
// read besides the CORS-safelisted ones.
const (
	corsMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
	corsHeaders = "Authorization, Content-Type, If-Match, If-None-Match, X-Request-Id"
	corsExpose  = "ETag, Location, Content-Crs, X-Request-Id, X-Geometry-Repaired, X-Coverage-Run, X-Cache, Retry-After"
	corsMaxAge  = 600
)

// CORSPolicy is the allow-list of origins that browsers may let call the API from another
// site. The zero value allows none: no CORS header is ever sent and a preflight is refused.
type CORSPolicy struct {
	any     bool
	origins map[string]bool
}

// ParseCORSOrigins builds the policy from origins as config.Origin accepts them
// (scheme://host[:port], or "*" for any origin). Credentials are never allowed: the API
// authenticates with bearer tokens in the Authorization header, which a page sets itself.
func ParseCORSOrigins(list []string) (CORSPolicy, error) {
	p := CORSPolicy{origins: map[string]bool{}}
	for _, o := range list {
		n, err := config.Origin(o)
		if err != nil {
			return CORSPolicy{}, err
		}
		if n == "*" {
			p.any = true
		} else {
			p.origins[n] = true
		}
	}
	return p, nil
}

// Enabled reports whether any origin is allowed.
func (p CORSPolicy) Enabled() bool { return p.any || len(p.origins) > 0 }

func (p CORSPolicy) allows(origin string) bool {
	return origin != "" && (p.any || p.origins[strings.ToLower(origin)])
}

// cors answers preflights (OPTIONS with Access-Control-Request-Method) for allowed origins
// with 204 and the methods, headers and max age; a preflight from any other origin gets a
// 403 problem without CORS headers. An actual request from an allowed origin gets
// Access-Control-Allow-Origin; one from another origin gets no CORS header at all, so the
// browser withholds the answer from the page.
func cors(p CORSPolicy) gin.HandlerFunc {
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		preflight := c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != ""
		if !p.allows(origin) {
			if preflight {
				problem.Write(c, http.StatusForbidden, "cross-origin requests from "+strconv.Quote(problem.Clip(origin))+
					" are not allowed; the operator lists allowed origins with --cors-origins", nil)
				return
			}
			c.Next()
			return
		}
		h := c.Writer.Header()
		if p.any {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		if preflight {
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExpose)
		c.Next()
	}
}
