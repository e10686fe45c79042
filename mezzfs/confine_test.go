package mezzfs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
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
		{"http is not confined", "check", "https://example.com/a.mov", nil},
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

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
