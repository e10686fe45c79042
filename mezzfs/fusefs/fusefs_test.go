package fusefs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/mezzfs/fusefs"
)

// requireFUSE skips only where FUSE cannot work: no /dev/fuse or not root.
func requireFUSE(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("no /dev/fuse")
	}
	if os.Geteuid() != 0 {
		t.Skip("FUSE mounts here need root")
	}
}

func randomData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func mounted(mnt string) bool {
	b, _ := os.ReadFile("/proc/mounts")
	return strings.Contains(string(b), " "+mnt+" ")
}

func TestMountReadUnmount(t *testing.T) {
	requireFUSE(t)
	ctx := context.Background()
	local := randomData(3<<20+5, 1)
	remote := randomData(5<<20+17, 2)
	web := randomData(1<<20+3, 4)
	dir := t.TempDir()
	localPath := filepath.Join(dir, "local.bin")
	os.WriteFile(localPath, local, 0o644)
	localTime := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
	os.Chtimes(localPath, localTime, localTime)
	webTime := time.Date(2011, 12, 13, 14, 15, 16, 0, time.UTC) // HTTP dates have whole seconds
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "web.bin", webTime, bytes.NewReader(web))
	}))
	defer hs.Close()
	srv := s3test.Start(t)
	if err := srv.Put(ctx, "mezz/a/remote.bin", remote); err != nil {
		t.Fatal(err)
	}

	cache, _ := mezzfs.NewCache(mezzfs.CacheConfig{BlockSize: 1 << 20})
	storage := mezzfs.NewStorage(mezzfs.Config{Cache: cache, S3: mezzfs.S3Config{Endpoint: srv.Endpoint, PathStyle: true, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}})
	list := func(url string) []mezzfs.Entry {
		entries, err := storage.List(ctx, url)
		if err != nil {
			t.Fatalf("List(%s): %v", url, err)
		}
		return entries
	}
	entries := list(srv.URL("mezz/"))
	if len(entries) != 1 || entries[0].Name != "a/remote.bin" || entries[0].Size != int64(len(remote)) {
		t.Fatalf("List = %+v", entries)
	}
	remoteInfo, err := storage.Stat(ctx, entries[0].URL)
	if err != nil || remoteInfo.ModTime.IsZero() {
		t.Fatalf("Stat(%s) = %+v, %v; want a Last-Modified", entries[0].URL, remoteInfo, err)
	}
	entries = append(entries, list(localPath)...)
	entries = append(entries, list(hs.URL+"/web.bin")...)
	opener := func(url string) func(context.Context) (mezzfs.Source, error) {
		return func(ctx context.Context) (mezzfs.Source, error) { return storage.Open(ctx, url) }
	}
	files := []fusefs.File{{Name: "gone.bin", Size: 10, Open: opener(srv.URL("missing.bin"))}}
	for _, e := range entries {
		files = append(files, fusefs.File{Name: e.Name, Size: e.Size, ModTime: e.ModTime, Open: opener(e.URL)})
	}
	mnt := t.TempDir()
	fsrv, err := fusefs.Mount(mnt, files, fusefs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsrv.Unmount()
	if !mounted(mnt) {
		t.Fatal("not in /proc/mounts")
	}

	// Each file shows its object's time: the file's mtime, S3's and
	// HTTP's Last-Modified, not the Unix epoch.
	for name, want := range map[string]time.Time{"local.bin": localTime, "a/remote.bin": remoteInfo.ModTime, "web.bin": webTime} {
		st, err := os.Stat(filepath.Join(mnt, name))
		if err != nil {
			t.Fatal(err)
		}
		if !st.ModTime().Equal(want) {
			t.Errorf("%s: mtime %s through FUSE, want %s", name, st.ModTime().UTC(), want)
		}
	}
	for name, want := range map[string][]byte{"local.bin": local, "a/remote.bin": remote, "web.bin": web} {
		got, err := os.ReadFile(filepath.Join(mnt, name))
		if err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(got) != sha256.Sum256(want) {
			t.Fatalf("%s: sha256 through FUSE differs", name)
		}
		// pread at an odd offset.
		f, _ := os.Open(filepath.Join(mnt, name))
		p := make([]byte, 4096)
		if n, err := f.ReadAt(p, 1_000_001); err != nil || !bytes.Equal(p[:n], want[1_000_001:1_000_001+4096]) {
			t.Fatalf("%s: pread: %v", name, err)
		}
		f.Close()
	}
	var names []string
	filepath.WalkDir(mnt, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(mnt, p)
			names = append(names, rel)
		}
		return nil
	})
	sort.Strings(names)
	if fmt.Sprint(names) != "[a/remote.bin gone.bin local.bin web.bin]" {
		t.Fatalf("listing %v", names)
	}
	if err := os.WriteFile(filepath.Join(mnt, "local.bin"), []byte("x"), 0o644); !errors.Is(err, syscall.EROFS) && !errors.Is(err, syscall.EACCES) {
		t.Fatalf("write: %v, want EROFS", err)
	}
	if _, err := os.ReadFile(filepath.Join(mnt, "gone.bin")); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("object missing behind a listed name: %v, want ENOENT", err)
	}
	if err := fsrv.Unmount(); err != nil {
		t.Fatal(err)
	}
	if mounted(mnt) {
		t.Fatal("still mounted after Unmount")
	}
}

func TestExternalUnmount(t *testing.T) {
	requireFUSE(t)
	mnt := t.TempDir()
	data := []byte("hello")
	fsrv, err := fusefs.Mount(mnt, []fusefs.File{{Name: "x", Size: 5, Open: func(context.Context) (mezzfs.Source, error) {
		return bytes.NewReader(data), nil
	}}}, fusefs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := fusefs.Unmount(mnt); err != nil {
		t.Fatal(err)
	}
	fsrv.Wait() // returns once the kernel has let go
	if mounted(mnt) {
		t.Fatal("still mounted")
	}
}

// TestMountRejectsBadNames: each bad name fails with its own typed error,
// before anything is mounted (so it holds without FUSE too).
func TestMountRejectsBadNames(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  error
	}{
		{[]string{""}, fusefs.ErrBadName},
		{[]string{"/"}, fusefs.ErrBadName},
		{[]string{"a/../b"}, fusefs.ErrBadName},
		{[]string{"../x"}, fusefs.ErrBadName},
		{[]string{"./x"}, fusefs.ErrBadName},
		{[]string{"a/./x"}, fusefs.ErrBadName},
		{[]string{"dup", "dup"}, fusefs.ErrDuplicateName},
		{[]string{"d/x", "/d/x/"}, fusefs.ErrDuplicateName},
	} {
		var files []fusefs.File
		for _, n := range tc.names {
			files = append(files, fusefs.File{Name: n})
		}
		srv, err := fusefs.Mount(t.TempDir(), files, fusefs.Options{})
		if err == nil {
			srv.Unmount()
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("names %q: %v, want %v", tc.names, err, tc.want)
		}
	}
}

func TestErrno(t *testing.T) {
	wrap := func(e error) error { return fmt.Errorf("mezzfs: s3://b/k: %w", e) }
	for _, tc := range []struct {
		err  error
		want syscall.Errno
	}{
		{nil, 0},
		{wrap(mezzfs.ErrNotFound), syscall.ENOENT},
		{wrap(mezzfs.ErrPermission), syscall.EACCES},
		{wrap(mezzfs.ErrObjectChanged), syscall.ESTALE},
		{wrap(mezzfs.ErrTransient), syscall.ETIMEDOUT},
		{wrap(context.Canceled), syscall.EINTR},
		{errors.New("other"), syscall.EIO},
	} {
		if got := fusefs.Errno(tc.err); got != tc.want {
			t.Errorf("Errno(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// s3Object puts data under key on a fresh versitygw and returns its URL and
// a mezzfs Config that reaches it.
func s3Object(t *testing.T, key string, data []byte) (string, mezzfs.Config) {
	t.Helper()
	srv := s3test.Start(t)
	if err := srv.Put(context.Background(), key, data); err != nil {
		t.Fatal(err)
	}
	return srv.URL(key), mezzfs.Config{S3: mezzfs.S3Config{Endpoint: srv.Endpoint, PathStyle: true, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}}
}

// TestDirectIO reads an S3 object through a DirectIO mount: the bytes are
// right, and a second read reaches mezzfs again (no kernel page cache).
func TestDirectIO(t *testing.T) {
	requireFUSE(t)
	data := randomData(6<<20+123, 3)
	url, cfg := s3Object(t, "d/obj.bin", data)
	var obj *mezzfs.Object
	files := []fusefs.File{{Name: "obj.bin", Size: int64(len(data)), Open: func(ctx context.Context) (mezzfs.Source, error) {
		o, err := mezzfs.Open(ctx, url, cfg)
		obj = o
		return o, err
	}}}
	mnt := t.TempDir()
	fsrv, err := fusefs.Mount(mnt, files, fusefs.Options{DirectIO: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fsrv.Unmount()
	var reads int64
	for pass := range 2 {
		got, err := os.ReadFile(filepath.Join(mnt, "obj.bin"))
		if err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256(got) != sha256.Sum256(data) {
			t.Fatalf("pass %d: sha256 through FUSE differs", pass)
		}
		st := obj.Stats()
		if st.Reads <= reads {
			t.Fatalf("pass %d: %+v; a direct-I/O read must reach mezzfs", pass, st)
		}
		reads = st.Reads
	}
	// mmap still works (the kernel's direct_io_allow_mmap).
	f, err := os.Open(filepath.Join(mnt, "obj.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := syscall.Mmap(int(f.Fd()), 0, len(data), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap of a direct-I/O file: %v", err)
	}
	defer syscall.Munmap(m)
	// Copy the mapping out with a syscall rather than touching it from Go:
	// a page fault on this process's own mount waits for the server's
	// goroutines, and a garbage collection would wait for the faulting one.
	out, err := os.Create(filepath.Join(t.TempDir(), "copy"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := out.Write(m); err != nil {
		t.Fatalf("reading the mapping: %v", err)
	}
	out.Close()
	got, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatal("sha256 through mmap differs")
	}
}

// TestConcurrentReaders reads one S3 object through the mount from several
// goroutines at once, each sequentially from its own offset (wrapping
// around) while another preads at random: the kernel's read-ahead of
// several runs reaches the Source interleaved and out of order, and every
// byte must still be right.
func TestConcurrentReaders(t *testing.T) {
	requireFUSE(t)
	data := randomData(24<<20+4321, 4)
	url, cfg := s3Object(t, "c/obj.bin", data)
	for _, directIO := range []bool{false, true} {
		t.Run(fmt.Sprintf("directio=%v", directIO), func(t *testing.T) {
			files := []fusefs.File{{Name: "obj.bin", Size: int64(len(data)), Open: func(ctx context.Context) (mezzfs.Source, error) {
				return mezzfs.Open(ctx, url, cfg)
			}}}
			mnt := t.TempDir()
			fsrv, err := fusefs.Mount(mnt, files, fusefs.Options{DirectIO: directIO})
			if err != nil {
				t.Fatal(err)
			}
			defer fsrv.Unmount()
			path := filepath.Join(mnt, "obj.bin")
			errs := make(chan error, 5)
			for i := range 4 {
				go func() {
					errs <- readAround(path, data, int64(i)*7<<20+int64(i)*12345)
				}()
			}
			go func() {
				f, err := os.Open(path)
				if err != nil {
					errs <- err
					return
				}
				defer f.Close()
				r := rand.New(rand.NewPCG(9, 9))
				p := make([]byte, 70_000)
				for range 200 {
					off := r.Int64N(int64(len(data) - len(p)))
					if _, err := f.ReadAt(p, off); err != nil {
						errs <- err
						return
					}
					if !bytes.Equal(p, data[off:off+int64(len(p))]) {
						errs <- fmt.Errorf("pread at %d: wrong bytes", off)
						return
					}
				}
				errs <- nil
			}()
			for range 5 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// readAround reads path front to back in 1 MiB reads starting at start
// and wrapping around, and checks the bytes against want.
func readAround(path string, want []byte, start int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	size := int64(len(want))
	p := make([]byte, 1<<20)
	for done := int64(0); done < size; {
		off := (start + done) % size
		n, err := f.ReadAt(p[:min(int64(len(p)), size-off)], off)
		if err != nil {
			return fmt.Errorf("read at %d: %w", off, err)
		}
		if !bytes.Equal(p[:n], want[off:off+int64(n)]) {
			return fmt.Errorf("read at %d: wrong bytes", off)
		}
		done += int64(n)
	}
	return nil
}

// TestUnmountWaitsWhileBusy: unmounting from outside (reel mezzfs unmount)
// while a file of the mount is still open retries until it is closed,
// instead of failing with EBUSY; a mount that stays busy fails with a
// message that says why.
func TestUnmountWaitsWhileBusy(t *testing.T) {
	requireFUSE(t)
	data := randomData(1<<20, 5)
	path := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	files := []fusefs.File{{Name: "f.bin", Size: int64(len(data)), Open: func(ctx context.Context) (mezzfs.Source, error) {
		return mezzfs.Open(ctx, path, mezzfs.Config{})
	}}}
	mnt := t.TempDir()
	fsrv, err := fusefs.Mount(mnt, files, fusefs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsrv.Unmount()
	f, err := os.Open(filepath.Join(mnt, "f.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close() // before fsrv.Unmount, also when the test fails early
	time.AfterFunc(300*time.Millisecond, func() { f.Close() })
	if err := fusefs.Unmount(mnt); err != nil {
		t.Fatalf("unmount while a file is open for 0.3 s: %v", err)
	}
	fsrv.Wait()
	if mounted(mnt) {
		t.Fatal("still mounted")
	}
}
