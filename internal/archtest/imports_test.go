package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/cityreach/cityreach"

// domain are the packages that compute, store and import: they answer with fault errors and
// know nothing of HTTP. Their adapters (caliber/caliberhttp, coverage/coveragehttp, …),
// internal/httpapi, internal/ogcapi, internal/featureapi and internal/tiles speak the
// protocols.
var domain = []string{"caliber", "checks", "citydata", "coverage", "jobs", "network", "report", "scenario",
	"search", "walk", "walkgraph", "importer", "layers", "featurewrite", "seed", "synth", "crs", "geojson", "cql2", "fault",
	"edition", "series", "capacity", "jobs/queue", "national", "problems", "tijian", "openness", "maxcover", "quiet"}

// protocol are the imports a domain package may not have, directly or through another
// package of this module. net/http counts too: a third-party library may use it (excelize
// does), but no package of ours that a domain package reaches.
var protocol = []string{"github.com/gin-gonic/gin", module + "/internal/problem", module + "/internal/httpapi", "net/http"}

// imports returns the imports of the non-test Go files of the package in dir.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// TestDomainImportsNoProtocol follows every domain package's imports through the packages
// of this module and fails on the first protocol import it meets, naming the chain.
func TestDomainImportsNoProtocol(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, pkg := range domain {
		start := module + "/internal/" + pkg
		// Breadth-first over the module's packages, remembering how each was reached.
		via := map[string]string{start: ""}
		queue := []string{start}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			for _, im := range imports(t, filepath.Join(root, strings.TrimPrefix(p, module+"/"))) {
				if slices.Contains(protocol, im) {
					chain := []string{im}
					for q := p; q != ""; q = via[q] {
						chain = append([]string{strings.TrimPrefix(q, module+"/")}, chain...)
					}
					t.Errorf("domain package %s imports protocol code: %s", pkg, strings.Join(chain, " → "))
					continue
				}
				if _, seen := via[im]; !seen && strings.HasPrefix(im, module+"/") {
					via[im] = p
					queue = append(queue, im)
				}
			}
		}
	}
}

// TestProtocolListIsLive guards the test above against passing vacuously: the adapters the
// domain packages were split from do import the protocol packages, and the parser sees it.
func TestProtocolListIsLive(t *testing.T) {
	for _, dir := range []string{"coverage/coveragehttp", "walk/walkhttp", "scenario/scenariohttp", "edition/editionhttp", "series/serieshttp", "capacity/capacityhttp", "problems/problemshttp", "tijian/tijianhttp"} {
		ims := imports(t, filepath.Join("..", dir))
		if !slices.Contains(ims, "github.com/gin-gonic/gin") || !slices.Contains(ims, module+"/internal/problem") {
			t.Errorf("%s: imports %v, want gin and internal/problem among them", dir, ims)
		}
	}
}
