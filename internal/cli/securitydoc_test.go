package cli

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/cityreach/cityreach/internal/config"
	"github.com/cityreach/cityreach/internal/httpapi"
	"github.com/cityreach/cityreach/internal/testdb"
	"github.com/cityreach/cityreach/internal/webui"
)

const (
	securityDoc = "../../docs/security.md"
	routesBegin = "<!-- routes:begin (generated from the route table by TestSecurityDocListsEveryRoute; CITYREACH_UPDATE_DOCS=1 rewrites it) -->\n"
	routesEnd   = "<!-- routes:end -->"
)

// TestSecurityDocListsEveryRoute: the route table of docs/security.md is the server's, as
// `cityreach serve` builds it (the top-level files of the web map's build, which depend on
// the build, are one family described in the text). CITYREACH_UPDATE_DOCS=1 rewrites it.
func TestSecurityDocListsEveryRoute(t *testing.T) {
	db := testdb.New(t)
	t.Setenv("CITYREACH_JOBS_DIR", t.TempDir())
	cfg := config.Defaults()
	app, err := buildApp(context.Background(), &cfg, db.Pool, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	mounts, err := serverMounts(db.Pool, nil, app)
	if err != nil {
		t.Fatal(err)
	}
	table, err := httpapi.Table(mounts...)
	if err != nil {
		t.Fatal(err)
	}
	table = slices.DeleteFunc(table, func(rt httpapi.Route) bool { return rt.Summary == webui.BuildFileSummary })
	want := httpapi.PolicyMarkdown(table)
	b, err := os.ReadFile(securityDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, routesBegin), strings.Index(doc, routesEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q … %q", securityDoc, routesBegin, routesEnd)
	}
	got := doc[i+len(routesBegin) : j]
	if got == want {
		return
	}
	if os.Getenv("CITYREACH_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(securityDoc, []byte(doc[:i+len(routesBegin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's route table is not the server's; run CITYREACH_UPDATE_DOCS=1 go test -run TestSecurityDocListsEveryRoute ./internal/cli/\nwant:\n%s", securityDoc, want)
}
