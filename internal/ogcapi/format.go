package ogcapi

import (
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// Media types the service sends; clients key on them.
const (
	JSONType    = "application/json"
	GeoJSONType = "application/geo+json"
	HTMLType    = "text/html"
	OpenAPIType = "application/vnd.oai.openapi+json;version=3.0"
	SchemaType  = "application/schema+json"
)

// Link is a web link of an OGC API document.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// wantHTML decides the representation: f=html or f=json wins; without f, a client whose
// Accept names text/html and no JSON type (a browser) gets HTML.
func wantHTML(c *gin.Context) (bool, error) {
	q := c.Request.URL.Query()
	if s, ok, err := single(q, "f"); err != nil {
		return false, err
	} else if ok {
		switch s {
		case "json":
			return false, nil
		case "html":
			return true, nil
		}
		return false, invalid("f", "f must be json or html")
	}
	acc := c.GetHeader("Accept")
	return strings.Contains(acc, "text/html") && !strings.Contains(acc, "json"), nil
}

// onlyParams refuses every query parameter but the given ones and f. The parameters of
// /items are tolerated (and ignored) everywhere: GDAL's OAPIF driver sends the query of
// its connection string ("OAPIF:…/collections/x?filter=…") with every request, the
// landing page and collection documents included.
func onlyParams(c *gin.Context, allowed ...string) error {
	for name := range c.Request.URL.Query() {
		if itemsParams[name] {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == name
		}
		if !ok {
			return invalid(clip(name), "unknown parameter %q", clip(name))
		}
	}
	return nil
}

// baseURL is the absolute URL of the landing page as the client reached it. Links are
// absolute so that clients that do not resolve relative links (older GDAL, QGIS) follow
// them; behind a proxy, X-Forwarded-Proto and X-Forwarded-Host name the outside address.
func baseURL(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	host := c.Request.Host
	if h := c.GetHeader("X-Forwarded-Host"); h != "" && !strings.ContainsAny(h, "/\\@ ") {
		host = h
	}
	return scheme + "://" + host + Prefix
}

// withQuery returns u with the query q (which may be empty).
func withQuery(u string, q url.Values) string {
	if len(q) == 0 {
		return u
	}
	return u + "?" + q.Encode()
}

// selfAndAlternate are the self link in the chosen representation and the alternate in
// the other, both keeping the request's other parameters.
func selfAndAlternate(u string, q url.Values, html bool, jsonType, title string) []Link {
	jq, hq := cloneQuery(q), cloneQuery(q)
	jq.Set("f", "json")
	hq.Set("f", "html")
	j := Link{Href: withQuery(u, jq), Type: jsonType, Title: title + " as JSON"}
	h := Link{Href: withQuery(u, hq), Type: HTMLType, Title: title + " as HTML"}
	if html {
		h.Rel, j.Rel = "self", "alternate"
		return []Link{h, j}
	}
	j.Rel, h.Rel = "self", "alternate"
	return []Link{j, h}
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
