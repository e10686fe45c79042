package encode

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/testmedia"
)

// benchSource is 500 frames of 1280x720 testsrc2 at 25 fps (x264).
func benchSource(b *testing.B) string {
	return testmedia.File(b, "encode-src720p-500", "mp4", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
		"-frames:v", "500", "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-pix_fmt", "yuv420p")
}

// BenchmarkChunkEncode encodes the same 500-frame 720p clip with reel's
// EncodeRange and with the ffmpeg CLI, same settings (libx264 veryfast
// crf 23, keyint 250, closed GOP, no scene cuts, threads auto), alternating
// so that load on the machine hits both. Metrics: go_fps, ffmpeg_fps and
// go/ffmpeg.
func BenchmarkChunkEncode(b *testing.B) {
	src := benchSource(b)
	dir := b.TempDir()
	ctx := context.Background()
	p := Profile{Codec: "x264", CRF: 23, Preset: "veryfast", GOP: 250}
	var goTime, ffTime, goCPU, ffCPU time.Duration
	const frames = 500
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0 := cpuTime()
		t0 := time.Now()
		res, err := EncodeRange(ctx, FileInput(src), filepath.Join(dir, "go.mp4"), p, 0, 0, nil)
		if err != nil {
			b.Fatal(err)
		}
		if res.Frames != frames {
			b.Fatalf("%d frames", res.Frames)
		}
		goTime += time.Since(t0)
		goCPU += cpuTime() - c0

		t0 = time.Now()
		cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", src, "-an", "-c:v", "libx264", "-preset", "veryfast",
			"-crf", "23", "-g", "250", "-keyint_min", "250", "-sc_threshold", "0", "-flags", "+cgop", "-threads", "0",
			filepath.Join(dir, "ff.mp4"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		ffTime += time.Since(t0)
		ffCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.StopTimer()
	// same settings should give the same H.264 bitstream
	b.Logf("video bitstreams identical: %v", videoMD5(b, filepath.Join(dir, "go.mp4")) == videoMD5(b, filepath.Join(dir, "ff.mp4")))
	goFPS := float64(frames*b.N) / goTime.Seconds()
	ffFPS := float64(frames*b.N) / ffTime.Seconds()
	b.ReportMetric(goFPS, "go_fps")
	b.ReportMetric(ffFPS, "ffmpeg_fps")
	b.ReportMetric(goFPS/ffFPS, "go/ffmpeg")
	b.ReportMetric(float64(frames*b.N)/goCPU.Seconds(), "go_frames/cpu_s")
	b.ReportMetric(float64(frames*b.N)/ffCPU.Seconds(), "ffmpeg_frames/cpu_s")
}

// cpuTime is the user+system time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func videoMD5(b *testing.B, path string) string {
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v", "-c", "copy", "-f", "md5", "-").CombinedOutput()
	if err != nil {
		b.Fatalf("md5 %s: %v\n%s", path, err, out)
	}
	return string(out)
}

// BenchmarkConcat joins 100 chunks of 2 s (720p x264, 50 frames each) into
// one 200-second mp4 by stream copy. Metric: s/min_output, the seconds of
// work per minute of output.
func BenchmarkConcat(b *testing.B) {
	src := benchSource(b)
	dir := b.TempDir()
	ctx := context.Background()
	p := Profile{Codec: "x264", CRF: 23, Preset: "veryfast", GOP: 50}
	var distinct []string
	for i := 0; i < 10; i++ {
		path := filepath.Join(dir, fmt.Sprintf("encode-chunk2s-%d.mp4", i))
		if _, err := EncodeRange(ctx, FileInput(src), path, p, int64(i*50), int64(i*50+50), nil); err != nil {
			b.Fatal(err)
		}
		distinct = append(distinct, path)
	}
	chunks := make([]string, 100)
	for i := range chunks {
		chunks[i] = distinct[i%len(distinct)]
	}
	out := filepath.Join(b.TempDir(), "assembled.mp4")
	b.ResetTimer()
	var res *ConcatResult
	for i := 0; i < b.N; i++ {
		var err error
		res, err = Concat(ctx, chunks, out, ConcatOptions{ExpectFrames: 5000})
		if err != nil {
			b.Fatal(err)
		}
	}
	perMin := b.Elapsed().Seconds() / float64(b.N) / (res.Duration / 60)
	b.ReportMetric(perMin, "s/min_output")
	b.ReportMetric(float64(res.Bytes)/1e6, "MB_out")
}
