package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Spool is the directory where uploads wait on disk while they are imported (Shapefile
// and GeoPackage readers need a file, and a background job outlives its request). Every
// file is named upload-<pid>-<random><ext>, so that NewSpool can remove what a crashed
// process left behind without touching the files of one still running.
type Spool struct {
	Dir string
}

// DefaultSpoolDir is the spool under the system's temporary directory.
func DefaultSpoolDir() string { return filepath.Join(os.TempDir(), "cityreach-spool") }

// NewSpool makes dir (mode 0700) if needed and removes every file in it that no living
// process owns: the uploads of a process that crashed or was killed mid-import.
func NewSpool(dir string) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("spool directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("spool directory %s is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool directory: %w", err)
	}
	for _, e := range entries {
		if pid, ok := spoolOwner(e.Name()); ok && pid != os.Getpid() && alive(pid) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("cleaning the spool directory: %w", err)
		}
	}
	return &Spool{Dir: dir}, nil
}

// spoolOwner reads the pid out of a spool file name.
func spoolOwner(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "upload-")
	if !ok {
		return 0, false
	}
	pid, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(pid)
	return n, err == nil && n > 0
}

// alive reports whether process pid exists (signal 0 checks without sending).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Create opens a new spool file whose name ends in ext.
func (s *Spool) Create(ext string) (*os.File, error) {
	return os.CreateTemp(s.Dir, "upload-"+strconv.Itoa(os.Getpid())+"-*"+ext)
}

// Remove deletes a spooled file and the side files SQLite may have made next to it.
func (s *Spool) Remove(path string) {
	for _, p := range []string{path, path + "-journal", path + "-wal", path + "-shm"} {
		_ = os.Remove(p)
	}
}
