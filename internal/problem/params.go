package problem

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/fault"
)

// CheckParams refuses a query that names a parameter outside allowed, or names one more
// than once, with a 400 whose "parameter" member names it: a typo such as ?levle=district
// is reported instead of silently computing the default. Names are compared exactly
// (parameters are case-sensitive) and checked in sorted order, so the answer does not
// depend on map order.
func CheckParams(q url.Values, allowed ...string) *Error {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		name := Clip(k)
		if !known {
			detail := "unknown parameter " + strconv.Quote(name)
			if len(allowed) == 0 {
				detail += "; this resource takes no parameters"
			} else {
				detail += "; this resource takes " + strings.Join(allowed, ", ")
			}
			return BadRequest(detail).With("parameter", name)
		}
		if len(q[k]) > 1 {
			return BadRequest("parameter "+strconv.Quote(name)+" is given more than once").With("parameter", name)
		}
	}
	return nil
}

// Params is CheckParams as gin middleware, for the route registration to declare what a
// GET endpoint accepts: r.GET(path, problem.Params("city", "level"), handler).
func Params(allowed ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := CheckParams(c.Request.URL.Query(), allowed...); err != nil {
			Write(c, err.Status, err.Detail, err.Extra)
			return
		}
		c.Next()
	}
}

// Clip bounds a client-supplied name echoed in a problem (fault.Clip: at most 64 bytes,
// cut at a UTF-8 boundary, with "…" where it was cut).
func Clip(s string) string { return fault.Clip(s) }
