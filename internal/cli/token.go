package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cityreach/cityreach/internal/auth"
)

// runToken manages API tokens: create prints the secret once, list shows every token
// (never a secret), revoke ends a live token.
func runToken(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("say what to do: create --role viewer|editor|admin --name NAME [--expires 90d|2027-01-01], list, or revoke --name NAME")
	}
	sub := args[0]
	var role, name, expires string
	cfg, _, err := setup(env, "token "+sub, args[1:], true, func(fs *flag.FlagSet) {
		if sub == "create" {
			fs.StringVar(&role, "role", "viewer", "viewer (read), editor (read and write) or admin (also manage tokens)")
			fs.StringVar(&expires, "expires", "", "when the token stops working: a lifetime (90d, 12h, 2w) or a date (2027-01-01, 00:00 UTC); default never")
		}
		if sub == "create" || sub == "revoke" {
			fs.StringVar(&name, "name", "", "the token's name; history records it as the author of edits")
		}
	})
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := &auth.Store{Pool: pool}
	switch sub {
	case "create":
		r, err := auth.ParseRole(role)
		if err != nil {
			return err
		}
		if name == "" {
			return errors.New("--name is required")
		}
		until, err := auth.ParseExpiry(expires, time.Now())
		if err != nil {
			return err
		}
		t, secret, err := store.CreateUntil(ctx, name, r, until)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "created token %q with role %s, expiring %s; the secret below is shown only now:\n", t.Name, t.Role, when(t.ExpiresAt, "never"))
		fmt.Fprintln(env.Stdout, secret)
	case "list":
		ts, err := store.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tROLE\tCREATED\tEXPIRES\tREVOKED")
		for _, t := range ts {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, t.CreatedAt.UTC().Format(time.RFC3339), when(t.ExpiresAt, "never"), when(t.RevokedAt, "-"))
		}
		return w.Flush()
	case "revoke":
		if name == "" {
			return errors.New("--name is required")
		}
		if err := store.Revoke(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked %s\n", name)
	default:
		return fmt.Errorf("unknown token command %q: create, list or revoke", sub)
	}
	return nil
}

// when formats an optional instant in UTC, or none when it is nil.
func when(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}
