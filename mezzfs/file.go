package mezzfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// fileScheme reads and writes local files: file:///path, or a bare path.
var fileScheme = scheme{
	parse: func(u *url.URL) (Location, error) {
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("%w (file URL with a host)", ErrInvalidURL)
		}
		if u.Path == "" {
			return Location{}, fmt.Errorf("%w (no path)", ErrInvalidURL)
		}
		p := filepath.Clean(u.Path)
		return Location{Scheme: "file", Path: p, URL: fileURL(p)}, nil
	},
	open: func(ctx context.Context, s *Storage, loc Location) (backend, error) {
		return openFile(loc, s.cfg.Confine)
	},
	list: listFile,
	store: func(ctx context.Context, s *Storage, loc Location) (Store, error) {
		return NewFileStore(loc.Path)
	},
}

// fileBackend reads a local file, pinned by size and mtime: a file that is
// rewritten or truncated while being read fails with ErrObjectChanged.
type fileBackend struct {
	loc   Location
	f     *os.File
	size  int64
	mtime time.Time
}

// openFile opens loc; under confinement c it checks the file it opened,
// not only the name it was given: a directory swapped for a symlink after
// the name was checked cannot lead it out of the roots.
func openFile(loc Location, c Confinement) (*fileBackend, error) {
	f, err := os.Open(loc.Path)
	if err != nil {
		return nil, classifyFile(loc.URL, err)
	}
	if err := c.checkOpened(loc, f); err != nil {
		f.Close()
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, classifyFile(loc.URL, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("mezzfs: %s: %w (not a regular file)", loc.URL, ErrRequest)
	}
	return &fileBackend{loc: loc, f: f, size: st.Size(), mtime: st.ModTime()}, nil
}

func (b *fileBackend) info() Info {
	return Info{URL: b.loc.URL, Size: b.size, ModTime: b.mtime}
}

func (b *fileBackend) fetch(ctx context.Context, p []byte, off int64) error {
	n, err := b.f.ReadAt(p, off)
	if err != nil && !(errors.Is(err, io.EOF) && n == len(p)) {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("mezzfs: %s: %w (ends before %d)", b.loc.URL, ErrObjectChanged, off+int64(len(p)))
		}
		return classifyFile(b.loc.URL, err)
	}
	// Checked after the read: bytes read before a change are discarded too.
	st, err := b.f.Stat()
	if err != nil {
		return classifyFile(b.loc.URL, err)
	}
	if st.Size() != b.size || !st.ModTime().Equal(b.mtime) {
		return fmt.Errorf("mezzfs: %s: %w (size %d mtime %s, opened as %d %s)", b.loc.URL, ErrObjectChanged,
			st.Size(), st.ModTime().Format(time.RFC3339Nano), b.size, b.mtime.Format(time.RFC3339Nano))
	}
	return nil
}

func (b *fileBackend) close() error { return b.f.Close() }

func classifyFile(url string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("mezzfs: %s: %w", url, ErrNotFound)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("mezzfs: %s: %w", url, ErrPermission)
	case errors.Is(err, fs.ErrClosed):
		return fmt.Errorf("mezzfs: %s: %w", url, ErrClosed)
	}
	return fmt.Errorf("mezzfs: %s: %w", url, err)
}

// listFile lists the regular files under a directory, or the file loc names.
func listFile(ctx context.Context, s *Storage, loc Location) ([]Entry, error) {
	st, err := os.Stat(loc.Path)
	if err != nil {
		return nil, classifyFile(loc.URL, err)
	}
	if !st.IsDir() {
		return []Entry{{Name: filepath.Base(loc.Path), URL: loc.URL, Size: st.Size(), ModTime: st.ModTime()}}, nil
	}
	var out []Entry
	err = filepath.WalkDir(loc.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return classifyFile(fileURL(p), err)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return classifyFile(fileURL(p), err)
		}
		rel, _ := filepath.Rel(loc.Path, p)
		out = append(out, Entry{Name: filepath.ToSlash(rel), URL: fileURL(p), Size: info.Size(), ModTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
