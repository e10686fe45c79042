package archer

import (
	"context"
	"os/exec"
	"testing"
)

// The 1080p benchmark clip: 10 s of 1920x1080 at 25 fps with cuts between
// moving lavfi sources, x264 CRF 20 (a typical mezzanine-to-analysis input).
func benchClip(b *testing.B) string {
	b.Helper()
	c := clip{name: "bench1080", segs: []seg{{"A", 60, ""}, {"B", 50, ""}, {"I", 70, ""}, {"C", 70, ""}}}
	args := c.ffmpegArgs()
	args = append([]string{}, args...)
	for i, a := range args {
		if a == "-crf" {
			args[i+1] = "20"
		}
	}
	// scale every segment up to 1080p after concat
	args[1] = args[1][:len(args[1])-len("[out]")] + ",scale=1920:1080:flags=bicubic[out]"
	return generate(b, "archer-bench1080", args...)
}

const benchFrames = 250

var benchAnalyzers = []string{Shots, Black, Freeze, Sharpness}

// BenchmarkAnalyze1080p: shots+black+freeze+sharpness over the 1080p clip,
// decoded by the ffmpeg CLI (the same FFmpeg decoder scdet uses) which
// scales to the analysis size while decoding (as encode.OpenFrames with
// Width/Height does), two chunks analysed in parallel.
func BenchmarkAnalyze1080p(b *testing.B) {
	benchAnalyze(b, 480, 270, 2)
}

// BenchmarkAnalyze1080pFullRes: the same, but frames reach archer at full
// size and archer downscales them (what SI/TI and crop need).
func BenchmarkAnalyze1080pFullRes(b *testing.B) {
	benchAnalyze(b, 0, 0, 2)
}

func benchAnalyze(b *testing.B, w, h, threads int) {
	needFFmpeg(b)
	path := benchClip(b)
	r, err := New(Config{Analyzers: benchAnalyzers, Threads: threads, ChunkFrames: benchFrames / threads})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	src := pipeSource(path, w, h, clipFPS, true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, err := r.Run(context.Background(), src, RunOptions{End: benchFrames, FPS: clipFPS, Name: path})
		if err != nil {
			b.Fatal(err)
		}
		if len(a.Boundaries) != 3 {
			b.Fatalf("%d boundaries, want 3: %+v", len(a.Boundaries), a.Boundaries)
		}
	}
	b.ReportMetric(float64(benchFrames*b.N)/b.Elapsed().Seconds(), "fps")
}

// BenchmarkScdet1080p: FFmpeg's scdet filter over the same clip with the
// ffmpeg CLI (decoder threads auto), for the ratio archer/scdet.
func BenchmarkScdet1080p(b *testing.B) {
	needFFmpeg(b)
	path := benchClip(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-threads", "0", "-i", path, "-vf", "scdet=threshold=10", "-f", "null", "-")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
	b.ReportMetric(float64(benchFrames*b.N)/b.Elapsed().Seconds(), "fps")
}
