package mezzfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/mezzfs"
)

// conform checks the io.ReaderAt contract and content of src against want.
func conform(t *testing.T, src mezzfs.Source, want []byte) {
	t.Helper()
	size := int64(len(want))
	if src.Size() != size {
		t.Fatalf("Size = %d, want %d", src.Size(), size)
	}
	// Whole object in one read.
	all := make([]byte, size)
	n, err := src.ReadAt(all, 0)
	if n != len(all) || (err != nil && err != io.EOF) || !bytes.Equal(all, want) {
		t.Fatalf("full ReadAt: n=%d err=%v equal=%v", n, err, bytes.Equal(all, want))
	}
	// Sequential reads in odd sizes, hashed.
	var seq []byte
	buf := make([]byte, 77_777)
	for off := int64(0); ; {
		n, err := src.ReadAt(buf, off)
		seq = append(seq, buf[:n]...)
		off += int64(n)
		if n < len(buf) && err == nil {
			t.Fatalf("ReadAt(%d) n=%d < %d with nil error", off, n, len(buf))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("ReadAt(%d): %v", off, err)
		}
	}
	if sum(seq) != sum(want) {
		t.Fatal("sequential read: sha256 differs")
	}
	// At and past the end.
	for _, off := range []int64{size, size + 1, size + 1<<20} {
		if n, err := src.ReadAt(make([]byte, 10), off); n != 0 || err != io.EOF {
			t.Fatalf("ReadAt(off=%d of %d) = %d, %v; want 0, io.EOF", off, size, n, err)
		}
	}
	// Across the end: short read with io.EOF.
	if size >= 10 {
		p := make([]byte, 100)
		n, err := src.ReadAt(p, size-10)
		if n != 10 || err != io.EOF || !bytes.Equal(p[:10], want[size-10:]) {
			t.Fatalf("ReadAt across end = %d, %v; want 10, io.EOF", n, err)
		}
	}
	// Negative offset.
	if n, err := src.ReadAt(make([]byte, 1), -1); n != 0 || err == nil {
		t.Fatalf("ReadAt(-1) = %d, %v; want an error", n, err)
	}
	// Many goroutines at random ranges; buffers are scribbled on after each
	// read, so a source that kept p would serve garbage later.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for range 40 {
				off := r.Int64N(size + 10)
				p := make([]byte, 1+r.IntN(300_000))
				n, err := src.ReadAt(p, off)
				end := min(off+int64(len(p)), size)
				wantN := max(int(end-off), 0)
				switch {
				case n != wantN:
					errs <- fmt.Errorf("ReadAt(%d, len %d) n=%d want %d (err %v)", off, len(p), n, wantN, err)
					return
				case n < len(p) && err == nil:
					errs <- fmt.Errorf("ReadAt(%d, len %d) n=%d with nil error", off, len(p), n)
					return
				case err != nil && err != io.EOF:
					errs <- fmt.Errorf("ReadAt(%d, len %d): %v", off, len(p), err)
					return
				case n > 0 && !bytes.Equal(p[:n], want[off:end]):
					errs <- fmt.Errorf("ReadAt(%d, len %d): wrong bytes", off, len(p))
					return
				}
				for i := range p {
					p[i] = 0xAA
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConformance(t *testing.T) {
	const size = 3<<20 + 12345
	data := randomData(size, 1)
	srv := s3test.Start(t)
	url := putObject(t, srv, "conf/mezz.bin", data)
	path := writeFile(t, data)
	small := func(c mezzfs.Config) mezzfs.Config {
		c.BlockSize = 64 << 10
		c.CacheBytes = 1 << 20
		c.MaxReadAhead = 4
		return c
	}
	a, b := int64(100_001), int64(2<<20+999)

	cases := []struct {
		name string
		src  func(t *testing.T) mezzfs.Source
		want []byte
	}{
		{"bytes.Reader", func(t *testing.T) mezzfs.Source { return bytes.NewReader(data) }, data},
		{"wrap-bytes.Reader", func(t *testing.T) mezzfs.Source {
			o := mezzfs.Wrap("mem:data", bytes.NewReader(data), small(mezzfs.Config{}))
			t.Cleanup(func() { o.Close() })
			return o
		}, data},
		{"wrap-of-wrap-view", func(t *testing.T) mezzfs.Source {
			inner := mezzfs.Wrap("mem:inner", bytes.NewReader(data), small(mezzfs.Config{}))
			outer := mezzfs.Wrap("mem:outer", inner, mezzfs.Config{Direct: true})
			t.Cleanup(func() { outer.Close(); inner.Close() })
			v, err := outer.Range(a, b)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}, data[a:b]},
		{"file", func(t *testing.T) mezzfs.Source { return open(t, path, mezzfs.Config{Direct: true}) }, data},
		{"file-url-cached", func(t *testing.T) mezzfs.Source { return open(t, "file://"+path, small(mezzfs.Config{})) }, data},
		{"http-lastmod", func(t *testing.T) mezzfs.Source {
			return open(t, serveFile(t, path, false), mezzfs.Config{Direct: true})
		}, data},
		{"http-etag-cached", func(t *testing.T) mezzfs.Source {
			return open(t, serveFile(t, path, true), small(mezzfs.Config{}))
		}, data},
		{"s3", func(t *testing.T) mezzfs.Source {
			c := s3Config(srv, "")
			c.Direct = true
			return open(t, url, c)
		}, data},
		{"s3-cache", func(t *testing.T) mezzfs.Source { return open(t, url, small(s3Config(srv, ""))) }, data},
		{"s3-cache-default-blocks", func(t *testing.T) mezzfs.Source { return open(t, url, s3Config(srv, "")) }, data},
		{"s3-range-view", func(t *testing.T) mezzfs.Source {
			o := open(t, url, small(s3Config(srv, "")))
			v, err := mezzfs.Range(o, a, b)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}, data[a:b]},
		{"s3-disk-cache", func(t *testing.T) mezzfs.Source {
			c := small(s3Config(srv, ""))
			c.CacheBytes = -1
			c.CacheDir = t.TempDir()
			return open(t, url, c)
		}, data},
		{"section-reader", func(t *testing.T) mezzfs.Source {
			v, err := mezzfs.Range(bytes.NewReader(data), a, b)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}, data[a:b]},
		{"empty-file", func(t *testing.T) mezzfs.Source { return open(t, writeFile(t, nil), small(mezzfs.Config{})) }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { conform(t, tc.src(t), tc.want) })
	}
}

func TestReadAfterClose(t *testing.T) {
	o, err := mezzfs.Open(t.Context(), writeFile(t, []byte("abc")), mezzfs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	if _, err := o.ReadAt(make([]byte, 1), 0); !errors.Is(err, mezzfs.ErrClosed) {
		t.Fatalf("ReadAt after Close: %v, want ErrClosed", err)
	}
}
