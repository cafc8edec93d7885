package cli

import (
	"context"
	"errors"
)

func runSeed(ctx context.Context, env Env, args []string) error {
	_, fs, err := setup(env, "seed", args, true, nil)
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("say what to seed: baotou")
	}
	return errors.New("seeding is not built yet")
}
