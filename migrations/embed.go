// Package migrations holds the numbered SQL migrations of the cityreach schema. Each
// version N has NNNN_name.up.sql and NNNN_name.down.sql; they are embedded in the binary
// and applied by internal/migrate.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
