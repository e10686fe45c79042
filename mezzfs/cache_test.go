package mezzfs_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/mezzfs"
)

func TestSingleFlight(t *testing.T) {
	data := randomData(1<<20, 11)
	srv := s3test.Start(t)
	putObject(t, srv, "sf.bin", data)
	proxy := newFaultProxy(t, srv.Endpoint, func(int64) fault { return delay })
	proxy.delay = 50e6 // hold the first fetch while the others pile up
	cfg := s3Config(srv, proxy.URL)
	cfg.BlockSize = 256 << 10
	cfg.MaxReadAhead = -1
	o := open(t, srv.URL("sf.bin"), cfg)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := make([]byte, 1000)
			off := int64(i * 5000)
			if _, err := o.ReadAt(p, off); err != nil || !bytes.Equal(p, data[off:off+1000]) {
				t.Errorf("ReadAt(%d): %v", off, err)
			}
		}()
	}
	wg.Wait()
	st := o.Stats()
	if proxy.gets.Load() != 1 || st.Misses != 1 || st.Shared+st.Hits != 31 {
		t.Fatalf("GETs=%d stats=%+v; want one fetch shared by 32 readers", proxy.gets.Load(), st)
	}
}

func TestMemoryBudgetAndLRU(t *testing.T) {
	data := randomData(2<<20, 12)
	cache, err := mezzfs.NewCache(mezzfs.CacheConfig{BlockSize: 64 << 10, MemoryBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	o := open(t, writeFile(t, data), mezzfs.Config{Cache: cache, MaxReadAhead: -1})
	p := make([]byte, 4096)
	for off := int64(0); off < o.Size(); off += int64(len(p)) {
		if _, err := o.ReadAt(p, off); err != nil {
			t.Fatal(err)
		}
		if u := cache.MemoryUsed(); u > 256<<10 {
			t.Fatalf("memory used %d > budget", u)
		}
	}
	st := o.Stats()
	if st.Misses != 32 || st.Hits != 512-32 || st.BytesFetched != int64(len(data)) {
		t.Fatalf("first pass stats %+v; want 32 misses, 480 hits, every byte fetched once", st)
	}
	// The last blocks are still held; the first were evicted.
	o.ReadAt(p, o.Size()-4096)
	if s2 := o.Stats(); s2.Misses != st.Misses {
		t.Fatalf("recent block refetched: %+v", s2)
	}
	o.ReadAt(p, 0)
	if s3 := o.Stats(); s3.Misses != st.Misses+1 {
		t.Fatalf("evicted block not refetched: %+v", s3)
	}
}

func TestReadAheadAdapts(t *testing.T) {
	data := randomData(2<<20, 13)
	srv := s3test.Start(t)
	url := putObject(t, srv, "ra.bin", data)
	// A slow source, so read-ahead has time to be ahead of the reader.
	proxy := newFaultProxy(t, srv.Endpoint, func(int64) fault { return delay })
	proxy.delay = 20e6
	cfg := s3Config(srv, proxy.URL)
	cfg.BlockSize, cfg.MaxReadAhead, cfg.CacheBytes = 64<<10, 4, 8<<20

	seq := open(t, url, cfg)
	p := make([]byte, 16<<10)
	for off := int64(0); off < seq.Size(); off += int64(len(p)) {
		if _, err := seq.ReadAt(p, off); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
	seq.Close() // waits for read-ahead
	st := seq.Stats()
	// Over S3 a sequential run is streamed: a few growing requests rather
	// than one per 64 KiB block.
	if st.Fetches > 4 || st.Streamed < int64(len(data))/2 || st.BytesFetched != int64(len(data)) {
		t.Fatalf("sequential: %+v; want most bytes streamed by a few requests and each byte fetched once (not past the end)", st)
	}

	rnd := open(t, url, cfg)
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		off := r.Int64N(int64(len(data)) - 4096)
		if _, err := rnd.ReadAt(p[:4096], off); err != nil {
			t.Fatal(err)
		}
	}
	rnd.Close()
	if st := rnd.Stats(); st.Prefetches > 2 || st.Streamed != 0 {
		t.Fatalf("random access: %+v; read-ahead should shut off", st)
	}
}

func TestRangeViewStaysInside(t *testing.T) {
	data := randomData(3<<20, 14)
	srv := s3test.Start(t)
	putObject(t, srv, "view.bin", data)
	proxy := newFaultProxy(t, srv.Endpoint, func(int64) fault { return pass })
	cfg := s3Config(srv, proxy.URL)
	cfg.BlockSize = 256 << 10
	cfg.MaxReadAhead = 8
	o := open(t, srv.URL("view.bin"), cfg)
	a, b := int64(300_000), int64(1_900_000)
	v, err := o.Range(a, b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(io.NewSectionReader(v, 0, v.Size()))
	if err != nil || !bytes.Equal(got, data[a:b]) {
		t.Fatalf("view read: %v equal=%v", err, bytes.Equal(got, data[a:b]))
	}
	var fetched int64
	for _, r := range proxy.ranges {
		var s, e int64
		fmt.Sscanf(r, "bytes=%d-%d", &s, &e)
		if s < a || e >= b {
			t.Errorf("fetched %s outside the view [%d,%d)", r, a, b)
		}
		fetched += e - s + 1
	}

	if fetched != b-a {
		t.Logf("ranges %v", proxy.ranges)
		t.Fatalf("fetched %d bytes for a %d-byte view", fetched, b-a)
	}
	// A view of a view.
	vv, err := mezzfs.Range(v, 10, 20)
	if err != nil {
		t.Fatal(err)
	}
	q := make([]byte, 10)
	if _, err := vv.ReadAt(q, 0); err != nil || !bytes.Equal(q, data[a+10:a+20]) {
		t.Fatal("view of a view")
	}
	if _, err := mezzfs.Range(v, 5, 2); err == nil {
		t.Fatal("inverted range accepted")
	}
	v.Close()
	if _, err := vv.ReadAt(q, 0); !errors.Is(err, mezzfs.ErrClosed) {
		t.Fatalf("view of a closed view: %v", err)
	}
}

func TestDiskCacheEvictionAndDamage(t *testing.T) {
	data := randomData(2<<20, 15)
	path := writeFile(t, data)
	dir := t.TempDir()
	cfg := mezzfs.Config{BlockSize: 64 << 10, CacheBytes: -1, CacheDir: dir, CacheDirBytes: 512 << 10, MaxReadAhead: -1}
	o := open(t, path, cfg)
	if got, err := io.ReadAll(io.NewSectionReader(o, 0, o.Size())); err != nil || !bytes.Equal(got, data) {
		t.Fatal("read through disk cache")
	}
	if n := dirBytes(t, dir); n > 512<<10 {
		t.Fatalf("disk cache holds %d bytes, limit %d", n, 512<<10)
	}
	// Damage every cached file: the next reader must refetch, not serve it.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if strings.HasSuffix(p, ".blk") {
			b, _ := os.ReadFile(p)
			b[7] ^= 0xff
			os.WriteFile(p, b, 0o644)
		}
		return nil
	})
	o2 := open(t, path, cfg)
	q := make([]byte, len(data))
	if _, err := o2.ReadAt(q, 0); err != nil || !bytes.Equal(q, data) {
		t.Fatalf("read after damage: %v", err)
	}
	if st := o2.Stats(); st.DiskHits != 0 {
		t.Fatalf("damaged blocks served: %+v", st)
	}
}

func dirBytes(t *testing.T, dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".blk") {
			info, _ := d.Info()
			n += info.Size()
		}
		return nil
	})
	return n
}

// childStats runs this test binary as another process reading url through
// the disk cache at dir, and returns what that process fetched.
func childStats(t testing.TB, srv *s3test.Server, url, dir string, want [32]byte) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskCacheChild$", "-test.v")
	cmd.Env = append(os.Environ(),
		"MEZZFS_CHILD_URL="+url, "MEZZFS_CHILD_DIR="+dir, "MEZZFS_CHILD_ENDPOINT="+srv.Endpoint,
		"MEZZFS_CHILD_SHA="+hex.EncodeToString(want[:]))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

func parseChild(t testing.TB, out *bytes.Buffer) mezzfs.Stats {
	for _, line := range strings.Split(out.String(), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "CHILD-STATS "); ok {
			var st mezzfs.Stats
			if err := json.Unmarshal([]byte(rest), &st); err != nil {
				t.Fatal(err)
			}
			return st
		}
	}
	t.Fatalf("child printed no stats:\n%s", out)
	return mezzfs.Stats{}
}

// TestDiskCacheChild is the other process of TestDiskCacheSharedByProcesses.
func TestDiskCacheChild(t *testing.T) {
	url := os.Getenv("MEZZFS_CHILD_URL")
	if url == "" {
		t.Skip("runs only as a child of TestDiskCacheSharedByProcesses")
	}
	cfg := mezzfs.Config{
		S3:        mezzfs.S3Config{Endpoint: os.Getenv("MEZZFS_CHILD_ENDPOINT"), PathStyle: true, AccessKey: "test", SecretKey: "testsecret"},
		BlockSize: 256 << 10, CacheDir: os.Getenv("MEZZFS_CHILD_DIR"),
	}
	o, err := mezzfs.Open(context.Background(), url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	got, err := io.ReadAll(io.NewSectionReader(o, 0, o.Size()))
	if err != nil {
		t.Fatal(err)
	}
	if s := sum(got); os.Getenv("MEZZFS_CHILD_NOCHECK") == "" && hex.EncodeToString(s[:]) != os.Getenv("MEZZFS_CHILD_SHA") {
		t.Fatal("child read wrong bytes")
	}
	o.Close()
	b, _ := json.Marshal(o.Stats())
	fmt.Printf("CHILD-STATS %s\n", b)
}

func TestDiskCacheSharedByProcesses(t *testing.T) {
	data := randomData(4<<20+77, 16)
	srv := s3test.Start(t)
	url := putObject(t, srv, "shared.bin", data)
	want := sum(data)

	dir := t.TempDir()
	first, out1 := childStats(t, srv, url, dir, want)
	if err := first.Run(); err != nil {
		t.Fatalf("first process: %v\n%s", err, out1)
	}
	second, out2 := childStats(t, srv, url, dir, want)
	if err := second.Run(); err != nil {
		t.Fatalf("second process: %v\n%s", err, out2)
	}
	s1, s2 := parseChild(t, out1), parseChild(t, out2)
	if s1.BytesFetched != int64(len(data)) || s2.BytesFetched != 0 || s2.DiskHits == 0 {
		t.Fatalf("first fetched %d, second fetched %d (disk hits %d); want %d then 0", s1.BytesFetched, s2.BytesFetched, s2.DiskHits, len(data))
	}

	// Two processes at once on an empty cache: both read the right bytes.
	dir2 := t.TempDir()
	a, outA := childStats(t, srv, url, dir2, want)
	b, outB := childStats(t, srv, url, dir2, want)
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	errA, errB := a.Wait(), b.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("concurrent processes: %v / %v\n%s\n%s", errA, errB, outA, outB)
	}
	sa, sb := parseChild(t, outA), parseChild(t, outB)
	t.Logf("concurrent: fetched %d + %d bytes of %d", sa.BytesFetched, sb.BytesFetched, len(data))
}

// TestCacheChurn reads through a cache so small that blocks are evicted,
// and their buffers reused, while other readers still copy out of them:
// every read must still return the right bytes.
func TestCacheChurn(t *testing.T) {
	data := randomData(4<<20, 17)
	srv := s3test.Start(t)
	url := putObject(t, srv, "churn.bin", data)
	for _, name := range []string{"wrap", "s3"} {
		t.Run(name, func(t *testing.T) {
			cfg := mezzfs.Config{BlockSize: 64 << 10, CacheBytes: 192 << 10, MaxReadAhead: 2}
			var o *mezzfs.Object
			if name == "wrap" {
				o = mezzfs.Wrap("mem:churn", bytes.NewReader(data), cfg)
				t.Cleanup(func() { o.Close() })
			} else {
				c := s3Config(srv, "")
				c.BlockSize, c.CacheBytes, c.MaxReadAhead = cfg.BlockSize, cfg.CacheBytes, cfg.MaxReadAhead
				o = open(t, url, c)
			}
			var wg sync.WaitGroup
			for g := range 24 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(g), 99))
					p := make([]byte, 200_000)
					for i := range 150 {
						n := 1 + r.IntN(len(p))
						var off int64
						if i%3 == 0 { // sequential stretches feed read-ahead
							off = int64(i/3) * 65536 % int64(len(data)-n)
						} else {
							off = r.Int64N(int64(len(data) - n))
						}
						if _, err := o.ReadAt(p[:n], off); err != nil {
							t.Error(err)
							return
						}
						if !bytes.Equal(p[:n], data[off:off+int64(n)]) {
							t.Errorf("wrong bytes at %d+%d", off, n)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
