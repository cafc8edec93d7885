// Command testsummary reads `go test -json` on stdin, echoes failures and a compact
// per-package log, and closes with the counts: tests passed, failed and skipped, and how
// many passed against a real PostGIS (tests that logged the testdb marker). It exits
// non-zero when any test or package failed, or when CI=true and a test was skipped
// because PostGIS was missing.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	type key struct{ pkg, test string }
	output := map[key][]string{}
	integration := map[key]bool{}
	var passed, failed, skipped, pgPassed int
	var failedNames []string
	pkgFailed := map[string]bool{}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			fmt.Println(string(line)) // build errors arrive as plain text
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			if strings.Contains(e.Output, "postgis-integration:") {
				integration[k] = true
			}
			if e.Test == "" {
				if strings.HasPrefix(e.Output, "ok") || strings.HasPrefix(e.Output, "FAIL") || strings.HasPrefix(e.Output, "---") || strings.Contains(e.Output, "[build failed]") || strings.Contains(e.Output, "panic:") {
					fmt.Print(e.Output)
				}
				if strings.HasPrefix(e.Output, "FAIL") {
					pkgFailed[e.Package] = true
				}
				output[k] = append(output[k], e.Output)
				continue
			}
			output[k] = append(output[k], e.Output)
		case "pass":
			if e.Test == "" {
				continue
			}
			if strings.Contains(e.Test, "/") {
				continue // count top-level tests only
			}
			passed++
			if integration[k] {
				pgPassed++
			}
		case "fail":
			if e.Test == "" {
				pkgFailed[e.Package] = true
				fmt.Print(strings.Join(output[k], ""))
				continue
			}
			fmt.Print(strings.Join(output[k], ""))
			if !strings.Contains(e.Test, "/") {
				failed++
				failedNames = append(failedNames, e.Package+"."+e.Test)
			}
		case "skip":
			if e.Test != "" && !strings.Contains(e.Test, "/") {
				skipped++
				fmt.Print(strings.Join(output[k], ""))
			}
		}
		if e.Action == "pass" || e.Action == "fail" || e.Action == "skip" {
			delete(output, k)
		}
	}
	sort.Strings(failedNames)
	for _, n := range failedNames {
		fmt.Println("FAILED:", n)
	}
	fmt.Printf("Go tests against a real PostGIS: %d passed\n", pgPassed)
	fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || len(pkgFailed) > 0 {
		os.Exit(1)
	}
	if os.Getenv("CI") == "true" && skipped > 0 {
		fmt.Println("under CI=true no test may skip")
		os.Exit(1)
	}
}
