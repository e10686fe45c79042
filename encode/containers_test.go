package encode

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/testmedia"
)

// Real containers as sources (issue 14): MXF OP1a with DNxHR, an MP4
// whose edit list hides its first frames, a MOV with a timecode track and
// an MPEG-TS whose timestamps jump in the middle. Each is indexed as the
// ffmpeg CLI sees it.

func TestContainers(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		path     func(testing.TB) string
		chunk    int64
		editList bool
		timecode string
	}{
		{"mxf-dnxhr", corpus.DNxMXF, 7, false, "10:00:00:00"},
		{"mp4-editlist", corpus.EditListMP4, 9, true, ""},
		{"mov-timecode", corpus.TimecodeMOV, 8, false, "01:00:00:00"},
		{"ts-discont-forward", func(tb testing.TB) string { return corpus.DiscontTS(tb, false) }, 7, false, ""},
		{"ts-discont-backward", func(tb testing.TB) string { return corpus.DiscontTS(tb, true) }, 7, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := c.path(t)
			in := FileInput(src)
			info, err := Probe(ctx, in, ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			n := info.FrameCount
			decoded := int64(ffprobeFrames(t, src))
			wantN, wantDur := testmedia.CLIConvert(t, src)
			t.Logf("probe: %d frames, %.3f s, problems %v; ffprobe decodes %d; ffmpeg CLI: %d frames, %.3f s",
				n, info.VideoStream.Duration, info.Problems, decoded, wantN, wantDur)
			if n != decoded {
				t.Fatalf("%d frames, ffprobe decodes %d", n, decoded)
			}
			if math.Abs(float64(n)-float64(wantN)) > 1 {
				t.Errorf("%d frames, the ffmpeg CLI gives %d", n, wantN)
			}
			if math.Abs(info.VideoStream.Duration-wantDur) > 1.01/info.FPS {
				t.Errorf("probe: %.4f s, the ffmpeg CLI's %.4f s", info.VideoStream.Duration, wantDur)
			}
			if info.EditList != c.editList || info.Timecode != c.timecode {
				t.Errorf("edit list %v, timecode %q; want %v, %q", info.EditList, info.Timecode, c.editList, c.timecode)
			}
			if hasProblem(info.Problems, "truncated") {
				t.Errorf("problems %v: the file is whole", info.Problems)
			}
			dir := t.TempDir()
			one, err := EncodeRange(ctx, in, filepath.Join(dir, "one.mp4"), lossless, 0, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if one.Frames != n {
				t.Errorf("one-chunk encode: %d frames, probe %d", one.Frames, n)
			}
			cat, _ := encodeChunks(t, in, dir, lossless, n, c.chunk)
			oneSums, catSums := testmedia.FrameMD5s(t, one.Path), testmedia.FrameMD5s(t, cat.Path)
			if strings.Join(oneSums, " ") != strings.Join(catSums, " ") {
				t.Errorf("chunked output differs from the one-chunk encode (%d vs %d frames)", len(catSums), len(oneSums))
			}
			// the pictures are the ffmpeg CLI's: the lossless one-chunk
			// encode decodes to the source's frames
			if srcSums := testmedia.FrameMD5s(t, src, "-pix_fmt", "yuv420p"); strings.Join(srcSums, " ") != strings.Join(testmedia.FrameMD5s(t, one.Path, "-pix_fmt", "yuv420p"), " ") {
				t.Errorf("one-chunk encode differs from the source's frames (%d vs %d frames)", len(oneSums), len(srcSums))
			}
			if c.timecode != "" {
				if got := ffprobeTimecode(t, cat.Path); got != c.timecode {
					t.Errorf("joined output's timecode %q, the source's %q", got, c.timecode)
				}
				// the second chunk starts c.chunk frames on
				want, _ := addTimecode(c.timecode, c.chunk, info.FrameRate)
				if got := ffprobeTimecode(t, filepath.Join(dir, fmt.Sprintf("c%03d.mp4", c.chunk))); got != want {
					t.Errorf("second chunk's timecode %q, want %q", got, want)
				}
			}
			span := testmedia.FrameSpan(t, cat.Path)
			if math.Abs(span-wantDur) > 1.01/info.FPS {
				t.Errorf("chunked output lasts %.4f s, the ffmpeg CLI's %.4f s", span, wantDur)
			}
		})
	}
}

// ffprobeTimecode is the timecode ffprobe finds in path: a stream's (the
// tmcd track's) or the container's.
func ffprobeTimecode(tb testing.TB, path string) string {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream_tags=timecode:format_tags=timecode", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	for _, line := range strings.Fields(string(out)) {
		if line = strings.Trim(line, ","); line != "" {
			return line
		}
	}
	return ""
}

// Timecode arithmetic, non-drop and drop-frame, checked against the
// SMPTE rules: 29.97 drop-frame skips frames 00 and 01 of each minute but
// every tenth.
func TestAddTimecode(t *testing.T) {
	for _, c := range []struct {
		tc   string
		n    int64
		fps  Rational
		want string
	}{
		{"01:00:00:00", 0, Rational{25, 1}, "01:00:00:00"},
		{"01:00:00:00", 8, Rational{25, 1}, "01:00:00:08"},
		{"01:00:00:24", 1, Rational{25, 1}, "01:00:01:00"},
		{"23:59:59:24", 1, Rational{25, 1}, "00:00:00:00"},
		{"10:00:00:00", 90000, Rational{25, 1}, "11:00:00:00"},
		{"00:00:59;29", 1, Rational{30000, 1001}, "00:01:00;02"},
		{"00:09:59;29", 1, Rational{30000, 1001}, "00:10:00;00"},
		{"00:00:00;00", 17982, Rational{30000, 1001}, "00:10:00;00"},
		{"01:00:00:00", 3, Rational{24000, 1001}, "01:00:00:03"},
	} {
		got, ok := addTimecode(c.tc, c.n, c.fps)
		if !ok || got != c.want {
			t.Errorf("%s + %d at %v: %q (%v), want %s", c.tc, c.n, c.fps, got, ok, c.want)
		}
	}
	if _, ok := addTimecode("1:00:00:00", 1, Rational{25, 1}); ok {
		t.Error("a malformed timecode parsed")
	}
}

// BenchmarkIndex2h indexes (Probe) a 2-hour 1080p25 source, long-GOP and
// intra-only (every frame a keyframe) in MP4, Matroska and MPEG-TS, and
// reports the seconds, the bytes read and the frames found: Probe must not
// read the whole file where the container's index can be trusted (MP4's
// sample table: it fails reading more than 1% of the file). The sources
// are 10 s of 1080p joined 720 times by stream copy (the concat demuxer),
// generated once into the test media cache (several GB):
//
//	go test -run '^$' -bench Index2h -benchtime 1x ./encode/
func BenchmarkIndex2h(b *testing.B) {
	for _, c := range []struct {
		name, ext string
		gop       string
		rate      string
	}{
		{"longgop-mp4", "mp4", "50", "2M"},
		{"longgop-mkv", "mkv", "50", "2M"},
		{"longgop-ts", "ts", "50", "2M"},
		{"intra-mp4", "mp4", "1", "3M"},
		{"intra-mkv", "mkv", "1", "3M"},
		{"intra-ts", "ts", "1", "3M"},
	} {
		b.Run(c.name, func(b *testing.B) {
			src := twoHours(b, c.ext, c.gop, c.rate)
			f, err := os.Open(src)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				b.Fatal(err)
			}
			var info *Info
			cr := &countingReader{r: f}
			b.ResetTimer()
			var secs float64
			for b.Loop() {
				cr.n.Store(0)
				t0 := time.Now()
				if info, err = Probe(context.Background(), ReaderInput(c.name, cr, st.Size()), ProbeOptions{}); err != nil {
					b.Fatal(err)
				}
				secs = time.Since(t0).Seconds()
			}
			if c.ext == "mp4" && cr.n.Load() > st.Size()/100 {
				b.Errorf("probe read %d of %d bytes: the sample table is enough", cr.n.Load(), st.Size())
			}
			b.ReportMetric(secs, "seconds")
			b.ReportMetric(float64(cr.n.Load()), "bytes-read")
			b.ReportMetric(float64(st.Size()), "bytes-file")
			b.ReportMetric(float64(info.FrameCount), "frames")
		})
	}
}

// twoHours is 2 hours of 1080p25 H.264 (GOP gop, bit rate rate) in a file
// of type ext: a 10 s segment joined 720 times by stream copy.
func twoHours(tb testing.TB, ext, gop, rate string) string {
	tb.Helper()
	seg := testMedia(tb, "mp4", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25", "-t", "10", "-c:v", "libx264",
		"-preset", "ultrafast", "-g", gop, "-b:v", rate, "-pix_fmt", "yuv420p")
	dir, err := testmedia.Dir()
	if err != nil {
		tb.Fatal(err)
	}
	list := filepath.Join(dir, "index2h-"+filepath.Base(seg)+".txt")
	if _, err := os.Stat(list); err != nil {
		line := "file '" + seg + "'\n"
		if err := os.WriteFile(list, []byte(strings.Repeat(line, 720)), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return testMedia(tb, ext, "-f", "concat", "-safe", "0", "-i", list, "-map", "0:v", "-c", "copy")
}
