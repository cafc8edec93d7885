package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/cityreach/cityreach/internal/auth"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/problem"
)

func ok(c *gin.Context) { c.String(http.StatusOK, "body of "+c.Request.URL.Path) }

// TestTableFailsClosed: a route that leaves out its access, lets a write through below
// editor, has an owner rule without OwnerOf or Missing, no summary, no handler, a HEAD of
// its own or a duplicate cannot be mounted, and the error names each.
func TestTableFailsClosed(t *testing.T) {
	of := func(*gin.Context) (string, bool, error) { return "", false, nil }
	bad := httpapi.Routes{
		{Method: http.MethodGet, Path: "/no-access", Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodPost, Path: "/anon-write", Access: httpapi.AnonymousRead, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodDelete, Path: "/viewer-write", Access: httpapi.Viewer, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/owner", Access: httpapi.Viewer, Owner: httpapi.OwnerOrAdmin, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/hidden", Access: httpapi.Viewer, Owner: httpapi.OwnerOrAdminHidden, OwnerOf: of, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/quiet", Access: httpapi.Viewer, Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/empty", Access: httpapi.Viewer, Summary: "s"},
		{Method: http.MethodHead, Path: "/head", Access: httpapi.Viewer, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/twice", Access: httpapi.Viewer, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/twice", Access: httpapi.Admin, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/public-owner", Access: httpapi.Public, Owner: httpapi.OwnList, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
	}
	_, err := httpapi.NewEngine(httpapi.Options{}, bad)
	if err == nil {
		t.Fatal("mounted")
	}
	for _, want := range []string{"/no-access declares no access", "/anon-write writes", "/viewer-write writes", "/owner has an owner rule but no OwnerOf",
		"/hidden hides others' resources but has no Missing", "/quiet has no summary", "/empty has no handler", "HEAD /head: method", "GET /twice is declared twice", "/public-owner is public"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

// TestAccessAndHead runs one route of each level and owner rule through the engine.
func TestAccessAndHead(t *testing.T) {
	tokens := auth.Static{"crk_v": {Name: "vera", Role: auth.Viewer}, "crk_a": {Name: "alice", Role: auth.Editor},
		"crk_b": {Name: "bob", Role: auth.Editor}, "crk_r": {Name: "root", Role: auth.Admin}}
	owners := map[string]string{"1": "alice"}
	of := func(c *gin.Context) (string, bool, error) {
		o, found := owners[c.Param("id")]
		return o, found, nil
	}
	missing := func(c *gin.Context) error { return problem.NotFound("no thing " + c.Param("id")) }
	table := httpapi.Routes{
		{Method: http.MethodGet, Path: "/pub", Access: httpapi.Public, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/read", Access: httpapi.AnonymousRead, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodPost, Path: "/admin", Access: httpapi.Admin, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/hidden/:id", Access: httpapi.Viewer, Owner: httpapi.OwnerOrAdminHidden, OwnerOf: of, Missing: missing, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodDelete, Path: "/owned/:id", Access: httpapi.Editor, Owner: httpapi.OwnerOrAdmin, OwnerOf: of, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
	}
	for _, anon := range []bool{true, false} {
		h := httpapi.Must(httpapi.NewEngine(httpapi.Options{MaxBody: 1 << 20, Policy: httpapi.Policy{Tokens: tokens, AnonymousRead: anon}}, table))
		for _, c := range []struct {
			method, path, secret string
			want                 int
		}{
			{"GET", "/pub", "", 200},
			{"GET", "/pub", "crk_gone", 401},
			{"GET", "/read", "", map[bool]int{true: 200, false: 401}[anon]},
			{"GET", "/read", "crk_v", 200},
			{"POST", "/admin", "crk_a", 403},
			{"POST", "/admin", "crk_r", 200},
			{"GET", "/hidden/1", "crk_a", 200},
			{"GET", "/hidden/1", "crk_b", 404},
			{"GET", "/hidden/2", "crk_a", 404},
			{"GET", "/hidden/1", "crk_r", 200},
			{"GET", "/hidden/1", "", 401},
			{"DELETE", "/owned/1", "crk_b", 403},
			{"DELETE", "/owned/1", "crk_v", 403},
			{"DELETE", "/owned/1", "crk_r", 200},
			{"DELETE", "/owned/2", "crk_b", 200}, // not found: the handler answers
			{"HEAD", "/pub", "", 200},
			{"HEAD", "/hidden/1", "crk_b", 404},
		} {
			req := httptest.NewRequest(c.method, c.path, nil)
			if c.secret != "" {
				req.Header.Set("Authorization", "Bearer "+c.secret)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != c.want {
				t.Errorf("anon=%v %s %s %s: %d %s, want %d", anon, c.method, c.path, c.secret, w.Code, w.Body.String(), c.want)
			}
			if c.want >= 400 && w.Header().Get("Content-Type") != problem.ContentType {
				t.Errorf("%s %s: %d without problem+json", c.method, c.path, w.Code)
			}
			if c.method == http.MethodHead && w.Body.Len() != 0 {
				t.Errorf("HEAD %s sent %q", c.path, w.Body.String())
			}
		}
		// A hidden resource of another and a missing one get the same answer.
		get := func(path string) string {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer crk_b")
			req.Header.Set("X-Request-Id", "same")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			return strings.ReplaceAll(w.Body.String(), path, "PATH")
		}
		if a, b := get("/hidden/1"), get("/hidden/2"); strings.ReplaceAll(a, "no thing 1", "no thing N") != strings.ReplaceAll(b, "no thing 2", "no thing N") {
			t.Errorf("another's resource %s differs from a missing one %s", a, b)
		}
	}
}

// TestOptions: OPTIONS on any mounted path answers 204 with the methods mounted there,
// HEAD with GET and OPTIONS itself, without a token even where the methods need one; an
// unknown path is still a 404.
func TestOptions(t *testing.T) {
	table := httpapi.Routes{
		{Method: http.MethodGet, Path: "/things/:id", Access: httpapi.AnonymousRead, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodDelete, Path: "/things/:id", Access: httpapi.Admin, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodPost, Path: "/things", Access: httpapi.Editor, Summary: "s", Handlers: []gin.HandlerFunc{ok}},
	}
	e := httpapi.Must(httpapi.NewEngine(httpapi.Options{MaxBody: 1 << 10}, table))
	for path, want := range map[string]string{"/things/7": "GET, HEAD, DELETE, OPTIONS", "/things": "POST, OPTIONS"} {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodOptions, path, nil))
		if w.Code != http.StatusNoContent || w.Header().Get("Allow") != want || w.Body.Len() != 0 {
			t.Errorf("OPTIONS %s: %d Allow %q body %q, want 204 Allow %q", path, w.Code, w.Header().Get("Allow"), w.Body.String(), want)
		}
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodOptions, "/nothing", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("OPTIONS /nothing: %d, want 404", w.Code)
	}
}

// TestDocumentRefusesUndescribedRoutes: a route without an operationId, two routes with
// the same one, or a GET without a response cannot be put in the document; a described
// table gives one operation per route, with path parameters, the problems its access
// implies and the security of its level.
func TestDocumentRefusesUndescribedRoutes(t *testing.T) {
	resp := httpapi.JSON("x", httpapi.Obj(nil))
	bad := httpapi.Routes{
		{Method: http.MethodGet, Path: "/a", Access: httpapi.Viewer, Summary: "s", Responses: resp, Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/b", Access: httpapi.Viewer, Summary: "s", OperationID: "same", Responses: resp, Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/c", Access: httpapi.Viewer, Summary: "s", OperationID: "same", Responses: resp, Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodGet, Path: "/d", Access: httpapi.Viewer, Summary: "s", OperationID: "d", Handlers: []gin.HandlerFunc{ok}},
	}
	_, err := httpapi.Document(httpapi.Info{}, bad)
	for _, want := range []string{"GET /a has no OperationID", "share the operationId same", "GET /d declares no response"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
	good := httpapi.Routes{
		{Method: http.MethodGet, Path: "/things/:id", Access: httpapi.AnonymousRead, Summary: "s", OperationID: "getThing", Responses: resp, Handlers: []gin.HandlerFunc{ok}},
		{Method: http.MethodDelete, Path: "/things/:id", Access: httpapi.Admin, Summary: "s", OperationID: "deleteThing",
			Responses: []httpapi.Response{{Status: http.StatusNoContent, Description: "gone"}}, Handlers: []gin.HandlerFunc{ok}},
	}
	doc, err := httpapi.Document(httpapi.Info{Title: "t"}, good)
	if err != nil {
		t.Fatal(err)
	}
	item := doc["paths"].(map[string]any)["/things/{id}"].(map[string]any)
	get, del := item["get"].(map[string]any), item["delete"].(map[string]any)
	if p := get["parameters"].([]any)[0].(map[string]any); p["name"] != "id" || p["in"] != "path" || p["required"] != true {
		t.Errorf("path parameter %v", p)
	}
	gr, dr := get["responses"].(map[string]any), del["responses"].(map[string]any)
	for code, want := range map[string]bool{"200": true, "401": true, "403": false, "404": true, "500": true} {
		if _, has := gr[code]; has != want {
			t.Errorf("GET responses %v: has %s %v, want %v", keys(gr), code, has, want)
		}
	}
	for _, code := range []string{"204", "401", "403", "404"} {
		if dr[code] == nil {
			t.Errorf("DELETE responses %v lack %s", keys(dr), code)
		}
	}
	if len(get["security"].([]any)) != 2 || len(del["security"].([]any)) != 1 {
		t.Errorf("security: anonymous-read %v, admin %v", get["security"], del["security"])
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
