package migrations_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// sqlSite is one statement the service hands to pgx: the text as far as it is known at
// compile time, and where it is.
type sqlSite struct {
	Pos string // file:line, relative to the repository root
	SQL string // "" when the text is built at run time (not a constant expression)
	// Templated says that the text came from fmt.Sprintf with a constant format and some
	// argument that is not constant text: its verb was replaced by the identifier
	// cityreach_dyn. (Verbs with constant arguments take their text.)
	Templated bool
}

// sqlMethods are the pgx methods whose SQL argument the check reads: Query, QueryRow and
// Exec take (ctx, sql, args...); Batch.Queue takes (sql, args...).
var sqlMethods = map[string]int{"Query": 1, "QueryRow": 1, "Exec": 1, "Queue": 0}

// collectSQL parses every non-test Go file under the repository's cmd and internal folders
// and returns each call of a pgx SQL method with the statement text folded from string
// literals, + concatenation, constants (of the same package, or pkg.Name of another
// package of the module), variables assigned once in the same function, and fmt.Sprintf
// with a constant format.
func collectSQL(t *testing.T, root string) []sqlSite {
	t.Helper()
	fset := token.NewFileSet()
	type pkgFiles struct {
		name  string
		files []*ast.File
	}
	pkgs := map[string]*pkgFiles{} // by directory relative to root
	for _, top := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			p := pkgs[rel]
			if p == nil {
				p = &pkgFiles{name: f.Name.Name}
				pkgs[rel] = p
			}
			p.files = append(p.files, f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Package-level constants and string variables, and function-level constants, by
	// package directory and name.
	consts := map[string]map[string]ast.Expr{}
	for dir, p := range pkgs {
		m := map[string]ast.Expr{}
		for _, f := range p.files {
			ast.Inspect(f, func(n ast.Node) bool {
				gd, ok := n.(*ast.GenDecl)
				if !ok || (gd.Tok != token.CONST && gd.Tok != token.VAR) {
					return true
				}
				for _, s := range gd.Specs {
					vs := s.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i < len(vs.Values) {
							m[name.Name] = vs.Values[i]
						}
					}
				}
				return true
			})
		}
		consts[dir] = m
	}
	const module = "github.com/cityreach/cityreach/"
	var sites []sqlSite
	for dir, p := range pkgs {
		for _, f := range p.files {
			imports := map[string]string{} // local name → directory
			for _, im := range f.Imports {
				path, _ := strconv.Unquote(im.Path.Value)
				if !strings.HasPrefix(path, module) {
					continue
				}
				d := strings.TrimPrefix(path, module)
				name := filepath.Base(d)
				if im.Name != nil {
					name = im.Name.Name
				}
				imports[name] = d
			}
			for _, decl := range f.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				// Parameters: a method that hands its caller's SQL on (a wrapper such as
				// db.Reader) is not a statement site of its own.
				params := map[string]bool{}
				for _, f := range fn.Type.Params.List {
					for _, n := range f.Names {
						params[n.Name] = true
					}
				}
				// Local variables assigned exactly once (name → value); more than once → nil.
				locals := map[string]ast.Expr{}
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
						for i, l := range as.Lhs {
							if id, ok := l.(*ast.Ident); ok {
								if _, seen := locals[id.Name]; seen || as.Tok != token.DEFINE {
									locals[id.Name] = nil
								} else {
									locals[id.Name] = as.Rhs[i]
								}
							}
						}
					}
					return true
				})
				var fold func(e ast.Expr, depth int) (string, bool, bool)
				fold = func(e ast.Expr, depth int) (s string, templated, ok bool) {
					if depth > 20 {
						return "", false, false
					}
					switch e := e.(type) {
					case *ast.BasicLit:
						if e.Kind == token.STRING {
							v, err := strconv.Unquote(e.Value)
							return v, false, err == nil
						}
					case *ast.ParenExpr:
						return fold(e.X, depth+1)
					case *ast.BinaryExpr:
						if e.Op == token.ADD {
							a, ta, oka := fold(e.X, depth+1)
							b, tb, okb := fold(e.Y, depth+1)
							return a + b, ta || tb, oka && okb
						}
					case *ast.Ident:
						if v, ok := locals[e.Name]; ok {
							if v == nil {
								return "", false, false
							}
							return fold(v, depth+1)
						}
						if v, ok := consts[dir][e.Name]; ok {
							return fold(v, depth+1)
						}
					case *ast.SelectorExpr:
						if x, ok := e.X.(*ast.Ident); ok {
							if d, ok := imports[x.Name]; ok {
								if v, ok := consts[d][e.Sel.Name]; ok {
									return fold(v, depth+1)
								}
							}
						}
					case *ast.CallExpr:
						if sel, ok := e.Fun.(*ast.SelectorExpr); ok && len(e.Args) > 0 {
							if x, ok := sel.X.(*ast.Ident); ok && x.Name == "fmt" && sel.Sel.Name == "Sprintf" {
								format, _, ok := fold(e.Args[0], depth+1)
								if ok {
									// A verb whose argument is constant text takes it; any
									// other verb becomes an identifier.
									i, all := 0, true
									out := sprintfVerb.ReplaceAllStringFunc(format, func(verb string) string {
										i++
										if m := sprintfVerb.FindStringSubmatch(verb); m[1] != "" {
											i, _ = strconv.Atoi(m[1])
										}
										if i < len(e.Args) {
											if v, _, ok := fold(e.Args[i], depth+1); ok {
												return v
											}
										}
										all = false
										return "cityreach_dyn"
									})
									return out, !all, true
								}
							}
						}
					}
					return "", false, false
				}
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					sel, ok := call.Fun.(*ast.SelectorExpr)
					if !ok {
						return true
					}
					arg, ok := sqlMethods[sel.Sel.Name]
					if !ok || len(call.Args) <= arg {
						return true
					}
					if arg == 1 && !isCtx(call.Args[0]) {
						return true
					}
					if id, ok := call.Args[arg].(*ast.Ident); ok && params[id.Name] {
						return true
					}
					pos := fset.Position(call.Pos())
					rel, _ := filepath.Rel(root, pos.Filename)
					s, templated, ok := fold(call.Args[arg], 0)
					if !ok {
						s = ""
					}
					sites = append(sites, sqlSite{Pos: rel + ":" + strconv.Itoa(pos.Line), SQL: s, Templated: templated})
					return true
				})
			}
		}
	}
	sort.Slice(sites, func(i, j int) bool { return sites[i].Pos < sites[j].Pos })
	return sites
}

// sprintfVerb matches a fmt verb with its flags and an explicit argument index (%[2]s,
// submatch 1); a %% is left alone since it is not SQL.
var sprintfVerb = regexp.MustCompile(`%(?:\[([0-9]+)\])?[-+# 0]*[0-9]*(?:\.[0-9]+)?[sdvq]`)

// isCtx says whether e looks like a context argument (ctx, c.Request.Context(),
// context.Background(), …), which tells pgx's Query/QueryRow/Exec from other methods of
// those names.
func isCtx(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return strings.Contains(strings.ToLower(e.Name), "ctx")
	case *ast.CallExpr:
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok {
			return sel.Sel.Name == "Context" || sel.Sel.Name == "Background" || sel.Sel.Name == "TODO"
		}
	case *ast.SelectorExpr:
		return strings.Contains(strings.ToLower(e.Sel.Name), "ctx")
	}
	return false
}
