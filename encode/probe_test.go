package encode

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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

// probeCounting probes data through a ReaderAt and says how many bytes the
// probe read.
func probeCounting(t *testing.T, name string, data []byte, opts ProbeOptions) (*Info, int64) {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(data)}
	info, err := Probe(context.Background(), ReaderInput(name, cr, int64(len(data))), opts)
	if err != nil {
		t.Fatal(err)
	}
	return info, cr.n.Load()
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
// data, and from the same stream remuxed to Matroska from its cues; both
// agree with ffprobe's packet flags. KeyframesIfCheap lists them in both
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
	want := ffprobeKeyframes(t, mp4)
	if len(want) < 5 || want[0] != 0 {
		t.Fatalf("ffprobe keyframes %v", want)
	}
	scan := &Info{VideoStream: VideoStream{FrameCount: 307, Keyframes: want}}
	// Matroska's cues list them too.
	if cues, err := Probe(ctx, FileInput(mkv), ProbeOptions{Keyframes: true}); err != nil || fmt.Sprint(cues.Keyframes) != fmt.Sprint(want) || cues.FrameCount != 307 {
		t.Fatalf("mkv: %v; want keyframes %v, 307 frames", err, want)
	}
	data, err := os.ReadFile(mp4)
	if err != nil {
		t.Fatal(err)
	}
	probe := func(opts ProbeOptions) (*Info, int64) { return probeCounting(t, "mem.mp4", data, opts) }
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

// ffprobeKeyframes lists path's video keyframes as frame indices (the rank
// of each keyframe's timestamp among all) from ffprobe's packets.
func ffprobeKeyframes(tb testing.TB, path string) []int64 {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts,flags", "-of", "csv=p=0", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	var pts, keys []int64
	for _, line := range strings.Fields(string(out)) {
		f := strings.Split(line, ",")
		p, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || len(f) < 2 {
			tb.Fatalf("ffprobe %s: line %q", path, line)
		}
		pts = append(pts, p)
		if strings.HasPrefix(f[1], "K") {
			keys = append(keys, p)
		}
	}
	slices.Sort(pts)
	var idx []int64
	for _, k := range keys {
		i, _ := slices.BinarySearch(pts, k)
		idx = append(idx, int64(i))
	}
	slices.Sort(idx)
	return idx
}

// A container that declares no frame count is counted from its end, not
// read whole: Matroska and MPEG-TS, with B-frames, at 25 and 24000/1001 fps
// (Matroska's millisecond timestamps). The count matches ffprobe's, and the
// probe reads well under the file. A stream whose tail cannot be trusted
// (a tiny MPEG-TS whose seek lands on a B-frame) is still counted exactly,
// by reading every packet.
func TestProbeTailCount(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		ext, rate string
		frames    int
		args      []string
	}{
		{"mkv", "25", 1500, nil},
		{"mkv", "24000/1001", 1439, nil},
		{"ts", "25", 1500, []string{"-f", "mpegts"}},
		{"ts", "24000/1001", 1439, []string{"-f", "mpegts"}},
		{"ts", "25", 8, []string{"-f", "mpegts"}},
	} {
		args := append([]string{"-f", "lavfi", "-i", "testsrc2=size=320x180:rate=" + c.rate, "-frames:v", strconv.Itoa(c.frames),
			"-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-g", "48", "-pix_fmt", "yuv420p"}, c.args...)
		path := testMedia(t, c.ext, args...)
		name := fmt.Sprintf("%s-%s-%d", c.ext, c.rate, c.frames)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cr := &countingReader{r: bytes.NewReader(data)}
		info, err := Probe(ctx, ReaderInput(name, cr, int64(len(data))), ProbeOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := int64(ffprobeFrames(t, path)); info.FrameCount != want || want != int64(c.frames) {
			t.Errorf("%s: %d frames, ffprobe counts %d", name, info.FrameCount, want)
		}
		if c.frames > 100 && cr.n.Load() > int64(len(data))/2 {
			t.Errorf("%s: read %d of %d bytes", name, cr.n.Load(), len(data))
		}
		t.Logf("%s: %d frames, read %d of %d bytes", name, info.FrameCount, cr.n.Load(), len(data))
	}
}

// An intra-only codec's keyframes are all its frames, listed without
// reading more than a plain probe (here MJPEG in Matroska, counted from its
// tail); FFV1, whose frames may depend on earlier ones, is not intra-only.
func TestProbeIntraOnly(t *testing.T) {
	ctx := context.Background()
	mjpeg := testMedia(t, "mkv", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-frames:v", "750", "-c:v", "mjpeg", "-q:v", "8")
	data, err := os.ReadFile(mjpeg)
	if err != nil {
		t.Fatal(err)
	}
	probe := func(opts ProbeOptions) (*Info, int64) { return probeCounting(t, "mjpeg.mkv", data, opts) }
	plain, base := probe(ProbeOptions{})
	keys, n := probe(ProbeOptions{Keyframes: true})
	if !plain.IntraOnly || plain.FrameCount != 750 || len(keys.Keyframes) != 750 || keys.Keyframes[749] != 749 {
		t.Errorf("intra-only %v, %d frames, %d keyframes; want true, 750, 750", plain.IntraOnly, plain.FrameCount, len(keys.Keyframes))
	}
	if n != base || base > int64(len(data))/2 {
		t.Errorf("read %d bytes with keyframes, %d without, of %d", n, base, len(data))
	}
	ffv1 := testMedia(t, "mkv", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25", "-frames:v", "30", "-c:v", "ffv1", "-g", "10")
	info, err := Probe(ctx, FileInput(ffv1), ProbeOptions{Keyframes: true})
	if err != nil {
		t.Fatal(err)
	}
	if info.IntraOnly || fmt.Sprint(info.Keyframes) != "[0 10 20]" {
		t.Errorf("ffv1 -g 10: intra-only %v, keyframes %v; want false, [0 10 20]", info.IntraOnly, info.Keyframes)
	}
}

// Reading an MPEG-TS range from deep in the file: the seek lands before
// the keyframe it aims at (MPEG-TS seeks by timestamp), and the packets
// before that keyframe are skipped rather than decoded into broken pre-roll
// frames. The frames must still be exactly those of a read from the start,
// for ranges starting on a keyframe and between two.
func TestDecodeTSRangeSkipsToKeyframe(t *testing.T) {
	path := testMedia(t, "ts", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-frames:v", "1500",
		"-c:v", "libx264", "-preset", "veryfast", "-bf", "3", "-g", "48", "-pix_fmt", "yuv420p", "-f", "mpegts")
	ctx := context.Background()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Through a ReaderAt, as every reel command reads its input (mezzfs).
	in := ReaderInput("src.ts", bytes.NewReader(data), int64(len(data)))
	info, err := Probe(ctx, in, ProbeOptions{Keyframes: true})
	if err != nil {
		t.Fatal(err)
	}
	sums := func(from, to int64) []string {
		t.Helper()
		var out []string
		for _, f := range readAll(t, in, DecodeOptions{Start: from, End: to, Threads: 1}) {
			out = append(out, fmt.Sprintf("%d:%x", f.Index, sha256.Sum256(f.Planes[0].Pix)))
		}
		return out
	}
	k := info.Keyframes[len(info.Keyframes)/2]
	whole := sums(0, k+30)
	for _, from := range []int64{k, k + 17} {
		if got, want := sums(from, k+30), whole[from:]; !slices.Equal(got, want) {
			t.Errorf("frames %d-%d differ from a read from the start", from, k+29)
		}
	}
}
