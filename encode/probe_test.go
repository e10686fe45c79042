package encode

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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

// KeyframesIfScanned lists keyframes only where the probe reads every
// packet anyway: Matroska (no frame count), not MP4 (a declared count).
func TestProbeKeyframesIfScanned(t *testing.T) {
	mp4 := srcClip(t)
	mkv := filepath.Join(t.TempDir(), "src.mkv")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", mp4, "-c", "copy", mkv).CombinedOutput(); err != nil {
		t.Fatalf("remux: %v\n%s", err, out)
	}
	for _, c := range []struct {
		path, want string
	}{{mp4, "[]"}, {mkv, "[0 25 50]"}} {
		info, err := Probe(context.Background(), FileInput(c.path), ProbeOptions{KeyframesIfScanned: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(info.Keyframes); got != c.want || info.FrameCount != 75 {
			t.Errorf("%s: keyframes %s, frames %d; want %s, 75", filepath.Base(c.path), got, info.FrameCount, c.want)
		}
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
