package cli

import (
	"bytes"
	"context"
)

// runner runs commands against the database at url and returns the exit code, stdout and
// stderr.
func runner(url string) func(args ...string) (int, string, string) {
	return func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		env := Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
			if k == "DATABASE_URL" {
				return url
			}
			return ""
		}}
		return Main(context.Background(), env, args), out.String(), errOut.String()
	}
}
