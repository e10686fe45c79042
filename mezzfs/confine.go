package mezzfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Confinement limits what a Storage opens, for a worker that runs jobs
// written by others: a job's file:// source, output or work URL would
// otherwise reach anything the worker's user can. The zero value allows
// everything.
type Confinement struct {
	// Roots are the local directories file:// URLs may name (sources,
	// listings and stores alike). Empty allows any local path.
	Roots []string
	// Buckets are the S3 buckets s3:// URLs may name. Empty allows any.
	Buckets []string
}

// check refuses loc when it lies outside c. A path is compared after
// resolving its symlinks (those of its deepest existing ancestor, so an
// output directory still to be made is judged by where it would be made),
// and so are the roots: neither a symlink inside a root nor "/root/.."
// reaches out. A path that names an existing but dangling symlink is
// refused, since writing through it would create its target.
func (c Confinement) check(loc Location) error {
	switch loc.Scheme {
	case "file":
		if len(c.Roots) == 0 {
			return nil
		}
		p, err := resolvePath(loc.Path)
		if err != nil {
			return fmt.Errorf("mezzfs: %s: %w (%v)", loc.URL, ErrOutsideRoots, err)
		}
		for _, root := range c.Roots {
			r, err := resolvePath(root)
			if err != nil {
				continue
			}
			if within(p, r) {
				return nil
			}
		}
		return fmt.Errorf("mezzfs: %s: %w (allowed: %s)", loc.URL, ErrOutsideRoots, strings.Join(c.Roots, ", "))
	case "s3":
		if len(c.Buckets) == 0 || slices.Contains(c.Buckets, loc.Bucket) {
			return nil
		}
		return fmt.Errorf("mezzfs: %s: %w (allowed: %s)", loc.URL, ErrBucketNotAllowed, strings.Join(c.Buckets, ", "))
	}
	return nil
}

// within reports whether p is root or below it; both are clean and absolute.
func within(p, root string) bool {
	if p == root || root == string(filepath.Separator) {
		return true
	}
	return strings.HasPrefix(p, root+string(filepath.Separator))
}

// resolvePath returns p, absolute and clean, with the symlinks of its
// deepest existing ancestor resolved; the names below that ancestor do not
// exist yet and are kept as they are.
func resolvePath(p string) (string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	dir, rest := p, ""
	for {
		r, err := filepath.EvalSymlinks(dir)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		if _, lerr := os.Lstat(dir); lerr == nil {
			return "", fmt.Errorf("%s is a dangling symlink", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return p, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}

// Check reports whether rawURL may be opened, listed or written under s's
// Confinement, without touching it: for a job's URLs, refused before any
// work starts. Errors wrap ErrOutsideRoots, ErrBucketNotAllowed or
// ErrInvalidURL.
func (s *Storage) Check(rawURL string) error {
	_, loc, err := lookup(rawURL)
	if err != nil {
		return err
	}
	return s.cfg.Confine.check(loc)
}
