package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// LSN is a PostgreSQL write-ahead-log position (pg_lsn), as a number: the text form
// "16/B374D848" is the high and low 32 bits in hexadecimal. 0 means none.
type LSN uint64

// ParseLSN reads the text form of a pg_lsn ("16/B374D848").
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("%q is not a WAL position such as 0/16B3748", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%q is not a WAL position such as 0/16B3748", s)
	}
	return LSN(h<<32 | l), nil
}

// String is the text form PostgreSQL reads as a pg_lsn.
func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

type minLSNKey struct{}

// WithMinLSN returns a context whose replica reads (Router.Reads) see at least the writes
// up to lsn: the read-your-writes token of a client. A lower lsn than ctx already holds is
// ignored.
func WithMinLSN(ctx context.Context, lsn LSN) context.Context {
	if lsn == 0 || lsn <= MinLSN(ctx) {
		return ctx
	}
	return context.WithValue(ctx, minLSNKey{}, lsn)
}

// MinLSN is the position WithMinLSN put in ctx, 0 when none.
func MinLSN(ctx context.Context) LSN {
	l, _ := ctx.Value(minLSNKey{}).(LSN)
	return l
}
