package encode

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/asticode/go-astiav"

	"github.com/reelmedia/reel/internal/testmedia"
)

func init() {
	// corrupt inputs make FFmpeg log a lot; the errors come back typed anyway
	astiav.SetLogLevel(astiav.LogLevelQuiet)
}

// testMedia returns a file made by the ffmpeg CLI with args (output last,
// implied), cached across runs by internal/testmedia.
func testMedia(tb testing.TB, ext string, args ...string) string {
	tb.Helper()
	return testmedia.File(tb, "encode", ext, args...)
}

// srcClip is the main test source: 320x180, 25 fps, 75 frames, x264 with
// B-frames and a keyframe every 25 frames, bt709 tagged.
func srcClip(tb testing.TB) string {
	return testMedia(tb, "mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-frames:v", "75",
		"-c:v", "libx264", "-preset", "fast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
		"-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv")
}

// srcClipAudio is srcClip with a stereo AAC tone.
func srcClipAudio(tb testing.TB) string {
	return testMedia(tb, "mp4", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-frames:v", "75", "-t", "3", "-ac", "2", "-c:v", "libx264", "-preset", "fast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")
}

// ffprobeFrames counts the decodable video frames of path with ffprobe.
func ffprobeFrames(tb testing.TB, path string) int {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	var n int
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		line = strings.Trim(strings.TrimSpace(line), ",")
		if line != "" {
			if _, err := fmtSscan(line, &n); err == nil {
				return n
			}
		}
	}
	tb.Fatalf("ffprobe %s: unexpected output %q", path, out)
	return 0
}

// ffprobeField returns one ffprobe -show_entries value of path's first video
// stream or the format.
func ffprobeField(tb testing.TB, path, entry string) string {
	tb.Helper()
	args := []string{"-v", "error", "-show_entries", entry, "-of", "default=nw=1:nk=1", path}
	if strings.HasPrefix(entry, "stream=") {
		args = append([]string{"-select_streams", "v:0"}, args...)
	}
	out, err := exec.Command("ffprobe", args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	return strings.TrimSpace(strings.Split(string(out), "\n")[0])
}

func atof(s string) float64 {
	var f float64
	fmt.Sscan(s, &f)
	return f
}

// corpus makes the real-world sources (issue 14), video only.
var corpus testmedia.Corpus
