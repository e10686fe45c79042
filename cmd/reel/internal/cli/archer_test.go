package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reelmedia/reel/archer"
	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/internal/testmedia"
)

// archerClip makes 110 frames at 320x180: moving test pattern, a hard cut
// to 30 black frames, a hard cut to colour bars.
func archerClip(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "archer.mkv")
	ffmpegCLI(t, "-filter_complex",
		"testsrc2=s=320x180:r=25,trim=end_frame=40[a];color=c=black:s=320x180:r=25,trim=end_frame=30[b];"+
			"smptehdbars=s=320x180:r=25,trim=end_frame=40[c];[a][b][c]concat=n=3:v=1:a=0,setpts=N/25/TB,format=yuv420p[out]",
		"-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", "25", out)
	return out
}

func readAnalysis(t *testing.T, path string) *archer.Analysis {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var a archer.Analysis
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &a
}

func TestArcherRunCommand(t *testing.T) {
	in := archerClip(t)
	dir := t.TempDir()
	report, sheet := filepath.Join(dir, "analysis.json"), filepath.Join(dir, "sheet.jpg")
	code, stdout, stderr := runCLI(t, "archer", "run", in, "-q", "--min-black", "0.5", "-o", report, "--contact-sheet", sheet)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"shots      3", "cut      at frame 40", "cut      at frame 70", "black      1 segments", "frames 40-69"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	a := readAnalysis(t, report)
	if a.End != 110 || len(a.Shots) != 3 || len(a.Black) != 1 || a.Black[0].Start != 40 || a.Black[0].End != 70 {
		t.Errorf("report: %d frames, %d shots, black %+v", a.End, len(a.Shots), a.Black)
	}
	if len(a.Thumbnails) != 2 || a.Width != 320 || a.Height != 180 {
		t.Errorf("report: %d thumbnails (want 2: the black shot has none), size %dx%d", len(a.Thumbnails), a.Width, a.Height)
	}
	if b, err := os.ReadFile(sheet); err != nil || len(b) < 1000 || b[0] != 0xFF || b[1] != 0xD8 {
		t.Errorf("contact sheet: %d bytes, %v", len(b), err)
	}
}

// TestArcherDeterministic: the report through the real decoder is the same
// for one chunk on one thread as for many small chunks (each decoded from
// its own seek) on several.
func TestArcherDeterministic(t *testing.T) {
	in := archerClip(t)
	dir := t.TempDir()
	var reports []string
	for i, args := range [][]string{{"--threads", "1", "--chunk-frames", "1000"}, {"--threads", "3", "--chunk-frames", "17"}, {"--threads", "2", "--chunk-frames", "30"}} {
		out := filepath.Join(dir, "a"+string(rune('0'+i))+".json")
		full := append([]string{"archer", "run", in, "-q", "--analyzers", "all", "-o", out}, args...)
		if code, _, stderr := runCLI(t, full...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, string(b))
	}
	if reports[0] != reports[1] {
		t.Error("reports differ between 1 thread × 1 chunk and 3 threads × 17-frame chunks")
	}
	if reports[0] != reports[2] {
		t.Error("reports differ between 1 thread × 1 chunk and 2 threads × chunks cut at keyframes")
	}
}

// TestArcherFrameRange: a range that starts after frame 0 is analysed with
// the frame before it as context, the same for any chunking.
func TestArcherFrameRange(t *testing.T) {
	in := archerClip(t)
	var reports []string
	for _, args := range [][]string{{"--threads", "1", "--chunk-frames", "1000"}, {"--threads", "3", "--chunk-frames", "10"}} {
		full := append([]string{"archer", "run", in, "-q", "--json", "--analyzers", "shots,black,freeze,siti", "--frames", "33:95"}, args...)
		code, stdout, stderr := runCLI(t, full...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var a archer.Analysis
		if err := json.Unmarshal([]byte(stdout), &a); err != nil {
			t.Fatal(err)
		}
		if a.Start != 33 || a.End != 95 || len(a.Frames) != 62 || len(a.Black) != 1 || a.Black[0].Start != 40 {
			t.Errorf("%v: frames [%d,%d) (%d records), black %+v; want [33,95), black from 40", args, a.Start, a.End, len(a.Frames), a.Black)
		}
		reports = append(reports, stdout)
	}
	if reports[0] != reports[1] {
		t.Error("a frame range gives different reports for different chunkings")
	}
}

func TestArcherRunBadInput(t *testing.T) {
	in := archerClip(t)
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{filepath.Join(dir, "nope.mp4")}, 1, "nope.mp4"},
		{"not media", []string{"archer_test.go"}, 1, "archer_test.go"},
		{"empty frame range", []string{in, "--frames", "50:50"}, 2, "--frames"},
		{"range past the end", []string{in, "--frames", "100:500"}, 2, "110"},
		{"bad range syntax", []string{in, "--frames", "7"}, 2, "a:b"},
		{"unknown analyzer", []string{in, "--analyzers", "shots,bogus"}, 2, "bogus"},
		{"missing cascade", []string{in, "--analyzers", "faces", "--cascade", filepath.Join(dir, "none.xml")}, 1, "face cascade not found"},
		{"no arguments", nil, 2, "INPUT"},
		{"unwritable report", []string{in, "-q", "--analyzers", "black", "-o", filepath.Join(dir, "no", "such", "dir", "a.json")}, 1, "a.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"archer", "run"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
				t.Errorf("exit %d, stderr %q; want exit %d naming %q in one line", code, stderr, tc.code, tc.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed runs left files behind: %v", entries)
	}
}

// archerBenchClip is 10 s of 1080p25 cuts between moving sources, cached
// in os.UserCacheDir()/reel-bench: "h264" is x264 CRF 20 with its default
// long GOP (keyframes only at the cuts), "prores" the same pictures as a
// ProRes 422 HQ mezzanine (every frame a keyframe).
func archerBenchClip(b *testing.B, kind string) string {
	b.Helper()
	codec := []string{"-c:v", "libx264", "-preset", "veryfast", "-crf", "20"}
	name, ext := "cli-archer-1080p", "mkv"
	if kind == "prores" {
		codec = []string{"-c:v", "prores_ks", "-profile:v", "3", "-pix_fmt", "yuv422p10le"}
		name, ext = "cli-archer-1080p-prores", "mov"
	}
	args := append([]string{"-filter_complex",
		"testsrc2=s=1920x1080:r=25,trim=end_frame=90[a];mandelbrot=s=1920x1080:r=25,trim=end_frame=80[b];" +
			"smptehdbars=s=1920x1080:r=25,trim=end_frame=80[c];[a][b][c]concat=n=3:v=1:a=0,setpts=N/25/TB,format=yuv420p[out]",
		"-map", "[out]"}, codec...)
	return testmedia.File(b, name, ext, args...)
}

// BenchmarkArcherVsScdet1080p is issue 6's throughput figure: `reel archer
// run` (in process, default flags, shots+black+freeze+sharpness) against
// `ffmpeg -vf scdet` (threads auto) on the same 250-frame 1080p file, run
// in pairs one after the other so that both see the same machine. It
// reports each side's fps and CPU seconds per run, and the median and
// lowest of the per-pair ratios scdet time / archer time (>= 1 means archer
// is at least as fast). "fast" adds --fast-decode; ARCHER_BENCH_ARGS adds
// more flags to archer's side (e.g. "--threads 3"). ARCHER_BENCH_INPUT
// adds a case for any file ("input"), e.g. a real mezzanine.
func BenchmarkArcherVsScdet1080p(b *testing.B) {
	kinds := []string{"h264", "prores"}
	if os.Getenv("ARCHER_BENCH_INPUT") != "" {
		kinds = append(kinds, "input")
	}
	for _, kind := range kinds {
		for _, fast := range []bool{false, true} {
			name := kind
			if fast {
				name += "-fast"
			}
			b.Run(name, func(b *testing.B) {
				in := os.Getenv("ARCHER_BENCH_INPUT")
				if kind != "input" {
					in = archerBenchClip(b, kind)
				}
				frames := archerBenchFrames(b, in)
				args := []string{"archer", "run", in, "-q", "--analyzers", "shots,black,freeze,sharpness"}
				if fast {
					args = append(args, "--fast-decode")
				}
				args = append(args, strings.Fields(os.Getenv("ARCHER_BENCH_ARGS"))...)
				var ratios []float64
				var tArcher, tScdet time.Duration
				var cArcher, cScdet float64
				for b.Loop() {
					c0, t0 := rusageSeconds(syscall.RUSAGE_SELF), time.Now()
					if code, _, stderr := runCLIB(args...); code != 0 {
						b.Fatalf("exit %d: %s", code, stderr)
					}
					ta := time.Since(t0)
					c1, k0, t1 := rusageSeconds(syscall.RUSAGE_SELF), rusageSeconds(syscall.RUSAGE_CHILDREN), time.Now()
					if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-threads", "0", "-i", in, "-vf", "scdet=threshold=10", "-f", "null", "-").CombinedOutput(); err != nil {
						b.Fatalf("%v: %s", err, out)
					}
					ts := time.Since(t1)
					tArcher, tScdet = tArcher+ta, tScdet+ts
					cArcher, cScdet = cArcher+c1-c0, cScdet+rusageSeconds(syscall.RUSAGE_CHILDREN)-k0
					ratios = append(ratios, ts.Seconds()/ta.Seconds())
				}
				slices.Sort(ratios)
				n := float64(len(ratios))
				b.ReportMetric(frames*n/tArcher.Seconds(), "archer-fps")
				b.ReportMetric(frames*n/tScdet.Seconds(), "scdet-fps")
				b.ReportMetric(cArcher/n, "archer-cpu-s")
				b.ReportMetric(cScdet/n, "scdet-cpu-s")
				b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
				b.ReportMetric(ratios[0], "min-ratio")
			})
		}
	}
}

// archerBenchFrames is the frame count of a benchmark input.
func archerBenchFrames(b *testing.B, path string) float64 {
	b.Helper()
	info, err := encode.Probe(context.Background(), encode.FileInput(path), encode.ProbeOptions{})
	if err != nil || info.Video() == nil {
		b.Fatalf("%s: %v", path, err)
	}
	return float64(info.FrameCount)
}

// rusageSeconds is the user+system CPU time of who (this process or its
// finished children).
func rusageSeconds(who int) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func runCLIB(args ...string) (int, string, string) {
	var stdout, stderr strings.Builder
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}
