package encode

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/media"
)

func TestProbeFieldOrder(t *testing.T) {
	cases := []struct {
		name       string
		path       string
		order      string
		interlaced bool
	}{
		{"h264 ts tff", corpus.InterlacedH264(t), "tt", true},
		{"mpeg2 ts bff", corpus.InterlacedMPEG2(t), "bb", true},
		{"progressive mp4", srcClip(t), "progressive", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			info, err := Probe(context.Background(), FileInput(c.path), ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if want := ffprobeField(t, c.path, "stream=field_order"); want != c.order {
				t.Fatalf("ffprobe says field order %q, the case %q", want, c.order)
			}
			if info.FieldOrder != c.order || info.Interlaced != c.interlaced {
				t.Fatalf("field order %q interlaced %v, want %q %v", info.FieldOrder, info.Interlaced, c.order, c.interlaced)
			}
		})
	}
}

// A stream whose codec parameters do not give the field order is judged by
// its first decoded frame's flags.
func TestFieldOrderFromFirstFrame(t *testing.T) {
	for _, c := range []struct{ path, want string }{{corpus.InterlacedMPEG2(t), "bb"}, {srcClip(t), "progressive"}} {
		v := VideoStream{}
		if err := v.fromFirstFrame(context.Background(), "probe", FileInput(c.path)); err != nil {
			t.Fatal(err)
		}
		if v.FieldOrder != c.want || v.Interlaced != (c.want != "progressive") {
			t.Fatalf("%s: field order %q interlaced %v, want %q", c.path, v.FieldOrder, v.Interlaced, c.want)
		}
	}
}

// frameMD5 hashes a decoded frame's planes, row by row without padding.
func frameMD5(f *media.Frame) string {
	h := md5.New()
	for _, p := range f.Planes {
		bps := 1
		if p.BitDepth > 8 {
			bps = 2
		}
		for y := 0; y < p.Height; y++ {
			h.Write(p.Pix[y*p.Stride : y*p.Stride+p.Width*bps])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// A deinterlaced encode has the frames of the ffmpeg CLI's deinterlace
// with the same filter (compared through a lossless encode), as many; a
// chunked encode equals the one-chunk encode; the deinterlaced reference
// decode (scoring) gives the same frames for any range; the output is
// tagged progressive.
func TestDeinterlace(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name, path, mode, graph string
	}{
		{"h264 bwdif", corpus.InterlacedH264(t), "bwdif", "bwdif=mode=send_frame"},
		{"mpeg2 bwdif", corpus.InterlacedMPEG2(t), "bwdif", "bwdif=mode=send_frame"},
		{"mpeg2 yadif", corpus.InterlacedMPEG2(t), "yadif", "yadif=mode=send_frame"},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := testmedia.FrameMD5s(t, c.path, "-vf", c.graph)
			if len(want) != 50 {
				t.Fatalf("the CLI made %d frames, want 50", len(want))
			}
			if plain := testmedia.FrameMD5s(t, c.path); slices.Equal(plain[1:10], want[1:10]) {
				t.Fatal("the deinterlaced frames equal the source's: the test would prove nothing")
			}
			dir := t.TempDir()
			p := lossless
			p.Deinterlace = c.mode
			one := filepath.Join(dir, "one.mkv") // Matroska stores the field order
			if _, err := EncodeRange(ctx, FileInput(c.path), one, p, 0, 0, nil); err != nil {
				t.Fatal(err)
			}
			got := testmedia.FrameMD5s(t, one)
			if !slices.Equal(got, want) {
				t.Fatalf("%d frames, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
			}
			if fo := ffprobeField(t, one, "stream=field_order"); fo != "progressive" {
				t.Errorf("output field order %q, want progressive", fo)
			}
			// (a range starting at frame 47 to 49 of these MPEG-TS files
			// cannot be decoded, with or without a deinterlacer: the last
			// chunk starts earlier)
			var chunks []string
			for _, r := range [][2]int64{{0, 12}, {12, 24}, {24, 36}, {36, 50}} {
				out := filepath.Join(dir, fmt.Sprintf("c%02d.mp4", r[0]))
				if _, err := EncodeRange(ctx, FileInput(c.path), out, p, r[0], r[1], nil); err != nil {
					t.Fatal(err)
				}
				chunks = append(chunks, out)
			}
			joined := filepath.Join(dir, "joined.mp4")
			if _, err := Concat(ctx, chunks, joined, ConcatOptions{ExpectFrames: 50}); err != nil {
				t.Fatal(err)
			}
			if joined := testmedia.FrameMD5s(t, joined); !slices.Equal(joined, want) {
				t.Fatalf("chunked: %d frames, first difference at %d", len(joined), firstDiff(joined, want))
			}
			for _, r := range [][2]int64{{0, 50}, {1, 11}, {12, 29}, {40, 0}} {
				fr, err := OpenFrames(ctx, FileInput(c.path), DecodeOptions{Start: r[0], End: r[1], Deinterlace: c.mode, Threads: 1})
				if err != nil {
					t.Fatal(err)
				}
				n := r[0]
				for ; ; n++ {
					f, err := fr.ReadFrame(ctx)
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					if f.Index != n || frameMD5(f) != want[n] {
						t.Fatalf("range %v: frame %d (index %d) differs from the CLI's", r, n, f.Index)
					}
				}
				fr.Close()
				if end := r[1]; end == 0 && n != 50 || end != 0 && n != end {
					t.Fatalf("range %v: ended at %d", r, n)
				}
			}
		})
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
