package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/vmaf"
	"github.com/reelmedia/reel/workflows"
)

const taskQueue = "reel-itest"

func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// startServer runs an embedded server for the test and a client to it.
func startServer(t *testing.T, cfg devserver.Config) (*devserver.Server, client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if cfg.LogFile == "" {
		cfg.LogFile = filepath.Join(t.TempDir(), "temporal.log")
	}
	srv, err := devserver.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	logTailOnFailure(t, cfg.LogFile)
	c := dial(t, srv.Address)
	return srv, c
}

func dial(t *testing.T, addr string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// startWorker runs an in-process worker until the test ends.
func startWorker(t *testing.T, c client.Client, acts *workflows.Activities) worker.Worker {
	t.Helper()
	w := workflows.NewWorker(c, taskQueue, workflows.WorkerOptions{Concurrency: 2}, acts)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return w
}

// makeClip writes a test-pattern clip with a keyframe every second and
// (optionally) a sine tone, with the ffmpeg CLI.
func makeClip(t testing.TB, path string, w, h, fps, seconds int, audio bool) {
	t.Helper()
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=%d:duration=%d", w, h, fps, seconds)}
	if audio {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", seconds), "-c:a", "aac")
	}
	args = append(args, "-c:v", "libx264", "-preset", "veryfast", "-g", fmt.Sprint(fps), "-pix_fmt", "yuv420p",
		"-threads", "1", "-shortest", path)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
}

func twoRenditionJob(source, output string) workflows.Job {
	return workflows.Job{
		Source: source,
		Output: output,
		Renditions: []workflows.Rendition{
			{Name: "r240", Width: 320, Height: 240, Codec: "x264", CRF: 30, Preset: "veryfast", Threads: 1},
			{Name: "r120", Width: 160, Height: 120, Codec: "x264", CRF: 30, Preset: "veryfast", Threads: 1},
		},
		Chunking: workflows.ChunkPolicy{TargetSeconds: 1},
		Quality:  workflows.QualityPolicy{MinVMAF: 10},
		Timeouts: workflows.ActivityTiming{HeartbeatSeconds: 10},
	}
}

func runJob(t *testing.T, c client.Client, id string, job workflows.Job) workflows.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, workflows.EncodeWorkflow, job)
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.Result
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("job %s: %v", id, err)
	}
	return res
}

// readReport fetches report.json from the job's output store.
func readReport(t *testing.T, st mezzfs.Store) workflows.Report {
	t.Helper()
	b, err := st.GetBytes(context.Background(), "report.json")
	if err != nil {
		t.Fatal(err)
	}
	var rep workflows.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// checkJob verifies a finished two-rendition job: every output has the
// source's frame count, and every chunk's VMAF and PSNR in report.json are
// what vmaf.Score gives on the source's frames against the same frames of
// the assembled output.
func checkJob(t *testing.T, src encode.Input, srcFrames int64, out mezzfs.Store, localOut func(key string) string) workflows.Report {
	t.Helper()
	ctx := context.Background()
	rep := readReport(t, out)
	if len(rep.Renditions) != 2 || rep.Chunks < 2 {
		t.Fatalf("report has %d renditions, %d chunks", len(rep.Renditions), rep.Chunks)
	}
	for _, r := range rep.Renditions {
		path := localOut(r.Name + ".mp4")
		info, err := encode.Probe(ctx, encode.FileInput(path), encode.ProbeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if v := info.Video(); v == nil || v.FrameCount != srcFrames || r.Frames != srcFrames {
			t.Errorf("%s: %d frames (report %d), source has %d", r.Name, info.FrameCount, r.Frames, srcFrames)
		}
		if v := info.Video(); v.Width != r.Profile.Width || v.Height != r.Profile.Height {
			t.Errorf("%s: %dx%d, want %dx%d", r.Name, v.Width, v.Height, r.Profile.Width, r.Profile.Height)
		}
		if len(r.Chunks) != rep.Chunks {
			t.Fatalf("%s: %d chunk reports for %d chunks", r.Name, len(r.Chunks), rep.Chunks)
		}
		for _, cr := range r.Chunks {
			fin := cr.Attempts[cr.Final-1]
			if fin.VMAF <= 0 || fin.PSNR <= 0 {
				t.Errorf("%s chunk %d: VMAF %v PSNR %v", r.Name, cr.Index, fin.VMAF, fin.PSNR)
			}
			got := scoreRange(t, src, path, cr.Start, cr.End, rep.Info)
			if math.Abs(got.Pooled[vmaf.KeyVMAF].Mean-fin.VMAF) > 1e-9 || math.Abs(got.Pooled["psnr_y"].Mean-fin.PSNR) > 1e-9 {
				t.Errorf("%s chunk %d: report VMAF %.12f PSNR %.12f, rescored from the output %.12f / %.12f",
					r.Name, cr.Index, fin.VMAF, fin.PSNR, got.Pooled[vmaf.KeyVMAF].Mean, got.Pooled["psnr_y"].Mean)
			}
		}
		checkFrameScores(t, out, r)
	}
	return rep
}

// checkFrameScores verifies a rendition's per-frame scores file: referenced
// from the report, one entry per output frame numbered 0..n-1, pooled means
// equal to the report's, and each chunk's frames (in the rendition's
// timeline) averaging to that chunk's score.
func checkFrameScores(t *testing.T, out mezzfs.Store, r workflows.RenditionReport) {
	t.Helper()
	key := r.Name + workflows.FrameScoresSuffix
	if r.FrameScores != out.URL(key) {
		t.Fatalf("%s: frame_scores %q, want %q", r.Name, r.FrameScores, out.URL(key))
	}
	b, err := out.GetBytes(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := vmaf.ReadJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(fs.Frames)) != r.Frames {
		t.Fatalf("%s: %d per-frame entries for %d output frames", r.Name, len(fs.Frames), r.Frames)
	}
	for i, f := range fs.Frames {
		if f.Index != int64(i) {
			t.Fatalf("%s: entry %d is frame %d", r.Name, i, f.Index)
		}
	}
	if got := fs.Pooled[vmaf.KeyVMAF].Mean; math.Abs(got-r.VMAF.Mean) > 1e-6 {
		t.Errorf("%s: per-frame pooled VMAF %.9f, report %.9f", r.Name, got, r.VMAF.Mean)
	}
	if got := fs.Pooled["psnr_y"].Mean; math.Abs(got-r.PSNR.Mean) > 1e-6 {
		t.Errorf("%s: per-frame pooled PSNR %.9f, report %.9f", r.Name, got, r.PSNR.Mean)
	}
	for _, cr := range r.Chunks {
		var sum float64
		for _, f := range fs.Frames[cr.Start:cr.End] {
			sum += f.Metrics[vmaf.KeyVMAF]
		}
		fin := cr.Attempts[cr.Final-1]
		if mean := sum / float64(cr.End-cr.Start); math.Abs(mean-fin.VMAF) > 1e-5 {
			t.Errorf("%s chunk %d: frames %d-%d average VMAF %.6f, the chunk scored %.6f", r.Name, cr.Index, cr.Start, cr.End-1, mean, fin.VMAF)
		}
	}
}

func scoreRange(t *testing.T, src encode.Input, output string, start, end int64, info workflows.SourceInfo) *vmaf.Result {
	t.Helper()
	ctx := context.Background()
	pf := workflows.ScoringPixFmt(info.BitDepth)
	ref, err := encode.OpenFrames(ctx, src, encode.DecodeOptions{Start: start, End: end, PixFmt: pf})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	dist, err := encode.OpenFrames(ctx, encode.FileInput(output), encode.DecodeOptions{
		Start: start, End: end, Width: info.Width, Height: info.Height, Scaler: "bicubic", PixFmt: pf,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer dist.Close()
	res, err := vmaf.Score(ctx, ref, dist, vmaf.Options{Features: []string{"psnr"}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// listKeys lists a store's keys under prefix.
func listKeys(t *testing.T, st mezzfs.Store, prefix string) []string {
	t.Helper()
	objs, err := st.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

func fileURL(dir string) string { return "file://" + filepath.ToSlash(dir) }

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(x) != string(y) {
		t.Errorf("%s (%d bytes) and %s (%d bytes) differ", a, len(x), b, len(y))
	}
}

func hasSuffix(keys []string, suffix string) int {
	n := 0
	for _, k := range keys {
		if strings.HasSuffix(k, suffix) {
			n++
		}
	}
	return n
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// logTailOnFailure prints the end of the embedded server's log when the
// test fails: it lives in the test's temp dir and would go with it.
func logTailOnFailure(t *testing.T, path string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		b, err := os.ReadFile(path)
		if err != nil || len(b) == 0 {
			return
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		t.Logf("last lines of the Temporal server log %s:\n%s", path, strings.Join(lines[max(0, len(lines)-20):], "\n"))
	})
}
