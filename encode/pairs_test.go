package encode

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/reelmedia/reel/media"
)

// The pairs an encode hands out while it runs are, byte for byte, the
// frames a second pass reads: OpenFrames of the source range (deinterlaced
// as the encoder saw it) and of the stored output, scaled back to the
// source's size. So scoring on the fly scores exactly what scoring the
// stored chunk did.
func TestPairsEqualSecondPass(t *testing.T) {
	ctx := context.Background()
	src10 := testMedia(t, "mkv", "-f", "lavfi", "-i", "testsrc2=size=256x144:rate=25", "-frames:v", "40", "-c:v", "libx264",
		"-pix_fmt", "yuv420p10le", "-preset", "fast", "-g", "12")
	src422 := testMedia(t, "mkv", "-f", "lavfi", "-i", "testsrc2=size=256x144:rate=25", "-frames:v", "40", "-c:v", "libx264",
		"-pix_fmt", "yuv422p", "-preset", "fast", "-g", "12")
	for _, c := range []struct {
		name       string
		src        string
		p          Profile
		start, end int64
		pixFmt     string
	}{
		// a range starting between keyframes, B-frames, frame threads
		{"x264 downscale", srcClip(t), Profile{Codec: "x264", Preset: "veryfast", Width: 160, Height: 90, Threads: 2}, 13, 62, "yuv420p"},
		{"x264 same size", srcClip(t), Profile{Codec: "x264", Preset: "medium", CRF: 35, Threads: 1}, 0, 0, "yuv420p"},
		{"x265 10-bit", src10, Profile{Codec: "x265", Preset: "ultrafast", PixFmt: "yuv420p10le", Width: 128, Height: 72, Threads: 1}, 5, 35, "yuv420p10le"},
		{"svtav1 10-bit", src10, Profile{Codec: "svtav1", Preset: "12", PixFmt: "yuv420p10le", Threads: 1}, 0, 24, "yuv420p10le"},
		{"4:2:2 source, 4:2:0 scored", src422, Profile{Codec: "x264", Preset: "veryfast", PixFmt: "yuv420p", Threads: 1}, 3, 30, "yuv420p"},
		{"deinterlaced", corpus.InterlacedH264(t), Profile{Codec: "x264", Preset: "veryfast", Deinterlace: "bwdif", Threads: 1}, 7, 40, "yuv420p"},
		{"coded as fields", corpus.InterlacedH264(t), Profile{Codec: "x264", Preset: "veryfast", Threads: 1}, 10, 30, "yuv420p"},
		{"variable rate", corpus.VFRMP4(t), Profile{Codec: "x264", Preset: "veryfast", Height: 96, Threads: 1}, 20, 70, "yuv420p"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := FileInput(c.src)
			out := filepath.Join(t.TempDir(), "chunk.mp4")
			if c.p.Codec == "svtav1" {
				out = filepath.Join(t.TempDir(), "chunk.mkv")
			}
			var refs, dists []string
			var idx []int64
			pairs := &Pairs{PixFmt: c.pixFmt, Scaler: "bicubic", Threads: 2, Push: func(i int64, ref, dist *media.Frame) error {
				if ref.Width != dist.Width || ref.Height != dist.Height {
					t.Fatalf("pair %d: reference %dx%d, encoded %dx%d", i, ref.Width, ref.Height, dist.Width, dist.Height)
				}
				idx = append(idx, i)
				refs, dists = append(refs, frameMD5(ref)), append(dists, frameMD5(dist))
				return nil
			}}
			res, err := Encode(ctx, in, out, c.p, EncodeOptions{Start: c.start, End: c.end, Pairs: pairs})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("window %d frames", res.Window)
			if int64(len(refs)) != res.Frames || res.Window < 1 {
				t.Fatalf("%d pairs, %d frames encoded, window %d", len(refs), res.Frames, res.Window)
			}
			for i, v := range idx {
				if v != int64(i) {
					t.Fatalf("pair %d numbered %d", i, v)
				}
			}
			wantRef := readMD5s(t, in, DecodeOptions{Start: c.start, End: c.end, PixFmt: c.pixFmt, Deinterlace: c.p.Deinterlace, Threads: 1})
			v, err := Probe(ctx, in, ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			w, h := v.Video().Width, v.Video().Height
			wantDist := readMD5s(t, FileInput(out), DecodeOptions{Width: w, Height: h, Scaler: "bicubic", PixFmt: c.pixFmt, Threads: 1})
			if !slices.Equal(refs, wantRef) {
				i := firstDiff(refs, wantRef)
				t.Fatalf("reference %d differs from the source's decode (%d pairs, %d decoded)", i, len(refs), len(wantRef))
			}
			if !slices.Equal(dists, wantDist) {
				i := firstDiff(dists, wantDist)
				t.Fatalf("encoded frame %d differs from the stored output's decode (%d pairs, %d decoded)", i, len(dists), len(wantDist))
			}
			if slices.Equal(refs, dists) {
				t.Fatal("the encoded frames equal the references: the test would prove nothing")
			}
		})
	}
}

func readMD5s(t *testing.T, in Input, opts DecodeOptions) []string {
	t.Helper()
	r, err := OpenFrames(context.Background(), in, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for {
		f, err := r.ReadFrame(context.Background())
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, frameMD5(f))
	}
}

// A rate conversion changes which frames are encoded: Pairs refuses it
// before writing anything; an error from Push stops the encode with it
// and leaves no output.
func TestPairsRefusals(t *testing.T) {
	ctx := context.Background()
	in := FileInput(srcClip(t))
	dir := t.TempDir()
	push := func(int64, *media.Frame, *media.Frame) error { return nil }
	p := Profile{Codec: "x264", Preset: "ultrafast", FPS: Rational{Num: 30, Den: 1}}
	_, err := Encode(ctx, in, filepath.Join(dir, "fps.mp4"), p, EncodeOptions{End: 20, Pairs: &Pairs{PixFmt: "yuv420p", Push: push}})
	if !errors.Is(err, ErrUnsupportedPairs) {
		t.Fatalf("rate conversion with pairs: %v, want ErrUnsupportedPairs", err)
	}
	_, err = Encode(ctx, in, filepath.Join(dir, "rgb.mp4"), Profile{Codec: "x264", Preset: "ultrafast"}, EncodeOptions{End: 20, Pairs: &Pairs{PixFmt: "rgb24", Push: push}})
	if !errors.Is(err, ErrUnsupportedPixFmt) {
		t.Fatalf("rgb24 pairs: %v, want ErrUnsupportedPixFmt", err)
	}
	stop := errors.New("scorer failed")
	out := filepath.Join(dir, "stop.mp4")
	_, err = Encode(ctx, in, out, Profile{Codec: "x264", Preset: "ultrafast"}, EncodeOptions{End: 40, Pairs: &Pairs{PixFmt: "yuv420p", Push: func(i int64, _, _ *media.Frame) error {
		if i == 5 {
			return stop
		}
		return nil
	}}})
	if !errors.Is(err, stop) {
		t.Fatalf("Push failing: %v, want its error", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "stop*")); len(m) > 0 {
		t.Fatalf("a failed encode left %v", m)
	}
}
