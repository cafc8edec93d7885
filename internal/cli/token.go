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
		return errors.New("say what to do: create --role viewer|editor|admin --name NAME, list, or revoke --name NAME")
	}
	sub := args[0]
	var role, name string
	cfg, _, err := setup(env, "token "+sub, args[1:], true, func(fs *flag.FlagSet) {
		if sub == "create" {
			fs.StringVar(&role, "role", "viewer", "viewer (read), editor (read and write) or admin (also manage tokens)")
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
		t, secret, err := store.Create(ctx, name, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "created token %q with role %s; the secret below is shown only now:\n", t.Name, t.Role)
		fmt.Fprintln(env.Stdout, secret)
	case "list":
		ts, err := store.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tROLE\tCREATED\tREVOKED")
		for _, t := range ts {
			rev := "-"
			if t.RevokedAt != nil {
				rev = t.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", t.Name, t.Role, t.CreatedAt.Format(time.RFC3339), rev)
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
