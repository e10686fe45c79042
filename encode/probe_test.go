package encode

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
)

func fmtSscan(s string, n *int) (int, error) { return fmt.Sscan(s, n) }

func TestProbe(t *testing.T) {
	path := srcClip(t)
	info, err := Probe(context.Background(), FileInput(path), ProbeOptions{Keyframes: true})
	if err != nil {
		t.Fatal(err)
	}
	v := info.Video()
	if v == nil {
		t.Fatal("no video")
	}
	if v.Codec != "h264" || v.Width != 320 || v.Height != 180 || v.PixFmt != "yuv420p" || v.BitDepth != 8 {
		t.Errorf("video = %+v", v)
	}
	if v.FrameRate != (Rational{25, 1}) || v.FrameCount != 75 {
		t.Errorf("rate %v count %d, want 25/1 75", v.FrameRate, v.FrameCount)
	}
	if fmt.Sprint(v.Keyframes) != "[0 25 50]" {
		t.Errorf("keyframes %v, want [0 25 50]", v.Keyframes)
	}
	if v.Color.Primaries != "bt709" || v.Color.Matrix != "bt709" || v.Color.Range != "tv" {
		t.Errorf("color %+v", v.Color)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// Keyframes come from an MP4's index without reading the file's media
// data, and agree with a scan of every packet (the same stream remuxed to
// Matroska, which has no frame count). KeyframesIfCheap lists them in both
// cases, as it reads nothing more there.
func TestProbeKeyframesFromIndex(t *testing.T) {
	// B-frames, GOPs of 25 and a scene-cut keyframe at the switch.
	mp4 := testMedia(t, "mp4", "-filter_complex", "testsrc2=size=320x180:rate=25,trim=end_frame=160[a];"+
		"mandelbrot=size=320x180:rate=25,trim=end_frame=147[b];[a][b]concat=n=2:v=1:a=0[out]", "-map", "[out]",
		"-c:v", "libx264", "-preset", "fast", "-g", "25", "-bf", "3", "-pix_fmt", "yuv420p")
	mkv := filepath.Join(t.TempDir(), "src.mkv")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", mp4, "-c", "copy", mkv).CombinedOutput(); err != nil {
		t.Fatalf("remux: %v\n%s", err, out)
	}
	ctx := context.Background()
	scan, err := Probe(ctx, FileInput(mkv), ProbeOptions{Keyframes: true})
	if err != nil {
		t.Fatal(err)
	}
	if scan.FrameCount != 307 || len(scan.Keyframes) < 5 || scan.Keyframes[0] != 0 {
		t.Fatalf("scan of the mkv: %d frames, keyframes %v", scan.FrameCount, scan.Keyframes)
	}
	data, err := os.ReadFile(mp4)
	if err != nil {
		t.Fatal(err)
	}
	probe := func(opts ProbeOptions) (*Info, int64) {
		t.Helper()
		cr := &countingReader{r: bytes.NewReader(data)}
		info, err := Probe(ctx, ReaderInput("mem.mp4", cr, int64(len(data))), opts)
		if err != nil {
			t.Fatal(err)
		}
		return info, cr.n.Load()
	}
	plain, base := probe(ProbeOptions{})
	if plain.Keyframes != nil {
		t.Errorf("keyframes %v without asking", plain.Keyframes)
	}
	for _, opts := range []ProbeOptions{{Keyframes: true}, {KeyframesIfCheap: true}} {
		info, n := probe(opts)
		if fmt.Sprint(info.Keyframes) != fmt.Sprint(scan.Keyframes) || info.FrameCount != 307 {
			t.Errorf("%+v: keyframes %v, frames %d; the scan found %v, 307", opts, info.Keyframes, info.FrameCount, scan.Keyframes)
		}
		// Nothing read beyond what a probe without keyframes reads.
		if n != base {
			t.Errorf("%+v: read %d bytes, a plain probe %d", opts, n, base)
		}
	}
	cheap, err := Probe(ctx, FileInput(mkv), ProbeOptions{KeyframesIfCheap: true})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cheap.Keyframes) != fmt.Sprint(scan.Keyframes) {
		t.Errorf("mkv with KeyframesIfCheap: %v, want %v", cheap.Keyframes, scan.Keyframes)
	}
}

func TestProbeReaderInput(t *testing.T) {
	path := srcClip(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := Probe(context.Background(), ReaderInput("mem.mp4", bytes.NewReader(data), int64(len(data))), ProbeOptions{Keyframes: true})
	if err != nil {
		t.Fatal(err)
	}
	if info.FrameCount != 75 || fmt.Sprint(info.Keyframes) != "[0 25 50]" || info.Size != int64(len(data)) {
		t.Errorf("info %+v", info)
	}
}

func TestOpenFramesRange(t *testing.T) {
	path := srcClip(t)
	ctx := context.Background()
	r, err := OpenFrames(ctx, FileInput(path), DecodeOptions{Start: 30, End: 40})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := int64(30)
	for {
		f, err := r.ReadFrame(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.Index != want {
			t.Fatalf("frame index %d, want %d", f.Index, want)
		}
		if f.Width != 320 || len(f.Planes) != 3 || f.Planes[1].Width != 160 {
			t.Fatalf("frame %+v", f)
		}
		want++
	}
	if want != 40 {
		t.Fatalf("got frames up to %d, want 40", want)
	}
}

// A colon in a local path must not be read as an FFmpeg protocol.
func TestProbeColonPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "take:1.mp4")
	if err := os.WriteFile(p, readFile(t, srcClip(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := Probe(context.Background(), FileInput(p), ProbeOptions{})
	if err != nil || info.FrameCount != 75 {
		t.Fatalf("%v %+v", err, info)
	}
}
