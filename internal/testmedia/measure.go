package testmedia

import (
	"encoding/binary"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// What the tests measure on outputs, with the ffmpeg CLI and ffprobe as
// the reference: frame times and counts, decoded frames' checksums, and
// audio sync on a click track (Corpus.Clicks, ClickFlash).

// FrameTimes lists the pts and duration (seconds) of path's decoded video
// frames, as ffprobe gives them.
func FrameTimes(tb testing.TB, path string) [][2]float64 {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time,pkt_duration_time",
		"-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	var ts [][2]float64
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(strings.TrimSpace(line), ",")
		if len(f) < 2 {
			continue
		}
		ts = append(ts, [2]float64{atof(f[0]), atof(f[1])})
	}
	return ts
}

// FrameSpan is the time from path's first video frame to the end of its
// last (pts + duration), in seconds.
func FrameSpan(tb testing.TB, path string) float64 {
	tb.Helper()
	ts := FrameTimes(tb, path)
	if len(ts) == 0 {
		return 0
	}
	last := ts[len(ts)-1]
	return last[0] + last[1] - ts[0][0]
}

// FrameMD5s lists the md5 of every decoded video frame of path (ffmpeg's
// framemd5 muxer), one per frame, in order; extra are more output options
// (a filter graph, a pixel format) applied before hashing.
func FrameMD5s(tb testing.TB, path string, extra ...string) []string {
	tb.Helper()
	args := append([]string{"-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough"}, extra...)
	out, err := exec.Command("ffmpeg", append(args, "-f", "framemd5", "-")...).CombinedOutput()
	if err != nil {
		tb.Fatalf("framemd5 %s: %v\n%s", path, err, out)
	}
	var sums []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		sums = append(sums, strings.TrimSpace(f[len(f)-1]))
	}
	return sums
}

// CLIConvert converts path to H.264 in MP4 with the ffmpeg CLI (extra
// options before the output, e.g. -fps_mode passthrough or -vf fps=25)
// and returns the output's frame count and span (FrameSpan): what "the
// ffmpeg CLI gives for the same conversion".
func CLIConvert(tb testing.TB, path string, extra ...string) (int, float64) {
	tb.Helper()
	out := CLIConverted(tb, path, extra...)
	return len(FrameTimes(tb, out)), FrameSpan(tb, out)
}

// CLIConverted is CLIConvert's output file, in the test's temporary
// directory (its audio, if any, converted to AAC as the CLI does).
func CLIConverted(tb testing.TB, path string, extra ...string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "cli.mp4")
	args := append([]string{"-nostdin", "-v", "error", "-i", path}, extra...)
	args = append(args, "-c:v", "libx264", "-preset", "ultrafast", out)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		tb.Fatalf("ffmpeg %v: %v\n%s", args, err, b)
	}
	return out
}

// FlashTimes returns the pts (seconds) of path's flashes: its white video
// frames (an 8x8 grey thumbnail brighter than 128 on average), a run of
// them within 0.2 s (a flash repeated to fill a gap) timed at its first.
func FlashTimes(tb testing.TB, path string) []float64 {
	tb.Helper()
	ts := FrameTimes(tb, path)
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
		"-vf", "scale=8:8,format=gray", "-f", "rawvideo", "-").Output()
	if err != nil {
		tb.Fatalf("decoding %s: %v", path, err)
	}
	if len(out) != 64*len(ts) {
		tb.Fatalf("%s: %d bytes of 8x8 frames for %d frame times", path, len(out), len(ts))
	}
	var flashes []float64
	last := 0.0
	for i := range ts {
		sum := 0
		for _, v := range out[i*64 : (i+1)*64] {
			sum += int(v)
		}
		if sum/64 <= 128 {
			continue
		}
		if len(flashes) == 0 || ts[i][0]-last > 0.2 {
			flashes = append(flashes, ts[i][0])
		}
		last = ts[i][0]
	}
	return flashes
}

// AudioSamples decodes audio stream n of path to mono 48 kHz samples and
// gives each one's time: decoded audio frames keep their own timestamps.
func AudioSamples(tb testing.TB, path string, n int) ([]float64, []float64) {
	tb.Helper()
	sel := fmt.Sprintf("a:%d", n)
	probe, err := exec.Command("ffprobe", "-v", "error", "-select_streams", sel, "-show_entries", "frame=best_effort_timestamp_time,nb_samples",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	raw, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:"+sel, "-ac", "1", "-f", "s16le", "-").Output()
	if err != nil {
		tb.Fatalf("decoding audio of %s: %v", path, err)
	}
	var samples, times []float64
	for _, line := range strings.Split(strings.TrimSpace(string(probe)), "\n") {
		f := strings.Split(strings.TrimSpace(line), ",")
		if len(f) < 2 {
			continue
		}
		pts, ns := atof(f[0]), int(atof(f[1]))
		for i := 0; i < ns; i++ {
			times = append(times, pts+float64(i)/48000)
		}
	}
	for i := 0; i+1 < len(raw); i += 2 {
		samples = append(samples, float64(int16(binary.LittleEndian.Uint16(raw[i:])))/32768)
	}
	if len(samples) != len(times) {
		tb.Fatalf("%s: %d decoded samples, %d from the frame list", path, len(samples), len(times))
	}
	return samples, times
}

// ClickTimes finds the clicks: runs of loud samples, each timed at its
// loudest sample.
func ClickTimes(samples, times []float64) []float64 {
	var clicks []float64
	last, best := -1.0, 0.0
	for i, v := range samples {
		v = math.Abs(v)
		if v < 0.3 {
			continue
		}
		if last < 0 || times[i]-last > 0.2 { // a new click
			clicks = append(clicks, times[i])
			best = v
		} else if v > best {
			clicks[len(clicks)-1], best = times[i], v
		}
		last = times[i]
	}
	return clicks
}

// SyncBound is one AAC frame at 48 kHz (1024 samples, 21.3 ms): copied
// audio is trimmed by whole packets, so that is the most a correct output
// can be off. Measured offsets are about 1 ms (the click's own length).
const SyncBound = 1024.0 / 48000

// CheckSync asserts that path's flashes and clicks pair up one to one,
// each click within SyncBound of its flash, and that there are want of
// them.
func CheckSync(tb testing.TB, path string, want int) {
	tb.Helper()
	offsets := SyncOffsets(tb, path)
	if len(offsets) != want {
		tb.Fatalf("%s: %d flashes and clicks, want %d", filepath.Base(path), len(offsets), want)
	}
	worst := 0.0
	for i, d := range offsets {
		if math.Abs(d) > SyncBound {
			tb.Errorf("%s: click %d is %+.1f ms from its flash (bound %.1f ms)", filepath.Base(path), i, d*1000, SyncBound*1000)
		}
		worst = max(worst, math.Abs(d))
	}
	tb.Logf("%s: %d flashes, worst click offset %.2f ms", filepath.Base(path), want, worst*1000)
}

// SyncOffsets pairs path's flashes and clicks one to one, in order,
// failing the test when their counts differ, and returns each click's
// time minus its flash's (seconds). Only the time both tracks cover
// counts: a click after the last frame's end, or a flash with no audio
// left after it, is no pair.
func SyncOffsets(tb testing.TB, path string) []float64 {
	tb.Helper()
	flashes := FlashTimes(tb, path)
	samples, times := AudioSamples(tb, path, 0)
	clicks := ClickTimes(samples, times)
	ft := FrameTimes(tb, path)
	if len(ft) == 0 || len(times) == 0 {
		tb.Fatalf("%s: %d frames, %d audio samples", filepath.Base(path), len(ft), len(times))
	}
	videoEnd, audioEnd := 0.0, times[len(times)-1]
	for _, f := range ft { // (a packed B-frame AVI's last frame has no pts)
		videoEnd = max(videoEnd, f[0]+f[1])
	}
	for len(clicks) > 0 && clicks[len(clicks)-1] >= videoEnd {
		clicks = clicks[:len(clicks)-1]
	}
	for len(flashes) > 0 && flashes[len(flashes)-1] > audioEnd-48.0/48000 {
		flashes = flashes[:len(flashes)-1]
	}
	if len(flashes) != len(clicks) {
		tb.Fatalf("%s: %d flashes %v, %d clicks %v", filepath.Base(path), len(flashes), flashes, len(clicks), clicks)
	}
	offsets := make([]float64, len(flashes))
	for i := range flashes {
		offsets[i] = clicks[i] - flashes[i]
	}
	return offsets
}

func atof(s string) float64 {
	var f float64
	fmt.Sscan(s, &f)
	return f
}
