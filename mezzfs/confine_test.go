package mezzfs

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A confined Storage opens, lists and writes only under its roots and
// buckets, judged after ".." and symlinks are resolved, and refuses before
// touching anything: nothing appears outside the roots.
func TestConfinement(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	sibling := filepath.Join(base, "root2") // shares root's name as a prefix
	for _, d := range []string{filepath.Join(root, "in"), outside, sibling} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join(root, "in", "src.bin"), filepath.Join(outside, "secret"), filepath.Join(sibling, "x")} {
		if err := os.WriteFile(f, []byte("bytes"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.Symlink(outside, filepath.Join(root, "link")))
	must(t, os.Symlink(filepath.Join(outside, "made"), filepath.Join(root, "dangling")))
	// The root is configured through a symlink of its own: it is resolved too.
	rootLink := filepath.Join(base, "rootlink")
	must(t, os.Symlink(root, rootLink))

	st := NewStorage(Config{Confine: Confinement{Roots: []string{rootLink}, Buckets: []string{"mezz"}}})
	ctx := context.Background()
	cases := []struct {
		name, op, url string
		want          error // nil: allowed
	}{
		{"source under root", "open", filepath.Join(root, "in", "src.bin"), nil},
		{"source as file URL", "open", "file://" + filepath.Join(root, "in", "src.bin"), nil},
		{"source outside", "open", filepath.Join(outside, "secret"), ErrOutsideRoots},
		{"dot-dot escape", "open", root + "/in/../../outside/secret", ErrOutsideRoots},
		{"dot-dot in file URL", "open", "file://" + root + "/../outside/secret", ErrOutsideRoots},
		{"symlink escape", "open", filepath.Join(root, "link", "secret"), ErrOutsideRoots},
		{"name-prefix sibling", "open", filepath.Join(sibling, "x"), ErrOutsideRoots},
		{"list outside", "list", outside, ErrOutsideRoots},
		{"list root", "list", root, nil},
		{"store new dir under root", "store", filepath.Join(root, "out", "job"), nil},
		{"store outside", "store", filepath.Join(outside, "out"), ErrOutsideRoots},
		{"store through symlink", "store", filepath.Join(root, "link", "out"), ErrOutsideRoots},
		{"store on dangling symlink", "store", filepath.Join(root, "dangling"), ErrOutsideRoots},
		{"store below dangling symlink", "store", filepath.Join(root, "dangling", "deeper"), ErrOutsideRoots},
		{"bucket not listed", "open", "s3://other/key.mov", ErrBucketNotAllowed},
		{"bucket store not listed", "store", "s3://other/prefix", ErrBucketNotAllowed},
		{"bucket listed", "check", "s3://mezz/key.mov", nil},
		{"http host not listed", "check", "https://example.com/a.mov", ErrHostNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			switch c.op {
			case "open":
				var o *Object
				if o, err = st.Open(ctx, c.url); err == nil {
					o.Close()
				}
			case "list":
				_, err = st.List(ctx, c.url)
			case "store":
				var s Store
				if s, err = st.Store(ctx, c.url); err == nil {
					_, err = s.Put(ctx, "k", filepath.Join(root, "in", "src.bin"))
				}
			case "check":
				err = st.Check(c.url)
			}
			if cerr := st.Check(c.url); !errors.Is(cerr, c.want) && !(c.want == nil && cerr == nil) {
				t.Errorf("Check(%s) = %v, want %v", c.url, cerr, c.want)
			}
			if c.want == nil {
				if err != nil {
					t.Errorf("%s %s: %v", c.op, c.url, err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Errorf("%s %s: %v, want %v", c.op, c.url, err, c.want)
			}
		})
	}
	// Nothing was written outside the root.
	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("outside holds %d entries, want only the secret: %v", len(entries), entries)
	}

	// The zero Confinement allows everything.
	if err := NewStorage(Config{}).Check(filepath.Join(outside, "secret")); err != nil {
		t.Errorf("unconfined: %v", err)
	}
}

// Under a Confinement, http(s) sources reach only the listed hosts: an
// unlisted one is refused before any request, and so is a redirect from a
// listed host to an unlisted one (the unlisted server sees nothing).
func TestConfinementHTTPHosts(t *testing.T) {
	body := []byte("movie bytes")
	serve := func(hits *atomic.Int64) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			http.ServeContent(w, r, "a.mov", time.Unix(1e9, 0), bytes.NewReader(body))
		}
	}
	var allowedHits, internalHits, redirHits atomic.Int64
	allowed := httptest.NewServer(serve(&allowedHits))
	defer allowed.Close()
	internal := httptest.NewServer(serve(&internalHits)) // stands for an internal service
	defer internal.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirHits.Add(1)
		http.Redirect(w, r, internal.URL+"/a.mov", http.StatusFound)
	}))
	defer redirector.Close()
	host := func(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }

	ctx := context.Background()
	st := NewStorage(Config{Confine: Confinement{Roots: []string{t.TempDir()}, HTTPHosts: []string{host(allowed), host(redirector)}}})
	o, err := st.Open(ctx, allowed.URL+"/a.mov")
	if err != nil {
		t.Fatalf("listed host: %v", err)
	}
	got := make([]byte, len(body))
	if _, err := o.ReadAt(got, 0); err != nil || !bytes.Equal(got, body) {
		t.Errorf("listed host read %q, %v", got, err)
	}
	o.Close()
	for _, u := range []string{internal.URL + "/a.mov", redirector.URL + "/a.mov"} {
		if o, err := st.Open(ctx, u); !errors.Is(err, ErrHostNotAllowed) {
			if o != nil {
				o.Close()
			}
			t.Errorf("Open(%s) = %v, want %v", u, err, ErrHostNotAllowed)
		}
	}
	if n := internalHits.Load(); n != 0 {
		t.Errorf("the unlisted server got %d requests", n)
	}
	if redirHits.Load() == 0 {
		t.Error("the redirect was never asked for: the test proves nothing")
	}
	// Roots alone (no host listed) refuse every http(s) URL; no
	// Confinement at all follows the redirect.
	if err := NewStorage(Config{Confine: Confinement{Buckets: []string{"b"}}}).Check(allowed.URL + "/a.mov"); !errors.Is(err, ErrHostNotAllowed) {
		t.Errorf("buckets only: %v, want %v", err, ErrHostNotAllowed)
	}
	o, err = NewStorage(Config{}).Open(ctx, redirector.URL+"/a.mov")
	if err != nil {
		t.Fatalf("unconfined redirect: %v", err)
	}
	o.Close()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A directory swapped for a symlink after its name was checked (the window
// between Storage's check and the open) still cannot lead a read out of
// the roots: openFile judges the file it opened.
func TestConfinementChecksOpenedFile(t *testing.T) {
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	must(t, os.MkdirAll(filepath.Join(root, "shots"), 0o755))
	must(t, os.MkdirAll(filepath.Join(outside, "shots"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "shots", "a.mov"), []byte("inside"), 0o644))
	must(t, os.WriteFile(filepath.Join(outside, "shots", "a.mov"), []byte("secret"), 0o644))
	c := Confinement{Roots: []string{root}}
	loc, err := ParseURL(filepath.Join(root, "shots", "a.mov"))
	must(t, err)
	must(t, c.check(loc)) // the name is inside

	b, err := openFile(loc, c)
	if err != nil {
		t.Fatalf("inside: %v", err)
	}
	b.close()

	// The swap, after the check.
	must(t, os.RemoveAll(filepath.Join(root, "shots")))
	must(t, os.Symlink(filepath.Join(outside, "shots"), filepath.Join(root, "shots")))
	if b, err := openFile(loc, c); !errors.Is(err, ErrOutsideRoots) {
		if b != nil {
			b.close()
		}
		t.Fatalf("swapped: %v, want %v", err, ErrOutsideRoots)
	}
	// Unconfined, the same open follows the link (what the check prevents).
	b, err = openFile(loc, Confinement{})
	if err != nil {
		t.Fatal(err)
	}
	b.close()
}
