// Command cityreach is the spatial planning service: it stores the planning layers in
// PostGIS, serves them to QGIS and the web map, and computes the planning indicators.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/cityreach/cityreach/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.DefaultEnv(), os.Args[1:])
	stop()
	os.Exit(code)
}
