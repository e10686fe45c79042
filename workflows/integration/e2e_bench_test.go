package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

// BenchmarkEndToEnd puts reel's job (embedded Temporal, in-process worker,
// one 720p x264 veryfast rung with VMAF on every chunk, two chunks at a
// time) beside the shell script an operator would write: the ffmpeg CLI
// encodes the same rung, decodes the source and the upscaled rendition to
// y4m at the source size, and libvmaf's vmaf tool scores them with 2
// threads. Each iteration runs both, alternating which goes first. Metrics:
// wall seconds and CPU-seconds (reel's process; the script's children) of
// each, and script-s/reel-s (above 1: reel is faster). The vmaf tool is
// $REEL_LIBVMAF or vmaf on PATH; without one the benchmark skips.
//
//	REEL_LIBVMAF=/path/to/vmaf REEL_BENCH_SECONDS=20 go test -run '^$' -bench EndToEnd -benchtime 2x ./workflows/integration/
func BenchmarkEndToEnd(b *testing.B) {
	tool := os.Getenv("REEL_LIBVMAF")
	if tool == "" {
		var err error
		if tool, err = exec.LookPath("vmaf"); err != nil {
			b.Skip("no libvmaf vmaf tool: set REEL_LIBVMAF or put vmaf on PATH; skipping the reel/script comparison")
		}
	}
	src, secs := benchClip(b)
	b.Logf("source: 1920x1080 25 fps, %d s; libvmaf: %s", secs, tool)

	ctx := context.Background()
	srv, err := devserver.Start(ctx, devserver.Config{LogFile: filepath.Join(b.TempDir(), "temporal.log")})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: srv.Address, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	w := workflows.NewWorker(c, taskQueue, workflows.WorkerOptions{Concurrency: benchConcurrency}, &workflows.Activities{TempDir: b.TempDir(), Threads: 1})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()

	reel := func(i int) (wall, cpu, vmaf float64) {
		out := b.TempDir()
		job := workflows.WithDefaults(workflows.Job{
			Source: src, Output: fileURL(out),
			Renditions: []workflows.Rendition{{Name: "x264-720p", Width: 1280, Height: 720, Codec: "x264", CRF: 23, Preset: "veryfast", Threads: 1}},
			Quality:    workflows.QualityPolicy{Metrics: []string{workflows.MetricVMAF}},
			Limits:     workflows.Limits{MaxInFlight: benchConcurrency},
		})
		t0, cpu0 := time.Now(), cpuSeconds()
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("e2e-%d-%d", time.Now().UnixNano(), i), TaskQueue: taskQueue},
			workflows.EncodeWorkflow, job)
		if err != nil {
			b.Fatal(err)
		}
		var res workflows.Result
		if err := run.Get(ctx, &res); err != nil {
			b.Fatal(err)
		}
		wall, cpu = time.Since(t0).Seconds(), cpuSeconds()-cpu0
		st, err := mezzfs.NewFileStore(out)
		if err != nil {
			b.Fatal(err)
		}
		return wall, cpu, readReportB(b, st).Renditions[0].VMAF.Mean
	}
	script := func() (wall, cpu float64) {
		dir := b.TempDir()
		dist, ref, up := filepath.Join(dir, "dist.mp4"), filepath.Join(dir, "ref.y4m"), filepath.Join(dir, "dist.y4m")
		steps := [][]string{
			{"ffmpeg", "-nostdin", "-v", "error", "-i", src, "-an", "-vf", "scale=1280:720", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", dist},
			{"ffmpeg", "-nostdin", "-v", "error", "-i", src, "-an", "-f", "yuv4mpegpipe", ref},
			{"ffmpeg", "-nostdin", "-v", "error", "-i", dist, "-vf", "scale=1920:1080:flags=bicubic", "-f", "yuv4mpegpipe", up},
			{tool, "-r", ref, "-d", up, "--threads", "2", "--json", "-o", filepath.Join(dir, "vmaf.json"), "-q"},
		}
		t0 := time.Now()
		for _, s := range steps {
			cmd := exec.Command(s[0], s[1:]...)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v: %v: %s", s, err, out)
			}
			cpu += (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
		}
		return time.Since(t0).Seconds(), cpu
	}

	b.ResetTimer()
	var reelS, reelCPU, scriptS, scriptCPU, vmaf float64
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			w, c, v := reel(i)
			reelS, reelCPU, vmaf = reelS+w, reelCPU+c, v
			sw, sc := script()
			scriptS, scriptCPU = scriptS+sw, scriptCPU+sc
		} else {
			sw, sc := script()
			scriptS, scriptCPU = scriptS+sw, scriptCPU+sc
			w, c, v := reel(i)
			reelS, reelCPU, vmaf = reelS+w, reelCPU+c, v
		}
	}
	n := float64(b.N)
	b.ReportMetric(reelS/n, "reel-s")
	b.ReportMetric(reelCPU/n, "reel-cpu-s")
	b.ReportMetric(scriptS/n, "script-s")
	b.ReportMetric(scriptCPU/n, "script-cpu-s")
	b.ReportMetric(scriptS/reelS, "script/reel")
	b.ReportMetric(vmaf, "reel-vmaf")
}
