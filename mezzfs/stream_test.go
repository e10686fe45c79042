package mezzfs_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/reelmedia/reel/internal/s3test"
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
