package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/cityreach/cityreach/internal/migrate"
	"github.com/cityreach/cityreach/migrations"
)

func runMigrate(ctx context.Context, env Env, args []string) error {
	cfg, fs, err := setup(env, "migrate", args, true, nil)
	if err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return errors.New("say what to do: up, down [N] or status")
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := migrate.New(pool, migrations.FS)
	if err != nil {
		return err
	}
	say := func(verb string) func(migrate.Migration) {
		return func(mg migrate.Migration) { fmt.Fprintf(env.Stdout, "%s %04d_%s\n", verb, mg.Version, mg.Name) }
	}
	switch rest[0] {
	case "up":
		n, err := m.Up(ctx, say("applied"))
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "schema at version %d (%d applied)\n", m.Latest(), n)
	case "down":
		steps := 1
		if len(rest) > 1 {
			if rest[1] == "all" {
				steps = m.Latest()
			} else if steps, err = strconv.Atoi(rest[1]); err != nil || steps < 1 {
				return fmt.Errorf("down takes a positive number of steps or all, not %q", rest[1])
			}
		}
		n, err := m.Down(ctx, steps, say("reverted"))
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%d reverted\n", n)
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied " + s.AppliedAt.Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(env.Stdout, "%04d_%-28s %s\n", s.Version, s.Name, state)
		}
	default:
		return fmt.Errorf("unknown migrate action %q: use up, down [N] or status", rest[0])
	}
	return nil
}
