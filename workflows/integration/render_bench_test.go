package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/workflows"
)

// BenchmarkRenderSubmit: frames per second of reel render submit on the
// embedded server with one and with two workers (in this process, one
// piece at a time each, one thread per piece), for a 2K (2048x1080) EXR
// half sequence to ProRes 422 HQ through the rec709 display transform with
// four burn-ins, in chunks of 6 frames. REEL_BENCH_FRAMES frames (default
// 24), alternating between two pictures as in encode's BenchmarkRender.
//
//	go test -run '^$' -bench RenderSubmit -benchtime 1x ./workflows/integration/
func BenchmarkRenderSubmit(b *testing.B) {
	n := 24
	if s := os.Getenv("REEL_BENCH_FRAMES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	const w, h = 2048, 1080
	dir := b.TempDir()
	seqDir := filepath.Join(dir, "seq")
	if err := os.Mkdir(seqDir, 0o755); err != nil {
		b.Fatal(err)
	}
	var pics [2][]byte
	for k := range pics {
		p := filepath.Join(dir, fmt.Sprintf("pic%d.exr", k))
		err := testmedia.WriteEXR(p, w, h, true, func(x, y int) [3]float32 {
			v := float32((x+y+k*97)%w) / float32(w)
			return [3]float32{v, 0.18, 1 - v}
		})
		if err != nil {
			b.Fatal(err)
		}
		if pics[k], err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(seqDir, fmt.Sprintf("sh010.%04d.exr", 1001+i)), pics[i%2], 0o644); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	srv, err := devserver.Start(ctx, devserver.Config{LogFile: filepath.Join(dir, "temporal.log")})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: srv.Address, Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	spec := workflows.RenderSpec{Pattern: filepath.Join(seqDir, "sh010.####.exr"), Date: "2026-12-07", Shot: "sh010", Version: "v003", Artist: "ana",
		Burnin: "top-left={shot} {version};top-right={artist} {date};bottom-left={tc};bottom-right={frame}",
		Font:   "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", Threads: 1}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			queue := fmt.Sprintf("render-bench-%d", workers)
			for range workers {
				wk := workflows.NewWorker(c, queue, workflows.WorkerOptions{Concurrency: 1}, &workflows.Activities{TempDir: b.TempDir(), Threads: 1})
				if err := wk.Start(); err != nil {
					b.Fatal(err)
				}
				defer func(wk worker.Worker) { wk.Stop() }(wk)
			}
			var wall time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out := filepath.Join(b.TempDir(), "review.mov")
				t0 := time.Now()
				run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("render-bench-%d-%d-%d", workers, i, time.Now().UnixNano()), TaskQueue: queue},
					workflows.RenderWorkflow, workflows.RenderJob{Spec: spec, Output: out, ChunkFrames: 6})
				if err != nil {
					b.Fatal(err)
				}
				var res workflows.RenderJobResult
				if err := run.Get(ctx, &res); err != nil {
					b.Fatal(err)
				}
				wall += time.Since(t0)
				if res.Result.Frames != n || res.Chunks != (n+5)/6 {
					b.Fatalf("result: %d frames in %d chunks", res.Result.Frames, res.Chunks)
				}
			}
			b.ReportMetric(float64(n*b.N)/wall.Seconds(), "fps")
		})
	}
}
