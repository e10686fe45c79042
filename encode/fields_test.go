package encode

import (
	"context"
	"fmt"
	"github.com/reelmedia/reel/internal/testmedia"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// An interlaced source encoded by x264 without a deinterlacer keeps its
// fields: the output is coded interlaced (x264's interlaced=1), with the
// source's field order in the stream and the container, as Probe and
// ffprobe see it; chunks join to the one-chunk encode frame for frame. A
// deinterlaced encode of the same source is progressive.
func TestInterlacedEncodeKeepsFields(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		path  func(testing.TB) string
		order string
		size  int // output height: 0 keeps the size (a scale is field by field)
	}{
		{"h264-tff", corpus.InterlacedH264, "tt", 0},
		{"mpeg2-bff", corpus.InterlacedMPEG2, "bb", 0},
		{"mpeg2-bff-scaled", corpus.InterlacedMPEG2, "bb", 120},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := c.path(t)
			in := FileInput(src)
			dir := t.TempDir()
			p := lossless
			p.Height = c.size
			one, err := EncodeRange(ctx, in, filepath.Join(dir, "one.mp4"), p, 0, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			info, err := Probe(ctx, FileInput(one.Path), ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ff := ffprobeField(t, one.Path, "stream=field_order")
			t.Logf("output: field order %q (ffprobe %q), interlaced %v, %d frames", info.FieldOrder, ff, info.Interlaced, info.FrameCount)
			if !info.Interlaced || info.FieldOrder != c.order || ff != c.order {
				t.Errorf("output field order %q (ffprobe %q), interlaced %v; want %q like the source", info.FieldOrder, ff, info.Interlaced, c.order)
			}
			if c.size > 0 {
				// field by field: each output field is the source's field
				// scaled, not a blend of both fields' rows
				psnr := fieldPSNR(t, one.Path, src, info.Width, c.size/2)
				t.Logf("fields against the source's fields scaled: PSNR %.2f dB", psnr)
				if psnr < 60 {
					t.Errorf("fields against the source's fields scaled: PSNR %.2f dB, want 60 or more (lossless, scaled field by field)", psnr)
				}
			}
			if info.FrameCount != 50 {
				t.Errorf("%d frames, want 50", info.FrameCount)
			}
			var paths []string
			for s := int64(0); s < 50; s += 12 {
				cr, err := EncodeRange(ctx, in, filepath.Join(dir, fmt.Sprintf("c%02d.mp4", s)), p, s, min(s+12, 50), nil)
				if err != nil {
					t.Fatal(err)
				}
				paths = append(paths, cr.Path)
			}
			cat, err := Concat(ctx, paths, filepath.Join(dir, "joined.mp4"), ConcatOptions{ExpectFrames: 50})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(testmedia.FrameMD5s(t, cat.Path), " ") != strings.Join(testmedia.FrameMD5s(t, one.Path), " ") {
				t.Errorf("chunked interlaced output differs from the one-chunk encode")
			}
			p.Deinterlace = "bwdif"
			prog, err := EncodeRange(ctx, in, filepath.Join(dir, "prog.mp4"), p, 0, 12, nil)
			if err != nil {
				t.Fatal(err)
			}
			if info, err := Probe(ctx, FileInput(prog.Path), ProbeOptions{}); err != nil || info.Interlaced {
				t.Errorf("deinterlaced output: interlaced %v (%v), want progressive", info.Interlaced, err)
			}
		})
	}
}

// fieldPSNR is the average luma PSNR of out's fields against src's fields
// scaled to w×h (the ffmpeg CLI's separatefields and psnr filters).
func fieldPSNR(t *testing.T, out, src string, w, h int) float64 {
	t.Helper()
	graph := fmt.Sprintf("[0:v]separatefields,format=yuv420p[a];[1:v]separatefields,scale=%d:%d,format=yuv420p[b];[a][b]psnr", w, h)
	b, err := exec.Command("ffmpeg", "-nostdin", "-i", out, "-i", src, "-lavfi", graph, "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg psnr: %v\n%s", err, b)
	}
	i := strings.LastIndex(string(b), "y:")
	if i < 0 {
		t.Fatalf("no PSNR in\n%s", b)
	}
	var y float64
	if _, err := fmt.Sscanf(string(b[i:]), "y:%f", &y); err != nil {
		t.Fatalf("PSNR %q: %v", b[i:min(i+20, len(b))], err)
	}
	return y
}
