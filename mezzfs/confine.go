package mezzfs

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
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
	// HTTPHosts are the hosts ("host" or "host:port") http(s):// sources
	// may name, redirects included. Once any list is set, an http(s) URL
	// whose host is not listed is refused: a confined worker fetches no
	// address a job's author chose (a way to reach internal services).
	HTTPHosts []string
}

// confined reports whether c limits anything.
func (c Confinement) confined() bool {
	return len(c.Roots) > 0 || len(c.Buckets) > 0 || len(c.HTTPHosts) > 0
}

// hostAllowed reports whether the URL's host (hostname, or hostname:port)
// is one of c.HTTPHosts; names are compared without case.
func (c Confinement) hostAllowed(u *url.URL) bool {
	host, hostport := strings.ToLower(u.Hostname()), strings.ToLower(u.Host)
	for _, h := range c.HTTPHosts {
		h = strings.ToLower(h)
		if h == hostport || (!strings.Contains(h, ":") && h == host) || (strings.HasPrefix(h, "[") && h == hostport) {
			return true
		}
	}
	return false
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
	case "http", "https":
		if !c.confined() {
			return nil
		}
		u, err := url.Parse(loc.URL)
		if err == nil && c.hostAllowed(u) {
			return nil
		}
		allowed := strings.Join(c.HTTPHosts, ", ")
		if allowed == "" {
			allowed = "none"
		}
		return fmt.Errorf("mezzfs: %s: %w (allowed: %s)", loc.URL, ErrHostNotAllowed, allowed)
	}
	return nil
}

// checkRedirect holds a redirect to c's rule for http(s) URLs, so an
// allowed host cannot send a confined worker on to one that is not.
func (c Confinement) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("mezzfs: %s: %w (stopped after 10 redirects)", req.URL, ErrRequest)
	}
	if !c.hostAllowed(req.URL) {
		return fmt.Errorf("mezzfs: redirect to %s: %w (allowed: %s)", req.URL.Redacted(), ErrHostNotAllowed, strings.Join(c.HTTPHosts, ", "))
	}
	return nil
}

// checkOpened refuses f, opened from loc, when the file it really is lies
// outside c's roots: the kernel's name for the open descriptor
// (/proc/self/fd) is judged as check judges a path. Where /proc is not
// mounted, the check made before opening stands alone.
func (c Confinement) checkOpened(loc Location, f *os.File) error {
	if len(c.Roots) == 0 {
		return nil
	}
	real, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()))
	if err != nil {
		return nil
	}
	if err := c.check(Location{Scheme: "file", Path: real, URL: loc.URL}); err != nil {
		return fmt.Errorf("mezzfs: %s: %w (opened %s)", loc.URL, ErrOutsideRoots, real)
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
