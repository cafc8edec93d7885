package queue

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
)

// A job's files live in the database, as PostgreSQL large objects (pg_largeobject), so a
// file one process's worker wrote is read through any other: processes share nothing but
// the database. The jobs row's files column lists them ([]StoredFile, each with its
// large object's oid); a row owns the large objects it lists: Finish unlinks those it
// replaces, Delete and Prune those of the rows they remove, all in the same transaction
// as the row's change. Large objects are written and read in pieces, so no whole file is
// held in memory.

// ErrNoFile is returned by CopyFile for a file the job does not have.
var ErrNoFile = errors.New("queue: no such file of the job")

// Blob is a file of the local disk to store with a job under Name.
type Blob struct {
	Name string
	Type string
	Path string
}

// StoredFile is a file stored with a job: an element of the jobs row's files.
type StoredFile struct {
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
	Size int64  `json:"size"`
	OID  uint32 `json:"oid"`
}

// storeFiles writes the blobs into new large objects in tx.
func storeFiles(ctx context.Context, tx pgx.Tx, blobs []Blob) ([]StoredFile, error) {
	lo := tx.LargeObjects()
	out := make([]StoredFile, 0, len(blobs))
	for _, b := range blobs {
		oid, err := lo.Create(ctx, 0)
		if err != nil {
			return nil, err
		}
		obj, err := lo.Open(ctx, oid, pgx.LargeObjectModeWrite)
		if err != nil {
			return nil, err
		}
		n, err := copyFrom(obj, b.Path)
		if cerr := obj.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		out = append(out, StoredFile{Name: b.Name, Type: b.Type, Size: n, OID: oid})
	}
	return out, nil
}

func copyFrom(w io.Writer, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close() //nolint:errcheck // read-only
	return io.CopyBuffer(w, f, make([]byte, 256<<10))
}

// storedFiles reads a files column; a column that is not a list of stored files (a
// national run's) has none.
func storedFiles(raw []byte) []StoredFile {
	var fs []StoredFile
	if json.Unmarshal(raw, &fs) != nil {
		return nil
	}
	out := fs[:0]
	for _, f := range fs {
		if f.OID != 0 {
			out = append(out, f)
		}
	}
	return out
}

// unlinkFiles removes the large objects the files column raw lists, in tx.
func unlinkFiles(ctx context.Context, tx pgx.Tx, raw []byte) error {
	lo := tx.LargeObjects()
	for _, f := range storedFiles(raw) {
		if err := lo.Unlink(ctx, f.OID); err != nil {
			return err
		}
	}
	return nil
}

// CopyFile writes the stored file name of job id to w and returns its size; ErrNoFile
// when the job lists no such file.
func (s Store) CopyFile(ctx context.Context, id, name string, w io.Writer) (int64, error) {
	if !ValidID(id) {
		return 0, ErrNoFile
	}
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	var raw []byte
	if err := tx.QueryRow(ctx, "SELECT files FROM jobs WHERE id = $1", id).Scan(&raw); errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNoFile
	} else if err != nil {
		return 0, err
	}
	for _, f := range storedFiles(raw) {
		if f.Name != name {
			continue
		}
		lo := tx.LargeObjects()
		obj, err := lo.Open(ctx, f.OID, pgx.LargeObjectModeRead)
		if err != nil {
			return 0, err
		}
		n, err := io.CopyBuffer(w, obj, make([]byte, 256<<10))
		if cerr := obj.Close(); err == nil {
			err = cerr
		}
		return n, err
	}
	return 0, ErrNoFile
}

// FetchFile copies the stored file name of job id into dir and returns its path.
func (s Store) FetchFile(ctx context.Context, id, name, dir string) (string, error) {
	p := filepath.Join(dir, filepath.Base(name))
	f, err := os.Create(p)
	if err != nil {
		return "", err
	}
	_, err = s.CopyFile(ctx, id, name, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(p)
		return "", err
	}
	return p, nil
}
