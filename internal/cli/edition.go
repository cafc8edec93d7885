package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/cityreach/cityreach/internal/edition"
)

// cliActor is the actor the command line records: cli:<user>.
func cliActor() string {
	if u, _ := user.Current(); u != nil {
		return "cli:" + u.Username
	}
	return "cli"
}

// runEdition manages data editions with the same store calls as the API:
//
//	cityreach edition list --city C [--published]
//	cityreach edition create --city C --name N [--as-of RFC3339|YYYY-MM-DD] [--description D]
//	cityreach edition publish|delete ID
func runEdition(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return errors.New("say what to do: list, create, publish, delete")
	}
	verb := args[0]
	var name, desc, asOf, actor string
	var published bool
	cfg, fs, err := setup(env, "edition "+verb, args[1:], true, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "edition name, e.g. \"2025 现状\" (create)")
		fs.StringVar(&desc, "description", "", "description (create)")
		fs.StringVar(&asOf, "as-of", "", "the instant: RFC 3339, or YYYY-MM-DD for 00:00 Beijing time (create; default now)")
		fs.StringVar(&actor, "actor", cliActor(), "recorded as the creator or publisher")
		fs.BoolVar(&published, "published", false, "only published editions (list)")
	})
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := edition.Store{Pool: pool}
	out := func(v any) error {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	id := func() (int64, error) {
		if fs.NArg() < 1 {
			return 0, errors.New("give the edition id (cityreach edition list shows them)")
		}
		return edition.ParseID("id", fs.Arg(0))
	}
	switch verb {
	case "list":
		list, err := st.List(ctx, cfg.City, published)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tAS OF (UTC+8)\tPUBLISHED\tCREATED BY")
		for _, e := range list {
			pub := "-"
			if e.PublishedAt != nil {
				pub = e.PublishedAt.In(edition.Beijing).Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.ID, e.Name, e.AsOf.In(edition.Beijing).Format(time.DateTime), pub, e.CreatedBy)
		}
		return tw.Flush()
	case "create":
		n := edition.New{City: cfg.City, Name: name, Description: desc}
		if asOf != "" {
			r, err := edition.ParseRef("as-of", asOf)
			if err != nil {
				return err
			}
			if r.At == nil {
				return errors.New("--as-of must be an RFC 3339 time or a date YYYY-MM-DD")
			}
			n.AsOf = r.At
		}
		e, err := st.Create(ctx, n, actor)
		if err != nil {
			return err
		}
		return out(e)
	case "publish":
		i, err := id()
		if err != nil {
			return err
		}
		e, err := st.Publish(ctx, i, actor)
		if err != nil {
			return err
		}
		return out(e)
	case "delete":
		i, err := id()
		if err != nil {
			return err
		}
		return st.Delete(ctx, i)
	}
	return fmt.Errorf("unknown edition command %q: list, create, publish, delete", verb)
}
