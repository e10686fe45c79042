package mezzfs

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/s3test"
)

// stores returns a file store and an S3 store (versitygw) to run the same
// checks on.
func stores(t *testing.T) map[string]Store {
	t.Helper()
	fs, err := NewFileStore(filepath.Join(t.TempDir(), "root"))
	if err != nil {
		t.Fatal(err)
	}
	srv := s3test.Start(t)
	cfg := S3Config{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
	st, err := NewStorage(Config{S3: cfg}).Store(context.Background(), "s3://"+srv.Bucket+"/some/prefix")
	if err != nil {
		t.Fatal(err)
	}
	s3st := st.(*S3Store)
	s3st.PartSize = 5 << 20 // S3's minimum, so a 12 MiB file goes multipart
	return map[string]Store{"file": fs, "s3": s3st}
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	big := make([]byte, 12<<20+123)
	rand.Read(big)
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "big.bin")
			if err := os.WriteFile(src, big, 0o644); err != nil {
				t.Fatal(err)
			}
			obj, err := st.Put(ctx, "job/r1/000001-a1.mp4", src)
			if err != nil {
				t.Fatal(err)
			}
			if obj.Size != int64(len(big)) || obj.SHA256 != digest(big) {
				t.Errorf("put: %+v", obj)
			}
			if _, err := st.PutBytes(ctx, "job/r1/000001-a1.mp4.json", []byte(`{"ok":true}`)); err != nil {
				t.Fatal(err)
			}
			if _, err := st.PutBytes(ctx, "job/r2/000000-a1.mp4", []byte("x")); err != nil {
				t.Fatal(err)
			}
			if _, err := st.PutBytes(ctx, "other/keep.txt", []byte("keep")); err != nil {
				t.Fatal(err)
			}

			got, err := st.Stat(ctx, "job/r1/000001-a1.mp4")
			if err != nil || got.SHA256 != digest(big) || got.Size != int64(len(big)) {
				t.Errorf("stat: %+v, %v", got, err)
			}
			dst := filepath.Join(dir, "back.bin")
			if _, err := st.Get(ctx, "job/r1/000001-a1.mp4", dst); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(dst); !bytes.Equal(b, big) {
				t.Error("get returned different bytes")
			}
			if b, err := st.GetBytes(ctx, "job/r1/000001-a1.mp4.json"); err != nil || string(b) != `{"ok":true}` {
				t.Errorf("get bytes: %q, %v", b, err)
			}

			var keys []string
			objs, err := st.List(ctx, "job/")
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				keys = append(keys, o.Key)
			}
			want := []string{"job/r1/000001-a1.mp4", "job/r1/000001-a1.mp4.json", "job/r2/000000-a1.mp4"}
			if !slices.Equal(keys, want) {
				t.Errorf("list: %v, want %v", keys, want)
			}

			if err := st.DeletePrefix(ctx, "job/"); err != nil {
				t.Fatal(err)
			}
			if objs, _ := st.List(ctx, ""); len(objs) != 1 || objs[0].Key != "other/keep.txt" {
				t.Errorf("after delete: %+v", objs)
			}
			if _, err := st.Stat(ctx, "job/r1/000001-a1.mp4"); !errors.Is(err, ErrNotFound) {
				t.Errorf("stat deleted: %v, want ErrNotFound", err)
			}
			if _, err := st.GetBytes(ctx, "nope"); !errors.Is(err, ErrNotFound) {
				t.Errorf("get missing: %v, want ErrNotFound", err)
			}
			if !strings.Contains(st.URL("a/b"), "a/b") {
				t.Errorf("URL %q", st.URL("a/b"))
			}
		})
	}
}

// A failed put leaves neither the object nor a temporary file behind.
func TestFilePutIsAtomic(t *testing.T) {
	ctx := context.Background()
	st, err := NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutBytes(ctx, "a/obj", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, "a/obj", filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("put of a missing file succeeded")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := st.PutBytes(cctx, "a/obj", []byte("new")); err == nil {
		t.Fatal("put with a cancelled context succeeded")
	}
	if b, _ := st.GetBytes(ctx, "a/obj"); string(b) != "old" {
		t.Errorf("object is %q after failed puts, want old", b)
	}
	entries, _ := os.ReadDir(filepath.Join(st.Root, "a"))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the object", len(entries))
	}
	// Published files are readable by others, not private temp files.
	if fi, err := os.Stat(filepath.Join(st.Root, "a", "obj")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("object mode %v (%v), want 0644", fi.Mode().Perm(), err)
	}
}

var keyCases = []struct {
	key string
	ok  bool
}{
	{"job/r1/000001-a1.mp4", true},
	{"report.json", true},
	{"", false},
	{"/abs", false},
	{"..", false},
	{"../escape", false},
	{"a/../../escape", false},
	{"a/./b", true},
}

func TestCleanKey(t *testing.T) {
	for _, tc := range keyCases {
		_, err := cleanKey(tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("cleanKey(%q): %v", tc.key, err)
		}
		if err != nil && !errors.Is(err, ErrBadKey) {
			t.Errorf("cleanKey(%q): %v is not ErrBadKey", tc.key, err)
		}
	}
}

// FuzzCleanKey: an accepted key never leaves the store's root.
func FuzzCleanKey(f *testing.F) {
	for _, tc := range keyCases {
		f.Add(tc.key)
	}
	f.Fuzz(func(t *testing.T, key string) {
		k, err := cleanKey(key)
		if err != nil {
			return
		}
		root := "/store/root"
		p := filepath.Join(root, filepath.FromSlash(k))
		if !strings.HasPrefix(p, root+"/") {
			t.Fatalf("key %q maps to %q outside %s", key, p, root)
		}
	})
}

func TestStoreURLs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	storage := NewStorage(Config{})
	for _, u := range []string{"file://" + dir, dir} {
		st, err := storage.Store(ctx, u)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if _, ok := st.(*FileStore); !ok {
			t.Errorf("%s: %T", u, st)
		}
	}
	for _, u := range []string{"ftp://x/y", "file://host/dir", "s3:///nobucket", "relative/dir", "file://", "https://host/dir"} {
		if _, err := storage.Store(ctx, u); !errors.Is(err, ErrInvalidURL) {
			t.Errorf("Store(%q): %v, want ErrInvalidURL", u, err)
		}
	}
}

// TestStorageSharesClientAndCache: everything one Storage opens, reading or
// writing, uses the one S3 client and block cache it made first.
func TestStorageSharesClientAndCache(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t)
	for _, k := range []string{"a.bin", "b.bin"} {
		if err := srv.Put(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	s := NewStorage(Config{S3: S3Config{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}})
	var objs []*Object
	for _, k := range []string{"a.bin", "b.bin"} {
		o, err := s.Open(ctx, srv.URL(k))
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		objs = append(objs, o)
	}
	st, err := s.Store(ctx, srv.URL("out"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := objs[0].be.(*s3Backend).client, objs[1].be.(*s3Backend).client
	if a != b || st.(*S3Store).Client != a {
		t.Error("one Storage made more than one S3 client")
	}
	if objs[0].cache != objs[1].cache || objs[0].cache != s.Cache() {
		t.Error("one Storage's objects do not share its block cache")
	}
}
