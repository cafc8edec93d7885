package cli

import (
	"strings"
	"testing"
	"unicode"
)

// TestCapacityNormSourceEnglish: under --lang en the norm line of `cityreach indicator
// capacity` gives the English text of the seeded source (migration 0027's assumption for
// primary schools), never its Chinese text; a source edited to another Chinese text has no
// English one, and the line says it is in Chinese. Under zh the Chinese text is printed.
func TestCapacityNormSourceEnglish(t *testing.T) {
	db, ctx := demoCity(t)
	norm := func(lang string) string {
		t.Helper()
		args := []string{"indicator", "capacity", "--city", "baotou", "--category", "primary_school", "--band", "all", "--level", "district", "--format", "table", "--lang", lang}
		out := string(runCLI(t, ctx, db, args))
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "norm:") || strings.HasPrefix(l, "标准：") {
				return l
			}
		}
		t.Fatalf("no norm line in %s", out)
		return ""
	}
	han := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
	}
	if l := norm("en"); !strings.Contains(l, "(Assumption (no national per-1,000 norm): one place per child") || han(l) {
		t.Errorf("en: %q", l)
	}
	if l := norm("zh"); !strings.Contains(l, "假设（无全国千人指标）") {
		t.Errorf("zh: %q", l)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE facility_categories SET capacity_norm_source = '本市规划：每千人 100 个学位' WHERE code = 'primary_school'`); err != nil {
		t.Fatal(err)
	}
	if l := norm("en"); !strings.HasSuffix(l, "(source in Chinese)") || han(l) {
		t.Errorf("en, an edited source: %q", l)
	}
}
