package encode

import (
	"bytes"
	"context"
	"errors"
	"github.com/reelmedia/reel/internal/testmedia"
	"path/filepath"
	"strings"
	"testing"
)

// A source whose index needs every packet read (packed-B AVI, an AVI with
// repeat chunks, VFR H.264 with B-frames in MP4, an MPEG-TS whose
// timestamps jump) is read once by Probe; a chunk opened with the index
// Probe made (through its binary form) reads at least a whole file's bytes
// less than one opened without, and gives the same output.
func TestIndexReuse(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		path func(testing.TB) string
	}{
		{"packed-avi", corpus.PackedAVI},
		{"repeat-avi", corpus.RepeatAVI},
		{"vfr-bframes-mp4", corpus.VFRMP4},
		{"ts-discont", func(tb testing.TB) string { return corpus.DiscontTS(tb, false) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := c.path(t)
			b := readFile(t, src)
			size := int64(len(b))
			cr := &countingReader{r: bytes.NewReader(b)}
			info, err := Probe(ctx, ReaderInput(c.name, cr, size), ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !info.FrameIndex.Scanned() || info.FrameIndex.Frames() != info.FrameCount {
				t.Fatalf("index scanned %v, %d frames; probe %d frames", info.FrameIndex.Scanned(), info.FrameIndex.Frames(), info.FrameCount)
			}
			blob, err := info.FrameIndex.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var ix Index
			if err := ix.UnmarshalBinary(blob); err != nil {
				t.Fatal(err)
			}
			again, err := ix.MarshalBinary()
			if err != nil || !bytes.Equal(again, blob) {
				t.Fatalf("index does not survive a round trip (%v)", err)
			}
			n := info.FrameCount
			start, end := n/2, n/2+n/4
			dir := t.TempDir()
			encodeRead := func(name string, x *Index) (int64, []string, *ChunkResult) {
				cr.n.Store(0)
				in := ReaderInput(c.name, cr, size)
				in.Index = x
				res, err := EncodeRange(ctx, in, filepath.Join(dir, name), lossless, start, end, nil)
				if err != nil {
					t.Fatal(err)
				}
				return cr.n.Load(), testmedia.FrameMD5s(t, res.Path), res
			}
			without, sumsWithout, resWithout := encodeRead("without.mp4", nil)
			with, sumsWith, resWith := encodeRead("with.mp4", &ix)
			t.Logf("%d frames, file %d bytes, index %d bytes (%.1f a frame); chunk [%d,%d) read %d bytes without the index, %d with",
				n, size, len(blob), float64(len(blob))/float64(n), start, end, without, with)
			if without-with < size {
				t.Errorf("the chunk read %d bytes with the index, %d without: want at least the file (%d bytes) less", with, without, size)
			}
			if strings.Join(sumsWith, " ") != strings.Join(sumsWithout, " ") || len(sumsWith) != int(end-start) {
				t.Errorf("output with the index differs from the one without (%d vs %d frames)", len(sumsWith), len(sumsWithout))
			}
			if len(resWith.Problems) != len(resWithout.Problems) {
				t.Errorf("problems with the index %v, without %v", resWith.Problems, resWithout.Problems)
			}
			// Probe given the index reads no packets either
			cr.n.Store(0)
			in := ReaderInput(c.name, cr, size)
			in.Index = &ix
			again2, err := Probe(ctx, in, ProbeOptions{})
			if err != nil || again2.FrameCount != n {
				t.Fatalf("probe with the index: %v, %d frames", err, again2.FrameCount)
			}
			t.Logf("probe with the index read %d bytes", cr.n.Load())
		})
	}
}

// An index refuses to serve another source, and its decoder refuses
// malformed bytes (each cut, each flipped byte) without a panic.
func TestIndexRefused(t *testing.T) {
	ctx := context.Background()
	info, err := Probe(ctx, FileInput(corpus.PackedAVI(t)), ProbeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other := corpus.RepeatAVI(t)
	in := FileInput(other)
	in.Index = info.FrameIndex
	if _, err := EncodeRange(ctx, in, filepath.Join(t.TempDir(), "x.mp4"), lossless, 0, 5, nil); !errors.Is(err, ErrIndexMismatch) {
		t.Errorf("another source's index: %v, want ErrIndexMismatch", err)
	}
	blob, err := info.FrameIndex.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(blob); i++ {
		var ix Index
		if err := ix.UnmarshalBinary(blob[:i]); !errors.Is(err, ErrInvalidData) {
			t.Fatalf("cut at %d of %d: %v, want ErrInvalidData", i, len(blob), err)
		}
	}
	var ix Index
	if err := ix.UnmarshalBinary(append(bytes.Clone(blob), 0)); !errors.Is(err, ErrInvalidData) {
		t.Errorf("trailing byte: %v, want ErrInvalidData", err)
	}
}

// FuzzIndexUnmarshal: no bytes make UnmarshalBinary panic, and what it
// accepts marshals back to the same bytes.
func FuzzIndexUnmarshal(f *testing.F) {
	for _, src := range []func(testing.TB) string{corpus.PackedAVI, corpus.VFRMP4, srcClip} {
		info, err := Probe(context.Background(), FileInput(src(f)), ProbeOptions{KeyframesIfCheap: true})
		if err != nil {
			f.Fatal(err)
		}
		b, err := info.FrameIndex.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("RIX\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ix Index
		if err := ix.UnmarshalBinary(b); err != nil {
			return
		}
		if _, err := ix.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	})
}
