package httpapi

import (
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/problem"
)

// MaxHeaderBytes is the most the request line and headers of a request may hold before the
// engine answers 431 as a problem document. The http.Server's own limit (ServerMaxHeaderBytes)
// is far larger because Go answers a request over it itself, in plain text, before any
// handler runs.
const MaxHeaderBytes = 64 << 10

// ServerMaxHeaderBytes is http.Server.MaxHeaderBytes for Serve: the hard limit.
const ServerMaxHeaderBytes = 1 << 20

// rejectSemicolons refuses a query string holding ';'. Go's url.ParseQuery drops such a
// pair without a word, so ?park_class=garden;x would list every park and ?dry_run=true;
// would import for real; refusing it here, before any handler, means nothing runs.
func rejectSemicolons() gin.HandlerFunc {
	return func(c *gin.Context) {
		raw := c.Request.URL.RawQuery
		if !strings.Contains(raw, ";") {
			c.Next()
			return
		}
		name := ""
		for _, pair := range strings.Split(raw, "&") {
			if strings.Contains(pair, ";") {
				name, _, _ = strings.Cut(pair, "=")
				name, _, _ = strings.Cut(name, ";")
				if u, err := url.QueryUnescape(name); err == nil {
					name = u
				}
				break
			}
		}
		problem.Write(c, http.StatusBadRequest, "the query string holds a ';' (in parameter "+strconv.Quote(problem.Clip(name))+
			"); separate parameters with '&' and write a literal semicolon as %3B", map[string]any{"parameter": problem.Clip(name)})
	}
}

// rejectBadQueryText refuses a query parameter whose name or value, once unescaped, is not
// valid UTF-8 or holds a NUL: no text column can store it, and PostgreSQL would refuse it
// only after a handler had started work (an error the server could not tell from its own).
func rejectBadQueryText() gin.HandlerFunc {
	return func(c *gin.Context) {
		for k, vs := range c.Request.URL.Query() {
			for _, v := range append([]string{k}, vs...) {
				if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
					name := strings.ToValidUTF8(strings.ReplaceAll(k, "\x00", ""), "\ufffd")
					problem.Write(c, http.StatusBadRequest, "parameter "+strconv.Quote(problem.Clip(name))+
						" is not valid UTF-8 text or holds a NUL byte", map[string]any{"parameter": problem.Clip(name)})
					return
				}
			}
		}
		c.Next()
	}
}

// limitHeaders answers 431 as a problem document when the request line and headers are
// larger than MaxHeaderBytes.
func limitHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		n := len(c.Request.RequestURI) + len(c.Request.Host)
		for k, vs := range c.Request.Header {
			for _, v := range vs {
				n += len(k) + len(v) + 4 // ": " and CRLF
			}
		}
		if n > MaxHeaderBytes {
			problem.Write(c, http.StatusRequestHeaderFieldsTooLarge,
				"the request line and headers hold "+strconv.Itoa(n)+" bytes; the limit is "+strconv.Itoa(MaxHeaderBytes),
				map[string]any{"limit": MaxHeaderBytes})
			return
		}
		c.Next()
	}
}

// requireContentType answers 415 to a POST, PUT or PATCH that carries a body but does not
// say what it is: the handlers decide by the media type (GeoJSON, a multipart file, JSON),
// and guessing from the bytes is how a body is read as what it is not.
func requireContentType() gin.HandlerFunc {
	return func(c *gin.Context) {
		switch c.Request.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			hasBody := c.Request.ContentLength > 0 || c.Request.ContentLength < 0
			ct := strings.TrimSpace(c.GetHeader("Content-Type"))
			if hasBody && ct == "" {
				problem.Write(c, http.StatusUnsupportedMediaType,
					"the request has a body but no Content-Type; send application/json, application/geo+json or multipart/form-data as the resource expects", nil)
				return
			}
			if mt, _, err := mime.ParseMediaType(ct); ct != "" && (err != nil || !bodyTypes[mt]) {
				problem.Write(c, http.StatusUnsupportedMediaType, "Content-Type "+strconv.Quote(problem.Clip(ct))+
					" is not one this server reads; send JSON (application/json, application/geo+json, application/merge-patch+json) or a file (application/zip, application/geopackage+sqlite3, text/csv, XLSX)", nil)
				return
			}
		}
		c.Next()
	}
}

// bodyTypes are the media types of every request body some route reads; any other is 415
// at once, before a handler parses it as something it is not. A route that reads one of
// them but not another answers the mismatch itself.
var bodyTypes = map[string]bool{
	"application/json": true, "application/geo+json": true, "application/merge-patch+json": true,
	"application/zip": true, "application/x-zip-compressed": true, "application/geopackage+sqlite3": true,
	"multipart/form-data": true,
	// Tables of residents by age band (internal/capacity/capacityhttp).
	"text/csv": true, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": true,
}

// statementTimeout lets a 504 name the configured statement timeout (problem.Respond).
func statementTimeout(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d > 0 {
			c.Set(problem.StatementTimeoutKey, d)
		}
		c.Next()
	}
}
