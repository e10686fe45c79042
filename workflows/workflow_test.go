package workflows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/vmaf"
)

// The activity signatures the workflows call, registered by name so the
// workflow logic is tested without encoders.
var (
	probeFn    = func(context.Context, string, ProbeOptions) (SourceInfo, error) { panic("mocked") }
	encodeFn   = func(context.Context, ChunkTask) (ChunkResult, error) { panic("mocked") }
	assembleFn = func(context.Context, AssembleTask) (AssembleResult, error) { panic("mocked") }
	reportFn   = func(context.Context, ReportTask) (string, error) { panic("mocked") }
	cleanupFn  = func(context.Context, CleanupTask) error { panic("mocked") }
	shotsFn    = func(context.Context, ShotsTask) ([]int64, error) { panic("mocked") }
)

// fakeJob records what the mocked activities were asked to do.
type fakeJob struct {
	mu        sync.Mutex
	info      SourceInfo
	probes    []ProbeOptions
	encodes   []ChunkTask
	assembles []AssembleTask
	reports   []ReportTask
	cleanups  []CleanupTask
	// vmaf returns the score of an attempt; default 95.
	vmaf func(t ChunkTask) float64
	// problems returns the problems decoding an attempt's chunk found.
	problems func(t ChunkTask) ([]string, int)
}

func newEnv(t *testing.T, f *fakeJob) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quietLogger())
	env := ts.NewTestWorkflowEnvironment()
	env.SetTestTimeout(5 * time.Minute)
	// A loaded CI machine can stall a coroutine for more than the default 1 s.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	Register(env)
	env.RegisterActivityWithOptions(probeFn, activity.RegisterOptions{Name: ActivityProbe})
	env.RegisterActivityWithOptions(encodeFn, activity.RegisterOptions{Name: ActivityEncodeChunk})
	env.RegisterActivityWithOptions(assembleFn, activity.RegisterOptions{Name: ActivityAssemble})
	env.RegisterActivityWithOptions(reportFn, activity.RegisterOptions{Name: ActivityWriteReport})
	env.RegisterActivityWithOptions(cleanupFn, activity.RegisterOptions{Name: ActivityCleanup})
	env.RegisterActivityWithOptions(shotsFn, activity.RegisterOptions{Name: ActivityShotCuts})
	RegisterAnalyze(env)
	if f == nil {
		return env
	}
	env.OnActivity(ActivityProbe, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, src string, opts ProbeOptions) (SourceInfo, error) {
			f.mu.Lock()
			f.probes = append(f.probes, opts)
			f.mu.Unlock()
			return f.info, nil
		}).Maybe()
	env.OnActivity(ActivityEncodeChunk, mock.Anything, mock.Anything).Return(
		func(_ context.Context, ct ChunkTask) (ChunkResult, error) {
			f.mu.Lock()
			f.encodes = append(f.encodes, ct)
			f.mu.Unlock()
			v := 95.0
			if f.vmaf != nil {
				v = f.vmaf(ct)
			}
			res := ChunkResult{
				Index: ct.Chunk.Index, Attempt: ct.Attempt, CRF: ct.Rendition.CRF, Bitrate: ct.Rendition.Bitrate,
				Key:    fmt.Sprintf("%s/%s/%06d-a%d.mp4", ct.Job, ct.Rendition.Name, ct.Chunk.Index, ct.Attempt),
				Frames: ct.Chunk.Frames(), Bytes: 1000 * ct.Chunk.Frames(), VMAF: v, PSNR: 40,
			}
			if f.problems != nil {
				res.Problems, res.ProblemsMore = f.problems(ct)
			}
			return res, nil
		}).Maybe()
	env.OnActivity(ActivityAssemble, mock.Anything, mock.Anything).Return(
		func(_ context.Context, at AssembleTask) (AssembleResult, error) {
			f.mu.Lock()
			f.assembles = append(f.assembles, at)
			f.mu.Unlock()
			return AssembleResult{Rendition: at.Rendition.Name, URL: at.Output + "/" + at.Rendition.Name + ".mp4", Frames: at.ExpectFrames}, nil
		}).Maybe()
	env.OnActivity(ActivityWriteReport, mock.Anything, mock.Anything).Return(
		func(_ context.Context, rt ReportTask) (string, error) {
			f.mu.Lock()
			f.reports = append(f.reports, rt)
			f.mu.Unlock()
			return rt.Output + "/report.json", nil
		}).Maybe()
	env.OnActivity(ActivityCleanup, mock.Anything, mock.Anything).Return(
		func(_ context.Context, ct CleanupTask) error {
			f.mu.Lock()
			f.cleanups = append(f.cleanups, ct)
			f.mu.Unlock()
			return nil
		}).Maybe()
	return env
}

func testJob() Job {
	return Job{
		Source: "s3://mezz/film.mov",
		Output: "file:///out/job",
		Renditions: []Rendition{
			{Name: "720p", Width: 1280, Height: 720, Codec: "libx264", CRF: 23},
			{Name: "360p", Width: 640, Height: 360, Codec: "libx264", CRF: 26},
		},
		Quality: QualityPolicy{MinVMAF: 90},
	}
}

func source(frames int64, fps float64, gop int64) SourceInfo {
	return SourceInfo{Width: 1920, Height: 1080, FrameRate: fps, Frames: frames, Keyframes: keyframesEvery(gop, frames), HasAudio: true}
}

func TestEncodeWorkflowPlansEncodesAssembles(t *testing.T) {
	f := &fakeJob{info: source(1000, 25, 12)} // 40 s, keyframes every 12 frames
	env := newEnv(t, f)
	env.SetStartWorkflowOptions(testsuiteStart("job-plan"))
	env.ExecuteWorkflow(EncodeWorkflow, testJob())
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}

	want, err := PlanChunks(f.info, ChunkPolicy{TargetSeconds: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Chunks != len(want) || len(want) != 9 {
		t.Fatalf("planned %d chunks, PlanChunks gives %d (want 9 at keyframes every 12 frames)", res.Chunks, len(want))
	}
	// Every chunk of every rendition was encoded exactly once, with the
	// planned range, the rendition's CRF and the scoring resolution.
	seen := map[string]ChunkTask{}
	for _, e := range f.encodes {
		k := fmt.Sprintf("%s/%d", e.Rendition.Name, e.Chunk.Index)
		if _, dup := seen[k]; dup {
			t.Errorf("chunk %s encoded twice", k)
		}
		seen[k] = e
		if e.Chunk != want[e.Chunk.Index] || e.Attempt != 1 || e.SourceWidth != 1920 || e.Job != "job-plan" {
			t.Errorf("chunk task %+v", e)
		}
		if e.Work != "file:///out/job/.work" {
			t.Errorf("work URL %q", e.Work)
		}
	}
	if len(seen) != 2*len(want) {
		t.Errorf("%d chunk encodes, want %d", len(seen), 2*len(want))
	}
	if len(f.assembles) != 2 {
		t.Fatalf("%d assemblies", len(f.assembles))
	}
	for _, a := range f.assembles {
		if len(a.ChunkKeys) != len(want) || a.ExpectFrames != 1000 || a.Audio != AudioCopy {
			t.Errorf("assemble task %+v", a)
		}
		for i, k := range a.ChunkKeys {
			if wantKey := fmt.Sprintf("job-plan/%s/%06d-a1.mp4", a.Rendition.Name, i); k != wantKey {
				t.Errorf("chunk key %d = %q, want %q", i, k, wantKey)
			}
		}
	}
	if len(f.reports) != 1 || len(f.reports[0].Renditions) != 2 || len(f.reports[0].Chunks) != len(want) {
		t.Fatalf("report tasks %+v", f.reports)
	}
	if len(f.cleanups) != 1 || f.cleanups[0].Job != "job-plan" {
		t.Errorf("cleanups %+v", f.cleanups)
	}
	if res.Report != "file:///out/job/report.json" || len(res.Renditions) != 2 || res.Renditions[0].VMAF != 95 {
		t.Errorf("result %+v", res)
	}

	// The progress query answers after completion with every chunk done.
	v, err := env.QueryWorkflow(QueryProgress)
	if err != nil {
		t.Fatal(err)
	}
	var p Progress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	if p.Phase != PhaseDone || p.ChunksDone() != 2*len(want) || p.FramesDone() != 2000 {
		t.Errorf("progress %+v", p)
	}
}

// Job.Strict reaches the probe and every chunk encode; a job without it
// asks for neither.
func TestStrictReachesProbeAndChunks(t *testing.T) {
	for _, strict := range []bool{false, true} {
		f := &fakeJob{info: source(300, 25, 25)}
		env := newEnv(t, f)
		job := testJob()
		job.Strict = strict
		env.ExecuteWorkflow(EncodeWorkflow, job)
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		if len(f.probes) != 1 || f.probes[0].Strict != strict {
			t.Errorf("strict %v: probes %+v", strict, f.probes)
		}
		if len(f.encodes) == 0 {
			t.Fatalf("strict %v: no encodes", strict)
		}
		for _, e := range f.encodes {
			if e.Strict != strict {
				t.Errorf("strict %v: chunk %d task has Strict %v", strict, e.Chunk.Index, e.Strict)
			}
		}
	}
}

// The problems the probe and the chunks' decoding found reach the job's
// result: each line once (every rendition decodes the same ranges), the
// probe's first and then in chunk order, at most MaxResultProblems with
// the rest counted.
func TestResultListsProblems(t *testing.T) {
	f := &fakeJob{info: source(300, 25, 25)}
	f.info.Problems = []string{"timestamps: 3 duplicate presentation timestamps moved one tick on"}
	f.problems = func(ct ChunkTask) ([]string, int) {
		lines := []string{f.info.Problems[0]} // the index's, seen from every chunk
		if ct.Chunk.Index%2 == 1 {
			lines = append(lines, fmt.Sprintf("missing: source frames %d-%d: 1 frames the decoder did not deliver", ct.Chunk.Start, ct.Chunk.End-1))
		}
		return lines, 0
	}
	env := newEnv(t, f)
	job := testJob()
	job.Chunking.TargetSeconds = 1 // 12 chunks of 25 frames
	env.ExecuteWorkflow(EncodeWorkflow, job)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	want := []string{f.info.Problems[0]}
	for i := 1; i < 12; i += 2 {
		want = append(want, fmt.Sprintf("missing: source frames %d-%d: 1 frames the decoder did not deliver", 25*i, 25*i+24))
	}
	if !slices.Equal(res.Problems, want) || res.ProblemsMore != 0 {
		t.Errorf("result problems (%d more):\n%s\nwant\n%s", res.ProblemsMore, strings.Join(res.Problems, "\n"), strings.Join(want, "\n"))
	}

	// Many problems: the result keeps MaxResultProblems and counts the rest,
	// with the lines the chunks themselves left out.
	f = &fakeJob{info: source(300, 25, 25)}
	f.problems = func(ct ChunkTask) ([]string, int) {
		return []string{fmt.Sprintf("missing: chunk %d a", ct.Chunk.Index), fmt.Sprintf("concealed: chunk %d b", ct.Chunk.Index)}, 1
	}
	env = newEnv(t, f)
	env.ExecuteWorkflow(EncodeWorkflow, job)
	res = Result{}
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != MaxResultProblems || res.Problems[0] != "missing: chunk 0 a" || res.ProblemsMore != 24-MaxResultProblems+12 {
		t.Errorf("%d problems, %d more; want %d and %d:\n%s", len(res.Problems), res.ProblemsMore, MaxResultProblems, 24-MaxResultProblems+12, strings.Join(res.Problems, "\n"))
	}
}

func testsuiteStart(id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id}
}

// A chunk that scores under the bar twice is encoded a third time with the
// CRF lowered by the step each time, and the report names its attempts.
func TestQualityGateReencodesFailingChunk(t *testing.T) {
	f := &fakeJob{info: source(500, 25, 25)} // 5 chunks of 100 frames
	f.vmaf = func(ct ChunkTask) float64 {
		if ct.Rendition.Name == "720p" && ct.Chunk.Index == 2 {
			return []float64{80, 86, 93}[ct.Attempt-1]
		}
		return 95
	}
	env := newEnv(t, f)
	env.SetStartWorkflowOptions(testsuiteStart("job-gate"))
	job := testJob()
	job.Quality = QualityPolicy{MinVMAF: 90, MaxAttempts: 3, CRFStep: 4}
	env.ExecuteWorkflow(EncodeWorkflow, job)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var crfs []int
	for _, e := range f.encodes {
		if e.Rendition.Name == "720p" && e.Chunk.Index == 2 {
			crfs = append(crfs, e.Rendition.CRF)
		}
	}
	slices.Sort(crfs)
	if !slices.Equal(crfs, []int{15, 19, 23}) {
		t.Errorf("chunk 2 encoded with CRFs %v, want 23, 19, 15", crfs)
	}
	if len(f.encodes) != 2*5+2 {
		t.Errorf("%d encodes, want 12", len(f.encodes))
	}
	rec := f.reports[0].Renditions[0]
	if rec.Rendition.Name != "720p" || rec.Tried[2] != 3 || rec.Final[2] != 3 || !rec.Passed[2] || rec.Tried[1] != 1 {
		t.Errorf("report record %+v", rec)
	}
	if k := f.assembles[0].ChunkKeys; f.assembles[0].Rendition.Name == "720p" && k[2] != "job-gate/720p/000002-a3.mp4" {
		t.Errorf("assembled chunk 2 from %q, want attempt 3", k[2])
	}
	var res Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Renditions[0].Reencoded != 1 || res.Renditions[0].BelowBar != 0 {
		t.Errorf("rendition result %+v", res.Renditions[0])
	}
}

// When no attempt reaches the bar, the best one is assembled and the chunk
// is reported below the bar; the job still completes.
func TestQualityGateGivesUpAfterMaxAttempts(t *testing.T) {
	f := &fakeJob{info: source(200, 25, 25)}
	f.vmaf = func(ct ChunkTask) float64 {
		if ct.Chunk.Index == 1 {
			return []float64{70, 75, 72}[ct.Attempt-1]
		}
		return 95
	}
	env := newEnv(t, f)
	job := testJob()
	job.Renditions = job.Renditions[:1]
	env.ExecuteWorkflow(EncodeWorkflow, job)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	rec := f.reports[0].Renditions[0]
	if rec.Tried[1] != 3 || rec.Final[1] != 2 || rec.Passed[1] {
		t.Errorf("record %+v: want 3 tries, attempt 2 (best) used, not passed", rec)
	}
	var res Result
	_ = env.GetWorkflowResult(&res)
	if res.Renditions[0].BelowBar != 1 {
		t.Errorf("result %+v", res.Renditions[0])
	}
}

// A rendition's own bar replaces the job's: a 360p chunk at 80 passes its
// bar of 75 and is not re-encoded, while 720p chunks at 80 fail the job's 90.
func TestRenditionBar(t *testing.T) {
	f := &fakeJob{info: source(200, 25, 25)} // 2 chunks
	f.vmaf = func(ct ChunkTask) float64 { return 80 }
	env := newEnv(t, f)
	job := testJob()
	job.Renditions[1].MinVMAF = 75
	env.ExecuteWorkflow(EncodeWorkflow, job)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	tries := map[string]int{}
	for _, e := range f.encodes {
		tries[e.Rendition.Name]++
	}
	if tries["360p"] != 2 || tries["720p"] != 2*3 {
		t.Errorf("encodes per rendition %v, want 360p 2 (passed its own bar), 720p 6 (3 tries per chunk)", tries)
	}
	var res Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Renditions {
		want := map[string]int{"720p": 2, "360p": 0}[r.Name]
		if r.BelowBar != want {
			t.Errorf("%s: %d chunks below the bar, want %d", r.Name, r.BelowBar, want)
		}
	}
}

// A bad source fails the job at once: the activity is not retried, and the
// core's message reaches the caller. What is bad is the core's verdict,
// read by classify; anything else is retried up to retryPolicy's limit.
func TestBadInputIsNotRetried(t *testing.T) {
	activities := &Activities{TempDir: t.TempDir()}
	for _, tc := range []struct {
		name  string
		probe func(ctx context.Context, src string) error
		bad   bool
		msg   string
	}{
		{"the real probe of a text file", func(ctx context.Context, _ string) error {
			_, err := activities.Probe(ctx, "errors_test.go", ProbeOptions{})
			return err
		}, true, "errors_test.go"},
		{"a missing object", func(_ context.Context, src string) error {
			return classify(fmt.Errorf("mezzfs: %s: %w (404 NoSuchKey)", src, mezzfs.ErrNotFound))
		}, true, "s3://mezz/film.mov: object not found (404 NoSuchKey)"},
		{"frames that do not match", func(_ context.Context, src string) error {
			return classify(fmt.Errorf("%s: %w", src, vmaf.ErrSizeMismatch))
		}, true, "s3://mezz/film.mov: frame size mismatch"},
		{"a store key", func(_ context.Context, src string) error {
			return classify(fmt.Errorf("%s: %w", src, mezzfs.ErrBadKey))
		}, true, "bad object key"},
		{"a network that keeps failing", func(_ context.Context, src string) error {
			return classify(fmt.Errorf("mezzfs: %s: %w: connection reset", src, mezzfs.ErrTransient))
		}, false, "still failing after retries"},
		{"a closed object", func(_ context.Context, src string) error {
			return classify(fmt.Errorf("mezzfs: %s: %w", src, mezzfs.ErrClosed))
		}, false, "source closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, nil)
			calls := 0
			env.OnActivity(ActivityProbe, mock.Anything, mock.Anything, mock.Anything).Return(
				func(ctx context.Context, src string, _ ProbeOptions) (SourceInfo, error) {
					calls++
					return SourceInfo{}, tc.probe(ctx, src)
				})
			env.ExecuteWorkflow(EncodeWorkflow, testJob())
			err := env.GetWorkflowError()
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want one naming %q", err, tc.msg)
			}
			var app *temporal.ApplicationError
			isBad := errors.As(err, &app) && app.Type() == ErrorBadInput
			want := retryPolicy().MaximumAttempts
			if tc.bad {
				want = 1
			}
			if isBad != tc.bad || calls != int(want) {
				t.Errorf("bad input %v after %d probes, want %v after %d", isBad, calls, tc.bad, want)
			}
		})
	}
}

// A transient failure is retried; a bad chunk mid-job fails the job without
// retries and without assembling anything.
func TestChunkErrors(t *testing.T) {
	env := newEnv(t, nil)
	env.OnActivity(ActivityProbe, mock.Anything, mock.Anything, mock.Anything).Return(source(300, 25, 25), nil)
	var mu sync.Mutex
	calls := map[int]int{}
	env.OnActivity(ActivityEncodeChunk, mock.Anything, mock.Anything).Return(
		func(_ context.Context, ct ChunkTask) (ChunkResult, error) {
			mu.Lock()
			defer mu.Unlock()
			calls[ct.Chunk.Index]++
			switch {
			case ct.Chunk.Index == 0 && calls[0] < 3:
				return ChunkResult{}, errors.New("connection reset by peer")
			case ct.Chunk.Index == 2:
				return ChunkResult{}, temporal.NewApplicationError("chunk 2: decode: invalid data", ErrorBadInput)
			}
			return ChunkResult{Index: ct.Chunk.Index, Attempt: 1, VMAF: 95}, nil
		})
	assembled := 0
	env.OnActivity(ActivityAssemble, mock.Anything, mock.Anything).Return(
		func(context.Context, AssembleTask) (AssembleResult, error) { assembled++; return AssembleResult{}, nil }).Maybe()
	job := testJob()
	job.Renditions = job.Renditions[:1]
	job.Limits.MaxInFlight = 1 // chunk 0 finishes its retries before chunk 2 fails
	env.ExecuteWorkflow(EncodeWorkflow, job)
	err := env.GetWorkflowError()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrorBadInput {
		t.Fatalf("error %v", err)
	}
	if calls[0] != 3 || calls[2] != 1 {
		t.Errorf("calls %v: want chunk 0 retried to its 3rd try, chunk 2 tried once", calls)
	}
	if assembled != 0 {
		t.Errorf("assembled %d renditions of a failed job", assembled)
	}
}

func TestInvalidJobFailsWithoutRunningAnything(t *testing.T) {
	for _, mut := range []func(*Job){
		func(j *Job) { j.Renditions = nil },
		func(j *Job) { j.Renditions[1].Name = j.Renditions[0].Name },
		func(j *Job) { j.Renditions[0].Name = "../x" },
		func(j *Job) { j.Renditions[0].Codec = "" },
		func(j *Job) { j.Source = "" },
		func(j *Job) { j.Chunking.Mode = "random" },
		func(j *Job) { j.Quality.Metrics = []string{"ssim-ish"} },
		func(j *Job) { j.Renditions[0].FPS = "29.97" },
	} {
		env := newEnv(t, nil)
		job := testJob()
		mut(&job)
		env.ExecuteWorkflow(EncodeWorkflow, job)
		var app *temporal.ApplicationError
		if err := env.GetWorkflowError(); !errors.As(err, &app) || app.Type() != ErrorBadInput {
			t.Errorf("job %+v: error %v, want %s", job, err, ErrorBadInput)
		}
	}
}

// Cancelling the job cancels the running encodes, waits for them, then
// removes the job's intermediates once.
func TestCancelStopsEncodesAndCleansUp(t *testing.T) {
	f := &fakeJob{info: source(2000, 25, 25)} // 20 chunks
	env := newEnv(t, nil)
	env.OnActivity(ActivityProbe, mock.Anything, mock.Anything, mock.Anything).Return(f.info, nil)
	var mu sync.Mutex
	started := 0
	release := make(chan struct{})
	defer close(release)
	// The test environment resolves a cancelled activity without waiting for
	// it (the real-server integration test checks that encoders stop).
	env.OnActivity(ActivityEncodeChunk, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, ct ChunkTask) (ChunkResult, error) {
			mu.Lock()
			started++
			mu.Unlock()
			select {
			case <-ctx.Done():
			case <-release:
			}
			return ChunkResult{}, errors.New("canceled")
		})
	assembled := 0
	env.OnActivity(ActivityAssemble, mock.Anything, mock.Anything).Return(
		func(context.Context, AssembleTask) (AssembleResult, error) { assembled++; return AssembleResult{}, nil }).Maybe()
	var cleanups []CleanupTask
	env.OnActivity(ActivityCleanup, mock.Anything, mock.Anything).Return(
		func(_ context.Context, ct CleanupTask) error { cleanups = append(cleanups, ct); return nil })
	env.SetStartWorkflowOptions(testsuiteStart("job-cancel"))
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Second)
	job := testJob()
	job.Limits.MaxInFlight = 6
	env.ExecuteWorkflow(EncodeWorkflow, job)
	err := env.GetWorkflowError()
	var ce *temporal.CanceledError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v, want canceled", err)
	}
	// The cancelled encodes may still be returning on their own goroutines.
	mu.Lock()
	n := started
	mu.Unlock()
	if n != 6 || assembled != 0 {
		t.Errorf("%d encodes started (want the limit, 6), %d assembled (want 0)", n, assembled)
	}
	if len(cleanups) != 1 || cleanups[0] != (CleanupTask{Work: "file:///out/job/.work", Job: "job-cancel"}) {
		t.Errorf("cleanups %+v", cleanups)
	}
}

// MaxInFlight bounds the encodes running at once over all renditions.
func TestMaxInFlight(t *testing.T) {
	f := &fakeJob{info: source(3000, 25, 25)} // 30 chunks x 2 renditions
	env := newEnv(t, f)
	var mu sync.Mutex
	running, peak := 0, 0
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name != ActivityEncodeChunk {
			return
		}
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
	})
	env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, _ error) {
		if info.ActivityType.Name != ActivityEncodeChunk {
			return
		}
		mu.Lock()
		running--
		mu.Unlock()
	})
	job := testJob()
	job.Limits = Limits{MaxInFlight: 4, BatchSize: 7}
	env.ExecuteWorkflow(EncodeWorkflow, job)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if peak > 4 || len(f.encodes) != 60 {
		t.Errorf("peak %d encodes in flight (limit 4), %d encodes (want 60)", peak, len(f.encodes))
	}
}

// A 6-hour film in 4-second chunks: 5 400 chunks go through 27 batch
// children of 200, every chunk encoded once, results in order.
func TestFiveThousandChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("5 400 mocked activities take a few seconds")
	}
	f := &fakeJob{info: source(6*3600*25, 25, 100)}
	env := newEnv(t, f)
	var children []string
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		children = append(children, info.WorkflowExecution.ID)
	})
	env.SetStartWorkflowOptions(testsuiteStart("film"))
	job := testJob()
	job.Renditions = job.Renditions[:1]
	job.Limits = Limits{MaxInFlight: 200, BatchSize: 200}
	start := time.Now()
	env.ExecuteWorkflow(EncodeWorkflow, job)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Chunks != 5400 || len(f.encodes) != 5400 {
		t.Fatalf("%d chunks planned, %d encoded, want 5400", res.Chunks, len(f.encodes))
	}
	if len(children) != 27 || children[26] != "film/720p/batch-0026" {
		t.Errorf("%d batch children (last %q), want 27", len(children), children[len(children)-1])
	}
	keys := f.assembles[0].ChunkKeys
	if len(keys) != 5400 || keys[5399] != "film/720p/005399-a1.mp4" {
		t.Errorf("assembled %d keys, last %q", len(keys), keys[len(keys)-1])
	}
	t.Logf("5400 mocked chunks in %v", time.Since(start))
}

func quietLogger() log.Logger {
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
}

// Shot-aware chunking: the shot analysis runs as a child workflow and the
// chunks start at its cuts, between half and twice the target length.
func TestShotChunking(t *testing.T) {
	f := &fakeJob{info: source(1000, 25, 1)} // 40 s, every frame a keyframe
	env := newEnv(t, f)
	var req AnalyzeRequest
	env.OnWorkflow(WorkflowAnalyze, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, r AnalyzeRequest) (AnalyzeResult, error) {
			req = r
			return AnalyzeResult{Shots: 5}, nil
		})
	env.OnActivity(ActivityShotCuts, mock.Anything, mock.Anything).Return([]int64{90, 130, 430, 700}, nil)
	env.SetStartWorkflowOptions(testsuiteStart("job-shots"))
	job := testJob()
	job.Renditions = job.Renditions[:1]
	job.Chunking = ChunkPolicy{Mode: ChunkShots, TargetSeconds: 4}
	env.ExecuteWorkflow(EncodeWorkflow, job)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if req.Source != job.Source || req.Output != "file:///out/job/.work/job-shots/shots" || len(req.Config.Analyzers) != 1 {
		t.Errorf("analyze request %+v", req)
	}
	var starts []int64
	for _, c := range f.reports[0].Chunks {
		starts = append(starts, c.Start)
	}
	// Chunks of 2..8 s (50..200 frames) ending at the latest cut in range.
	want := []int64{0, 130, 330, 430, 630, 700, 900}
	if !slices.Equal(starts, want) {
		t.Errorf("chunk starts %v, want %v", starts, want)
	}
}
