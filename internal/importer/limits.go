package importer

import (
	"errors"
	"fmt"
	"time"
)

// Limits bound what one import may cost, so that a small hostile upload (a zip bomb, a
// GeoPackage whose "table" is a query without end) cannot take the server's memory, disk
// or time. A zero field means "no limit"; DefaultLimits gives the server's bounds.
type Limits struct {
	// ZipMembers bounds the entries of a zip archive. It is checked in the archive's
	// end-of-central-directory record, before the directory itself is read.
	ZipMembers int
	// ExpandedBytes bounds the uncompressed bytes read from a zip: the declared sizes of
	// the members the Shapefile needs are summed and checked before any is opened, and each
	// member is then read through a counter that stops at its declared size (a declared
	// size can lie).
	ExpandedBytes int64
	// Features bounds the features read from any file.
	Features int
	// Duration bounds the whole import, reading and writing; a GeoPackage query past it
	// is interrupted (sqlite3_interrupt through the context) and the transaction rolled back.
	Duration time.Duration
}

// The server's absolute caps (docs/import.md).
const (
	// DefaultZipMembers: a zipped Shapefile has 3–8 members; 64 leaves room for folders
	// and stray files without letting a directory of millions of entries be parsed.
	DefaultZipMembers = 64
	// ExpansionFactor times the body limit is what a zip may expand to, never more than
	// MaxExpandedBytes. Shapefiles compress 2–10:1; a zip bomb compresses 1000:1.
	ExpansionFactor = 20
	// MaxExpandedBytes is the absolute cap on ExpandedBytes (1 GiB).
	MaxExpandedBytes = 1 << 30
	// DefaultFeatures bounds the features of one import.
	DefaultFeatures = 2_000_000
	// DefaultDuration bounds one import.
	DefaultDuration = 10 * time.Minute
)

// DefaultLimits returns the bounds for uploads whose bodies are at most maxBody bytes:
// ExpandedBytes = min(ExpansionFactor × maxBody, MaxExpandedBytes); maxBody ≤ 0 means the
// absolute cap.
func DefaultLimits(maxBody int64) Limits {
	exp := int64(MaxExpandedBytes)
	if maxBody > 0 && maxBody <= MaxExpandedBytes/ExpansionFactor {
		exp = ExpansionFactor * maxBody
	}
	return Limits{ZipMembers: DefaultZipMembers, ExpandedBytes: exp, Features: DefaultFeatures, Duration: DefaultDuration}
}

// LimitError means a bound of Limits was reached; nothing was written.
type LimitError struct {
	// What names the bound: "zip members", "expanded bytes", "features" or "duration".
	What string
	// Limit is its value (bytes, members, features, or seconds for duration).
	Limit int64
	// Member names the zip member being read when the bound was reached, if any.
	Member string
}

func (e *LimitError) Error() string {
	s := fmt.Sprintf("the import exceeds the limit of %d %s", e.Limit, e.What)
	if e.What == "duration" {
		s = fmt.Sprintf("the import took longer than the limit of %s", time.Duration(e.Limit)*time.Second)
	}
	if e.Member != "" {
		s += " (while reading " + e.Member + ")"
	}
	return s + "; nothing was written"
}

// RequestError is a refusal of the import's options before anything is read: an unknown
// layer or city, a mapping that does not fit, a CRS off the allow-list. Its text is meant
// for the client.
type RequestError struct{ Reason string }

func (e *RequestError) Error() string { return e.Reason }

func requestErrorf(format string, args ...any) error {
	return &RequestError{Reason: fmt.Sprintf(format, args...)}
}

// ClientSafe reports whether err's text may be shown to whoever asked for the import:
// the importer's own refusals are; database, driver and I/O errors are not (they are
// logged instead).
func ClientSafe(err error) bool {
	var (
		fe *FileError
		le *LimitError
		re *RequestError
	)
	return errors.As(err, &fe) || errors.As(err, &le) || errors.As(err, &re) || errors.Is(err, ErrRefused)
}
