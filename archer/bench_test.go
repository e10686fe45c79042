package archer

import (
	"context"
	"os/exec"
	"testing"

	"github.com/reelmedia/reel/media"
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

// BenchmarkReduce measures the reduce step (shot, fade and dissolve
// detection, segments, per-shot statistics) on 20,000 frames (13 minutes at
// 25 fps) of real signatures: the shot clips' frames repeated.
func BenchmarkReduce(b *testing.B) {
	needFFmpeg(b)
	cfg := Config{Analyzers: benchAnalyzers, Threads: 1}
	r, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var recs []FrameRecord
	for _, c := range shotClips() {
		a := analyzePartial(b, r, makeClip(b, &c))
		recs = append(recs, a.Frames...)
	}
	const n = 20000
	p := &Partial{Width: 640, Height: 360, Analyzers: r.Config().Analyzers, End: n}
	for i := 0; i < n; i++ {
		f := recs[i%len(recs)]
		f.Index, f.PTS = int64(i), float64(i)/clipFPS
		p.Frames = append(p.Frames, f)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Reduce(cfg, clipFPS, []*Partial{p}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "frames/s")
}

func analyzePartial(tb testing.TB, r *Runner, path string) *Partial {
	tb.Helper()
	pr, err := openPipe(path, 0, 0, 0, 0, clipFPS, false)
	if err != nil {
		tb.Fatal(err)
	}
	defer pr.Close()
	p, err := r.AnalyzeChunk(context.Background(), pr, ChunkSpan{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkAnalyzeDecoded1080p: archer alone (downscale and
// shots+black+freeze+sharpness) on 1080p frames already decoded into
// memory, one worker: the analysis cost without the decoder's.
func BenchmarkAnalyzeDecoded1080p(b *testing.B) {
	needFFmpeg(b)
	path := benchClip(b)
	pr, err := openPipe(path, 0, 0, 0, 60, clipFPS, false)
	if err != nil {
		b.Fatal(err)
	}
	var frames []*media.Frame
	for {
		f, err := pr.ReadFrame(context.Background())
		if err != nil {
			break
		}
		frames = append(frames, f.Clone())
	}
	pr.Close()
	r, err := New(Config{Analyzers: benchAnalyzers, Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.AnalyzeChunk(context.Background(), &memReader{frames: frames}, ChunkSpan{}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(frames)*b.N)/b.Elapsed().Seconds(), "fps")
}
