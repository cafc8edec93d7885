package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cityreach/cityreach/internal/httpapi"
)

// docURL names the OpenAPI document as a JSON Schema resource, so that a response schema
// is compiled by its JSON pointer inside it and its $refs resolve within it.
const docURL = "https://cityreach.invalid/api/openapi.json"

// pointer is the URI fragment of a JSON pointer to the given members.
func pointer(members ...string) string {
	var b strings.Builder
	for _, m := range members {
		m = strings.NewReplacer("~", "~0", "/", "~1").Replace(m)
		b.WriteString("/" + url.PathEscape(m))
	}
	return b.String()
}

// TestOpenAPIContract serves /api/openapi.json from the real server of `cityreach serve`
// (the access matrix's fixture: a seeded city, tokens, alice's job, import and scenario)
// and checks that every route the engine mounts is in it with an operationId and a
// summary; then it calls every GET route as an admin, filling the parameters the document
// gives an example, and validates each JSON answer against the document's schema for its
// status and media type (github.com/santhosh-tekuri/jsonschema/v6, JSON Schema 2020-12
// as OpenAPI 3.1 uses it). A status or media type the document does not list fails.
func TestOpenAPIContract(t *testing.T) {
	f := newAccessFixture(t)
	f.ownResources()
	w := f.request(f.on, "", http.MethodGet, "/api/openapi.json", "")
	if w.Code != http.StatusOK {
		t.Fatalf("/api/openapi.json: %d %s", w.Code, w.Body)
	}
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	op := func(method, ginPath string) map[string]any {
		item, _ := paths[httpapi.OpenAPIPath(ginPath)].(map[string]any)
		o, _ := item[strings.ToLower(method)].(map[string]any)
		return o
	}

	// Every mounted route is described, with an operationId and a summary.
	described := 0
	for _, ri := range f.on.Routes() {
		if ri.Method == http.MethodHead || ri.Method == http.MethodOptions {
			continue
		}
		o := op(ri.Method, ri.Path)
		switch {
		case o == nil:
			t.Errorf("%s %s is mounted but not in /api/openapi.json", ri.Method, ri.Path)
		case o["operationId"] == nil || o["operationId"] == "":
			t.Errorf("%s %s has no operationId", ri.Method, ri.Path)
		case o["summary"] == nil || o["summary"] == "":
			t.Errorf("%s %s has no summary", ri.Method, ri.Path)
		default:
			described++
		}
	}
	ops := 0
	for _, item := range paths {
		ops += len(item.(map[string]any))
	}
	if ops != described {
		t.Errorf("the document has %d operations, the engine mounts %d (HEAD and OPTIONS aside)", ops, described)
	}

	res, err := jsonschema.UnmarshalJSON(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(docURL, res); err != nil {
		t.Fatal(err)
	}

	tbl, err := appTable(f.app)
	if err != nil {
		t.Fatal(err)
	}
	extra := map[string][]string{"/tiles/:layers": {"/tiles/parks.json?city=baotou", "/tiles/park_coverage_gaps.json"}}
	validated := map[string]int{}
	var gets []httpapi.Route
	for _, rt := range tbl {
		if rt.Method == http.MethodGet {
			gets = append(gets, rt)
		}
	}
	gets = append(gets, httpapi.Route{Method: http.MethodGet, Path: "/api/openapi.json"}, httpapi.Route{Method: http.MethodGet, Path: "/healthz"}, httpapi.Route{Method: http.MethodGet, Path: "/readyz"}, httpapi.Route{Method: http.MethodGet, Path: "/metrics"})
	sort.Slice(gets, func(a, b int) bool { return gets[a].Path < gets[b].Path })
	for _, rt := range gets {
		q := url.Values{}
		for _, p := range rt.Params {
			if p.Example != nil && (p.In == "" || p.In == "query") {
				q.Set(p.Name, fmt.Sprint(p.Example))
			}
		}
		path := f.concrete(rt.Path)
		if rt.Path == "/api/v1/scenarios/:id" {
			path = "/api/v1/scenarios/" + strconv.FormatInt(f.scenario, 10)
		}
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		for _, u := range append([]string{path}, extra[rt.Path]...) {
			o := op(http.MethodGet, rt.Path)
			if o == nil {
				continue // reported above
			}
			w := f.request(f.on, "root", http.MethodGet, u, "")
			status := strconv.Itoa(w.Code)
			r, ok := o["responses"].(map[string]any)[status].(map[string]any)
			if !ok {
				t.Errorf("GET %s: status %d is not among the responses the document gives %s (%.300s)", u, w.Code, rt.Path, w.Body)
				continue
			}
			if w.Code == http.StatusNoContent || w.Code == http.StatusNotModified {
				continue
			}
			mt, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type"))
			content, _ := r["content"].(map[string]any)
			if _, declared := content[mt]; !declared {
				t.Errorf("GET %s: %d answers %s, which the document does not list for %s %s", u, w.Code, mt, rt.Path, status)
				continue
			}
			if !strings.HasSuffix(mt, "json") {
				continue
			}
			if _, hasSchema := content[mt].(map[string]any)["schema"]; !hasSchema {
				t.Errorf("GET %s: %s %s %s has no schema", u, rt.Path, status, mt)
				continue
			}
			sch, err := c.Compile(docURL + "#" + pointer("paths", httpapi.OpenAPIPath(rt.Path), "get", "responses", status, "content", mt, "schema"))
			if err != nil {
				t.Errorf("%s %s %s: schema does not compile: %v", rt.Path, status, mt, err)
				continue
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(w.Body.Bytes()))
			if err != nil {
				t.Errorf("GET %s: %s body is not JSON: %v", u, mt, err)
				continue
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("GET %s (%d %s) does not match the document's schema: %v", u, w.Code, mt, err)
				continue
			}
			validated[status]++
		}
	}
	t.Logf("validated answers by status: %v", validated)
	if validated["200"] < 30 {
		t.Errorf("only %d answers with 200 were validated", validated["200"])
	}
}
