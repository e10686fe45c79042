package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

// benchClip returns a 1080p25 test clip of REEL_BENCH_SECONDS (default 20)
// seconds, made once per machine under the temp dir.
func benchClip(b *testing.B) (string, int) {
	b.Helper()
	secs := 20
	if s := os.Getenv("REEL_BENCH_SECONDS"); s != "" {
		secs, _ = strconv.Atoi(s)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("reel-bench-1080p-%ds.mp4", secs))
	if _, err := os.Stat(path); err != nil {
		tmp := path + ".tmp.mp4"
		makeClip(b, tmp, 1920, 1080, 25, secs, true)
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
	}
	return path, secs
}

// The benchmark's job: one x264 1080p rendition, 4 s chunks, VMAF and PSNR
// on every chunk, two chunks at a time with one thread each (2 cores).
func benchJob(src, out string) workflows.Job {
	return workflows.WithDefaults(workflows.Job{
		Source:     src,
		Output:     out,
		Renditions: []workflows.Rendition{{Name: "x264-1080p", Width: 1920, Height: 1080, Codec: "x264", CRF: 23, Preset: "veryfast", Threads: 1}},
		Limits:     workflows.Limits{MaxInFlight: 2},
	})
}

const benchConcurrency = 2

// BenchmarkEncode1080p compares `reel encode`'s workflow path (embedded
// Temporal, in-process worker) with the same activities called directly
// in one process with the same parallelism: the difference is Temporal's
// orchestration overhead. Metrics: encode-s and score-s are the chunk
// activities' summed times, chunks-wall-s and assemble-s wall time of those
// phases, cpu-s the process's CPU time for the whole job (server included).
//
//	REEL_BENCH_SECONDS=20 go test -run '^$' -bench Encode1080p -benchtime 1x ./workflows/integration/
func BenchmarkEncode1080p(b *testing.B) {
	src, secs := benchClip(b)
	b.Logf("source: 1920x1080 25 fps, %d s", secs)

	b.Run("direct", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			out := b.TempDir()
			acts := &workflows.Activities{TempDir: b.TempDir(), Threads: 1}
			cpu0 := cpuSeconds()
			rep := runDirect(b, acts, benchJob(src, fileURL(out)), fmt.Sprintf("direct-%d", i))
			b.ReportMetric(cpuSeconds()-cpu0, "cpu-s")
			reportTimings(b, rep)
		}
	})

	b.Run("workflow", func(b *testing.B) {
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
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			out := b.TempDir()
			cpu0 := cpuSeconds()
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i), TaskQueue: taskQueue},
				workflows.EncodeWorkflow, benchJob(src, fileURL(out)))
			if err != nil {
				b.Fatal(err)
			}
			var res workflows.Result
			if err := run.Get(ctx, &res); err != nil {
				b.Fatal(err)
			}
			st, err := mezzfs.NewFileStore(out)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(cpuSeconds()-cpu0, "cpu-s")
			reportTimings(b, readReportB(b, st))
			b.StartTimer()
		}
	})
}

// runDirect does what EncodeWorkflow does, in order, with plain calls to
// the same activities: probe, plan, encode+score chunks two at a time,
// assemble, report, clean up.
func runDirect(b *testing.B, a *workflows.Activities, job workflows.Job, id string) workflows.Report {
	b.Helper()
	ctx := context.Background()
	t0 := time.Now()
	info, err := a.Probe(ctx, job.Source, workflows.ProbeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	probed := time.Now()
	chunks, err := workflows.PlanChunks(info, job.Chunking)
	if err != nil {
		b.Fatal(err)
	}
	r := job.Renditions[0]
	results := make([]workflows.ChunkResult, len(chunks))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(benchConcurrency)
	for i, c := range chunks {
		g.Go(func() error {
			res, err := a.EncodeChunk(gctx, workflows.ChunkTask{
				Job: id, Source: job.Source, Work: job.Work, Rendition: r, Chunk: c, Attempt: 1,
				Metrics: job.Quality.Metrics, Subsample: job.Quality.Subsample,
				SourceWidth: info.Width, SourceHeight: info.Height, SourceBitDepth: info.BitDepth,
			})
			results[i] = res
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	encoded := time.Now()
	keys := make([]string, len(results))
	rec := workflows.RenditionRecord{Rendition: r}
	for i, res := range results {
		keys[i] = res.Key
		rec.Final = append(rec.Final, 1)
		rec.Tried = append(rec.Tried, 1)
		rec.Passed = append(rec.Passed, true)
	}
	audio := job.Audio.Mode
	if !info.HasAudio {
		audio = workflows.AudioNone
	}
	ar, err := a.Assemble(ctx, workflows.AssembleTask{Job: id, Source: job.Source, Work: job.Work, Output: job.Output, Rendition: r, ChunkKeys: keys, ExpectFrames: info.Frames, Audio: audio})
	if err != nil {
		b.Fatal(err)
	}
	assembled := time.Now()
	rec.Output = ar
	info.Keyframes = nil
	rt := workflows.ReportTask{Job: id, Source: job.Source, Info: info, Work: job.Work, Output: job.Output, Quality: job.Quality, Chunks: chunks,
		Renditions: []workflows.RenditionRecord{rec},
		Timings:    workflows.Timings{Probe: probed.Sub(t0).Seconds(), Chunks: encoded.Sub(probed).Seconds(), Assemble: assembled.Sub(encoded).Seconds(), Total: time.Since(t0).Seconds()}}
	if _, err := a.WriteReport(ctx, rt); err != nil {
		b.Fatal(err)
	}
	if err := a.Cleanup(ctx, workflows.CleanupTask{Work: job.Work, Job: id}); err != nil {
		b.Fatal(err)
	}
	st, err := mezzfs.NewStorage(mezzfs.Config{}).Store(ctx, job.Output)
	if err != nil {
		b.Fatal(err)
	}
	return readReportB(b, st)
}

func readReportB(b *testing.B, st mezzfs.Store) workflows.Report {
	b.Helper()
	var rep workflows.Report
	data, err := st.GetBytes(context.Background(), "report.json")
	if err != nil {
		b.Fatal(err)
	}
	if err := jsonUnmarshal(data, &rep); err != nil {
		b.Fatal(err)
	}
	return rep
}

// cpuSeconds is the process's user+system CPU time: unlike wall time it
// hardly depends on what else runs on the machine, and in the workflow
// variant it includes the embedded Temporal server's work.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func reportTimings(b *testing.B, rep workflows.Report) {
	t := rep.Timings
	b.ReportMetric(t.Encode, "encode-s")
	b.ReportMetric(t.Score, "score-s")
	b.ReportMetric(t.Chunks, "chunks-wall-s")
	b.ReportMetric(t.Assemble, "assemble-s")
	b.ReportMetric(t.Probe, "probe-s")
	b.ReportMetric(rep.Renditions[0].VMAF.Mean, "vmaf")
}
