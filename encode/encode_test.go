package encode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/reelmedia/reel/media"
)

// readAll decodes every frame of path (cloned).
func readAll(t *testing.T, in Input, opts DecodeOptions) []*media.Frame {
	t.Helper()
	ctx := context.Background()
	r, err := OpenFrames(ctx, in, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return drain(t, r)
}

// drain reads r to its end and returns copies of its frames.
func drain(t *testing.T, r *FrameReader) []*media.Frame {
	t.Helper()
	var out []*media.Frame
	for {
		f, err := r.ReadFrame(context.Background())
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f.Clone())
	}
}

// psnrY is the luma PSNR of a against b (8-bit or deeper).
func psnrY(a, b *media.Frame) float64 {
	pa, pb := a.Planes[0], b.Planes[0]
	var sse float64
	for y := 0; y < pa.Height; y++ {
		for x := 0; x < pa.Width; x++ {
			d := float64(pa.Sample(x, y) - pb.Sample(x, y))
			sse += d * d
		}
	}
	peak := float64(int(1)<<pa.BitDepth - 1)
	mse := sse / float64(pa.Width*pa.Height)
	if mse == 0 {
		return 100
	}
	return 10 * math.Log10(peak*peak/mse)
}

// checkAligned asserts that every frame of got is closest (PSNR) to the
// source frame with the same index among its ±2 neighbours.
func checkAligned(t *testing.T, got, src []*media.Frame, minPSNR float64) {
	t.Helper()
	if len(got) != len(src) {
		t.Fatalf("%d frames, source has %d", len(got), len(src))
	}
	for i, g := range got {
		best, bestJ := -1.0, -1
		for j := max(0, i-2); j <= min(len(src)-1, i+2); j++ {
			if p := psnrY(g, src[j]); p > best {
				best, bestJ = p, j
			}
		}
		if bestJ != i {
			t.Fatalf("output frame %d matches source frame %d best (%.1f dB)", i, bestJ, best)
		}
		if best < minPSNR {
			t.Fatalf("output frame %d: %.1f dB < %.1f", i, best, minPSNR)
		}
	}
}

func TestChunkedEncodeFrameExact(t *testing.T) {
	ctx := context.Background()
	src := FileInput(srcClip(t))
	dir := t.TempDir()
	p := Profile{Codec: "x264", CRF: 18, Preset: "veryfast", GOP: 30}
	bounds := []int64{0, 31, 57, 75} // 31 and 57 are not keyframes (0, 25, 50 are)
	for _, cont := range []string{"mp4", "mkv", "ts"} {
		t.Run(cont, func(t *testing.T) {
			var paths []string
			var hash string
			for i := 0; i+1 < len(bounds); i++ {
				path := filepath.Join(dir, "c"+string(rune('0'+i))+"."+cont)
				res, err := EncodeRange(ctx, src, path, p, bounds[i], bounds[i+1], nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.Frames != bounds[i+1]-bounds[i] {
					t.Fatalf("chunk %d: %d frames, want %d", i, res.Frames, bounds[i+1]-bounds[i])
				}
				if hash != "" && res.ExtradataHash != hash {
					t.Fatalf("chunk %d: extradata hash differs", i)
				}
				hash = res.ExtradataHash
				paths = append(paths, path)
			}
			out := filepath.Join(dir, "full."+cont)
			res, err := Concat(ctx, paths, out, ConcatOptions{ExpectFrames: 75})
			if err != nil {
				t.Fatal(err)
			}
			if res.Frames != 75 {
				t.Fatalf("concat frames %d", res.Frames)
			}
			if n := ffprobeFrames(t, out); n != 75 {
				t.Fatalf("ffprobe counts %d frames, want 75", n)
			}
			checkAligned(t, readAll(t, FileInput(out), DecodeOptions{}), readAll(t, src, DecodeOptions{}), 30)
		})
	}
}

func TestConcatRejectsMismatch(t *testing.T) {
	ctx := context.Background()
	src := FileInput(srcClip(t))
	dir := t.TempDir()
	a := filepath.Join(dir, "a.mp4")
	b := filepath.Join(dir, "b.mp4")
	if _, err := EncodeRange(ctx, src, a, Profile{Codec: "x264", Preset: "veryfast"}, 0, 10, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := EncodeRange(ctx, src, b, Profile{Codec: "x264", Preset: "medium"}, 10, 20, nil); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.mp4")
	_, err := Concat(ctx, []string{a, b}, out, ConcatOptions{})
	if !errors.Is(err, ErrHeaderMismatch) {
		t.Fatalf("err = %v, want ErrHeaderMismatch", err)
	}
	if _, serr := os.Stat(out); serr == nil {
		t.Fatal("partial output left behind")
	}
	_, err = Concat(ctx, []string{a, a}, out, ConcatOptions{ExpectFrames: 21})
	if !errors.Is(err, ErrHeaderMismatch) {
		t.Fatalf("frame count check: err = %v", err)
	}
	t.Log(err)
	assertNoLeftovers(t, dir, "a.mp4", "b.mp4")
}

func assertNoLeftovers(t *testing.T, dir string, keep ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	ok := map[string]bool{}
	for _, k := range keep {
		ok[k] = true
	}
	for _, e := range ents {
		if !ok[e.Name()] {
			t.Errorf("unexpected file left in output dir: %s", e.Name())
		}
	}
}

// TestChunkFromTSAndMKVSources seeks in sources without a sample index
// (MPEG-TS: binary search on timestamps) and with one (mkv cues).
func TestChunkFromTSAndMKVSources(t *testing.T) {
	ctx := context.Background()
	ref := readAll(t, FileInput(srcClip(t)), DecodeOptions{})
	for _, ext := range []string{"ts", "mkv"} {
		t.Run(ext, func(t *testing.T) {
			src := testMedia(t, ext, "-i", srcClip(t), "-c", "copy")
			got := readAll(t, FileInput(src), DecodeOptions{Start: 31, End: 57})
			if len(got) != 26 || got[0].Index != 31 {
				t.Fatalf("%d frames from %d", len(got), got[0].Index)
			}
			checkAligned(t, got, ref[31:57], 99) // decoded, not re-encoded: identical
			out := filepath.Join(t.TempDir(), "c.mp4")
			res, err := EncodeRange(ctx, FileInput(src), out, Profile{Preset: "veryfast", CRF: 18}, 31, 57, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Frames != 26 {
				t.Fatalf("%d frames", res.Frames)
			}
			checkAligned(t, readAll(t, FileInput(out), DecodeOptions{}), ref[31:57], 30)
		})
	}
}

func TestFrameRateChange(t *testing.T) {
	ctx := context.Background()
	src := FileInput(srcClip(t)) // 75 frames at 25 fps = 3 s
	for _, c := range []struct {
		fps  Rational
		want int64
	}{{Rational{50, 1}, 150}, {Rational{10, 1}, 30}} {
		out := filepath.Join(t.TempDir(), "r.mkv")
		res, err := EncodeRange(ctx, src, out, Profile{Preset: "ultrafast", FPS: c.fps}, 0, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		info, err := Probe(ctx, FileInput(out), ProbeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Frames != c.want || info.FrameCount != c.want || info.FrameRate != c.fps {
			t.Errorf("fps %v: %d frames (probe %d at %v), want %d", c.fps, res.Frames, info.FrameCount, info.FrameRate, c.want)
		}
	}
}

// TestParallelChunks encodes chunks concurrently from one shared ReaderAt,
// as a worker does, and checks the assembled result frame by frame.
func TestParallelChunks(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile(srcClip(t))
	if err != nil {
		t.Fatal(err)
	}
	in := ReaderInput("mem:src.mp4", bytes.NewReader(data), int64(len(data)))
	dir := t.TempDir()
	bounds := []int64{0, 13, 40, 61, 75}
	paths := make([]string, len(bounds)-1)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("c%d.mkv", i))
		g.Go(func() error {
			_, err := EncodeRange(gctx, in, paths[i], Profile{Preset: "veryfast", CRF: 18, GOP: 20, Threads: 1}, bounds[i], bounds[i+1], nil)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "all.mp4")
	if _, err := Concat(ctx, paths, out, ConcatOptions{ExpectFrames: 75}); err != nil {
		t.Fatal(err)
	}
	checkAligned(t, readAll(t, FileInput(out), DecodeOptions{}), readAll(t, in, DecodeOptions{}), 30)
}

// Chunks encoded on workers with different core counts must still
// concatenate: the stream headers may not depend on the thread count.
// The quality gate re-encodes single chunks at a lower CRF; those chunks must
// still concatenate with their neighbours, so headers may not depend on CRF.
func TestHeadersIndependentOfCRF(t *testing.T) {
	ctx := context.Background()
	src := FileInput(srcClip(t))
	dir := t.TempDir()
	for _, codec := range []string{"x264", "x265", "svtav1", "vp9"} {
		var chunks []string
		var hashes []string
		for i, crf := range []float64{30, 18} {
			out := filepath.Join(dir, fmt.Sprintf("%s-%d.mp4", codec, i))
			p := Profile{Codec: codec, CRF: crf, Width: 160, Preset: map[string]string{"x264": "ultrafast", "x265": "ultrafast", "svtav1": "12", "vp9": "8"}[codec]}
			res, err := EncodeRange(ctx, src, out, p, int64(10*i), int64(10*i+10), nil)
			if err != nil {
				t.Fatal(err)
			}
			chunks = append(chunks, out)
			hashes = append(hashes, res.ExtradataHash)
		}
		if hashes[0] != hashes[1] {
			t.Errorf("%s: headers differ between CRF 30 and 18", codec)
			continue
		}
		if _, err := Concat(ctx, chunks, filepath.Join(dir, codec+"-joined.mp4"), ConcatOptions{ExpectFrames: 20}); err != nil {
			t.Errorf("%s: concat of chunks at different CRFs: %v", codec, err)
		}
	}
}

func TestHeadersIndependentOfThreads(t *testing.T) {
	ctx := context.Background()
	src := FileInput(srcClip(t))
	dir := t.TempDir()
	for _, codec := range []string{"x264", "x265", "svtav1", "vp9", "ffv1", "prores"} {
		var hashes []string
		for _, threads := range []int{1, 3} {
			ext := "mkv"
			out := filepath.Join(dir, fmt.Sprintf("%s-%d.%s", codec, threads, ext))
			p := Profile{Codec: codec, Threads: threads, Width: 160, Preset: map[string]string{"x264": "ultrafast", "x265": "ultrafast", "svtav1": "12", "vp9": "8", "prores": "proxy"}[codec]}
			res, err := EncodeRange(ctx, src, out, p, 0, 10, nil)
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, res.ExtradataHash)
		}
		if hashes[0] != hashes[1] {
			t.Errorf("%s: headers differ between 1 and 3 threads", codec)
		}
	}
}
