package mezzfs_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/mezzfs"
)

// TestStreamRunOvershoot reads runs of several lengths from the middle of
// an S3 object (as a chunk worker does), closes the Object, and checks the
// bytes fetched stay within the run plus the cold first read's 256 KiB plus
// what the responses left open when the run stopped may have had in flight:
// they are closed, not drained, and count the bytes read from them plus at
// most 1 MiB each (the one being read and the one opened ahead of it).
func TestStreamRunOvershoot(t *testing.T) {
	data := randomData(48<<20, 31)
	srv := s3test.Start(t)
	url := putObject(t, srv, "run.bin", data)
	for _, run := range []int64{3 << 20, 10 << 20, 30 << 20} {
		t.Run(fmt.Sprint(run>>20, "MiB"), func(t *testing.T) {
			o := open(t, url, s3Config(srv, ""))
			p := make([]byte, 64<<10)
			start := int64(5<<20 + 12345)
			for off := start; off < start+run; off += int64(len(p)) {
				if _, err := o.ReadAt(p, off); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(p, data[off:off+int64(len(p))]) {
					t.Fatalf("wrong bytes at %d", off)
				}
			}
			o.Close() // counts what the open responses may have had in flight
			st := o.Stats()
			limit := run + 2<<20 + 256<<10
			if st.BytesFetched > limit || st.Streamed < run/2 {
				t.Fatalf("run of %d bytes: %+v; want at most %d fetched, most streamed", run, st, limit)
			}
			t.Logf("run %d: fetched %d (%.3fx) in %d requests", run, st.BytesFetched, float64(st.BytesFetched)/float64(run), st.Fetches)
		})
	}
}

// TestStreamOutOfOrder has several goroutines take consecutive 1 MiB
// pieces in turn, as the kernel's read-ahead does under FUSE, so pieces
// arrive a little out of order: every byte must be right, and the bytes
// skipped over by an early reader are kept for the late one rather than
// fetched again.
func TestStreamOutOfOrder(t *testing.T) {
	data := randomData(24<<20, 32)
	srv := s3test.Start(t)
	url := putObject(t, srv, "ooo.bin", data)
	o := open(t, url, s3Config(srv, ""))
	const piece = 1 << 20
	offs := make(chan int64)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := make([]byte, piece)
			for off := range offs {
				if _, err := o.ReadAt(p, off); err != nil {
					t.Error(err)
					continue
				}
				if !bytes.Equal(p, data[off:off+piece]) {
					t.Errorf("wrong bytes at %d", off)
				}
			}
		}()
	}
	for off := int64(0); off < int64(len(data)); off += piece {
		offs <- off
	}
	close(offs)
	wg.Wait()
	st := o.Stats()
	if st.BytesFetched > int64(len(data))*5/4 {
		t.Fatalf("%+v: fetched %.2fx the object", st, float64(st.BytesFetched)/float64(len(data)))
	}
	t.Logf("fetched %.3fx in %d requests, %d bytes streamed", float64(st.BytesFetched)/float64(len(data)), st.Fetches, st.Streamed)
}

// TestRandomReadFetchesLittle: a cold random read fetches the 256 KiB
// around it, not its whole 8 MiB block; a second miss in the block widens
// the cached part (one entry) so re-reading both is served from memory.
func TestRandomReadFetchesLittle(t *testing.T) {
	data := randomData(32<<20, 33)
	srv := s3test.Start(t)
	url := putObject(t, srv, "rnd.bin", data)
	o := open(t, url, s3Config(srv, ""))
	p := make([]byte, 4096)
	read := func(off int64) {
		t.Helper()
		if _, err := o.ReadAt(p, off); err != nil || !bytes.Equal(p, data[off:off+4096]) {
			t.Fatalf("ReadAt(%d): %v", off, err)
		}
	}
	read(9<<20 + 1000)
	if st := o.Stats(); st.BytesFetched != 256<<10 {
		t.Fatalf("cold random read fetched %d bytes, want 256 KiB", st.BytesFetched)
	}
	read(11<<20 + 5000)
	st := o.Stats()
	if st.BytesFetched > 256<<10+(2<<20+256<<10) {
		t.Fatalf("second miss fetched %d bytes in all", st.BytesFetched)
	}
	read(9<<20 + 1000)
	read(10 << 20)
	read(11<<20 + 5000)
	if s2 := o.Stats(); s2.BytesFetched != st.BytesFetched || s2.Misses != st.Misses {
		t.Fatalf("re-reads fetched again: %+v then %+v", st, s2)
	}
}

// TestStreamDiskCache: with a disk cache, a chunk-like run is still
// streamed (fetching about its own length, not whole blocks around it), the
// whole blocks it passed through land on disk, and a second Object on the
// same cache directory reads those blocks from disk and streams only the
// rest.
func TestStreamDiskCache(t *testing.T) {
	data := randomData(40<<20, 33)
	srv := s3test.Start(t)
	url := putObject(t, srv, "disk.bin", data)
	cfg := s3Config(srv, "")
	cfg.CacheDir = t.TempDir()
	cfg.BlockSize = 4 << 20
	read := func(start, n int64) mezzfs.Stats {
		o := open(t, url, cfg)
		p := make([]byte, 1<<20)
		for off := start; off < start+n; off += int64(len(p)) {
			q := p[:min(int64(len(p)), start+n-off)]
			if _, err := o.ReadAt(q, off); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(q, data[off:off+int64(len(q))]) {
				t.Fatalf("wrong bytes at %d", off)
			}
		}
		o.Close()
		return o.Stats()
	}
	// [3 MiB, 21 MiB) passes whole blocks 1-4 ([4, 20) MiB) through.
	run := int64(18 << 20)
	first := read(3<<20, run)
	if first.BytesFetched > run+2<<20+256<<10 || first.Streamed < run/2 {
		t.Fatalf("first read: %+v; want about %d fetched, most streamed", first, run)
	}
	files := 0
	filepath.WalkDir(cfg.CacheDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".blk") {
			files++
		}
		return nil
	})
	if files < 4 {
		t.Errorf("%d blocks on disk after streaming 4 whole blocks, want at least 4", files)
	}
	// Again from another Object: blocks 1-4 come from disk, only the
	// partial edges are fetched.
	second := read(3<<20, run)
	if second.DiskHits < 4 || second.DiskHits > 8 || second.BytesFetched > 4<<20 {
		t.Errorf("second read: %+v; want 4-8 disk hits (each block loaded once) and little fetched", second)
	}
	t.Logf("first fetched %d (%.3fx), second fetched %d with %d disk hits", first.BytesFetched, float64(first.BytesFetched)/float64(run), second.BytesFetched, second.DiskHits)
}

// TestStreamAccessLog: a streamed response is logged when it is closed,
// with what it counted as fetched, so the replay summary's bytes fetched
// agree with the Object's Stats even for a run that stops early.
func TestStreamAccessLog(t *testing.T) {
	data := randomData(32<<20, 34)
	srv := s3test.Start(t)
	url := putObject(t, srv, "log.bin", data)
	var logBuf bytes.Buffer
	cfg := s3Config(srv, "")
	cfg.AccessLog = mezzfs.NewAccessLog(&logBuf)
	o := open(t, url, cfg)
	p := make([]byte, 1<<20)
	for off := int64(3 << 20); off < 15<<20; off += int64(len(p)) {
		if _, err := o.ReadAt(p, off); err != nil {
			t.Fatal(err)
		}
	}
	o.Close()
	st := o.Stats()
	recs, err := mezzfs.ReadLog(&logBuf, "log")
	if err != nil {
		t.Fatal(err)
	}
	s := mezzfs.Summarize(recs, 3)
	failed := 0 // a response opened ahead and cancelled by Close: logged, never counted
	for _, r := range recs {
		if r.Op == mezzfs.OpFetch && r.Err != "" {
			failed++
		}
	}
	if st.Streamed == 0 || s.BytesFetched != st.BytesFetched || s.Fetches-int64(failed) != st.Fetches {
		t.Fatalf("log says %d bytes in %d fetches (%d failed), Stats %d in %d (streamed %d)", s.BytesFetched, s.Fetches, failed, st.BytesFetched, st.Fetches, st.Streamed)
	}
}
