package seed

import "github.com/jackc/pgx/v5"

func quote(table string) string { return pgx.Identifier{table}.Sanitize() }

func copyRows(rows [][]any) pgx.CopyFromSource { return pgx.CopyFromRows(rows) }
