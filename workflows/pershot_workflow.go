package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"
)

// Names of the per-shot workflow and activity, as registered.
const (
	WorkflowPerShotBatch  = "PerShotBatchWorkflow"
	ActivityPerShotSelect = "PerShotSelect"
)

// PerShotBatchTask is the input of PerShotBatchWorkflow: some shots, each
// to be encoded and scored at every grid point.
type PerShotBatchTask struct {
	Job            string         `json:"job"`
	Source         string         `json:"source"`
	Work           string         `json:"work"`
	Chunks         []Chunk        `json:"chunks"`
	Points         []Rendition    `json:"points"`
	Metrics        []string       `json:"metrics"`
	Subsample      int            `json:"subsample,omitempty"`
	Window         int            `json:"window"`
	SourceWidth    int            `json:"source_width"`
	SourceHeight   int            `json:"source_height"`
	SourceBitDepth int            `json:"source_bit_depth"`
	Timeouts       ActivityTiming `json:"timeouts"`
	Strict         bool           `json:"strict,omitempty"`
	SourceIndex    string         `json:"source_index,omitempty"`
}

// PerShotBatchResult counts what a PerShotBatchWorkflow did. The scores
// stay in the chunk sidecars, where PerShotSelect reads them: at 5 000
// shots × 30 points they would not fit in a history.
type PerShotBatchResult struct {
	Encodes int   `json:"encodes"`
	Bytes   int64 `json:"bytes"`
}

// qpParams are the encoder options of a constant-QP rendition: the CRF
// switched off (libx264 and libx265 take CRF first when both are set).
func qpParams(r Rendition) map[string]string {
	if r.QP <= 0 {
		return nil
	}
	return map[string]string{"crf": "-1", "qp": strconv.Itoa(r.QP)}
}

// PerShotBatchWorkflow encodes and scores each of its shots at every grid
// point, at most task.Window at once. Every encode is one EncodeChunk
// activity, attempt 1, with no quality gate: its chunk and sidecar are
// what the selection reads. It answers the progress query with each
// (point, shot) encode's state.
func PerShotBatchWorkflow(ctx workflow.Context, task PerShotBatchTask) (PerShotBatchResult, error) {
	n := len(task.Chunks) * len(task.Points)
	states := make([]ChunkState, 0, n)
	for _, p := range task.Points {
		for _, c := range task.Chunks {
			states = append(states, ChunkState{Rendition: p.Name, Index: c.Index, State: StatePending, Frames: c.Frames(), CRF: p.CRF})
		}
	}
	query := func() (Progress, error) {
		return Progress{Job: task.Job, Phase: PhaseEncoding, Chunks: len(task.Chunks), ChunkStates: slices.Clone(states)}, nil
	}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, query); err != nil {
		return PerShotBatchResult{}, err
	}
	actx := longActivity(ctx, task.Timeouts)
	gctx, cancel := workflow.WithCancel(actx)
	defer cancel()
	var firstErr error
	var res PerShotBatchResult
	sem := workflow.NewSemaphore(ctx, int64(max(1, task.Window)))
	wg := workflow.NewWaitGroup(ctx)
	for i := range states {
		p := task.Points[i/len(task.Chunks)]
		c := task.Chunks[i%len(task.Chunks)]
		wg.Add(1)
		workflow.Go(gctx, func(ctx workflow.Context) {
			defer wg.Done()
			if err := sem.Acquire(ctx, 1); err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			defer sem.Release(1)
			states[i].State, states[i].Attempt = StateEncoding, 1
			ct := ChunkTask{
				Job: task.Job, Source: task.Source, Work: task.Work, Rendition: p, Chunk: c, Attempt: 1,
				Metrics: task.Metrics, Subsample: task.Subsample, SourceWidth: task.SourceWidth, SourceHeight: task.SourceHeight,
				SourceBitDepth: task.SourceBitDepth, Strict: task.Strict, SourceIndex: task.SourceIndex,
			}
			var cr ChunkResult
			if err := workflow.ExecuteActivity(ctx, ActivityEncodeChunk, ct).Get(ctx, &cr); err != nil {
				states[i].State = StateFailed
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			states[i].State, states[i].VMAF, states[i].PSNR, states[i].Bytes = StateDone, cr.VMAF, cr.PSNR, cr.Bytes
			res.Encodes++
			res.Bytes += cr.Bytes
		})
	}
	wg.Wait(ctx)
	if firstErr != nil {
		return PerShotBatchResult{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return PerShotBatchResult{}, err
	}
	return res, nil
}

// perShotBatchID is the child workflow ID of one run of shots.
func perShotBatchID(job string, batch int) string {
	return fmt.Sprintf("%s/grid/batch-%04d", job, batch)
}

// runPerShot is EncodeWorkflow after planning, for a per-shot job: the grid
// fan-out (children of whole shots × every point), the selection, one
// assembly per rung from the chosen encodes, and the report.
func runPerShot(ctx workflow.Context, st *jobState, job Job, src SourceInfo, chunks []Chunk, started, probed time.Time) (Result, error) {
	jobID := workflow.GetInfo(ctx).WorkflowExecution.ID
	grid := gridPoints(job)
	for i := range grid {
		grid[i].Deinterlace = deinterlaceFor(grid[i], src.Interlaced)
	}
	parts := shotSlices(len(chunks), len(grid), job.Limits.BatchSize)
	// Two children at a time, each with half the job's encodes in flight,
	// so that one child's last stragglers do not leave workers idle.
	window, parallel := 1, 1
	if n := job.Limits.MaxInFlight; n >= 2 && len(parts) >= 2 {
		window, parallel = n/2, 2
	} else if n >= 2 {
		window = n
	}
	for bi, s := range parts {
		st.progress.Batches = append(st.progress.Batches, BatchRef{
			WorkflowID: perShotBatchID(jobID, bi), Rendition: "grid", First: s[0], Count: s[1] - s[0],
		})
	}
	sem := workflow.NewSemaphore(ctx, int64(parallel))
	gctx, cancelAll := workflow.WithCancel(ctx)
	defer cancelAll()
	var firstErr error
	wg := workflow.NewWaitGroup(ctx)
	for bi, s := range parts {
		wg.Add(1)
		workflow.Go(gctx, func(ctx workflow.Context) {
			defer wg.Done()
			if err := sem.Acquire(ctx, 1); err != nil {
				firstErr = cmpOr(firstErr, err)
				return
			}
			defer sem.Release(1)
			task := PerShotBatchTask{
				Job: jobID, Source: job.Source, Work: job.Work, Chunks: chunks[s[0]:s[1]], Points: grid,
				Metrics: job.Quality.Metrics, Subsample: job.Quality.Subsample, Window: window,
				SourceWidth: src.Width, SourceHeight: src.Height, SourceBitDepth: src.BitDepth,
				Timeouts: job.Timeouts, Strict: job.Strict, SourceIndex: src.IndexKey,
			}
			cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: perShotBatchID(jobID, bi), WaitForCancellation: true})
			var br PerShotBatchResult
			if err := workflow.ExecuteChildWorkflow(cctx, WorkflowPerShotBatch, task).Get(ctx, &br); err != nil {
				if firstErr == nil {
					firstErr = err
					cancelAll()
				}
				return
			}
			st.progress.Batches[bi].Done = true
			for ri := range st.progress.Renditions {
				rp := &st.progress.Renditions[ri]
				rp.Done += s[1] - s[0]
				for _, c := range chunks[s[0]:s[1]] {
					rp.FramesDone += c.Frames()
				}
			}
		})
	}
	wg.Wait(ctx)
	if firstErr != nil {
		return Result{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	chunksDone := workflow.Now(ctx).Sub(probed)

	// Select every rung's points from the shots' hulls.
	var sel PerShotSelection
	stask := PerShotSelectTask{
		Job: jobID, Work: job.Work, Chunks: chunks, Grid: grid, Policy: job.PerShot,
		Renditions: job.Renditions, FrameRate: frameRateOf(src), Metrics: job.Quality.Metrics,
	}
	if err := workflow.ExecuteActivity(longActivity(ctx, job.Timeouts), ActivityPerShotSelect, stask).Get(ctx, &sel); err != nil {
		return Result{}, err
	}
	if len(sel.Rungs) != len(job.Renditions) {
		return Result{}, fmt.Errorf("per-shot selection has %d rungs for %d renditions", len(sel.Rungs), len(job.Renditions))
	}

	// Assemble each rung from its chosen encodes (stream copy: every chunk
	// starts with a keyframe, so keyframes fall on shot starts in every rung).
	st.progress.Phase = PhaseAssembling
	audio := job.Audio.Mode
	if !src.HasAudio {
		audio = AudioNone
	}
	assembled := make([]AssembleResult, len(job.Renditions))
	var assembleSeconds time.Duration
	awg := workflow.NewWaitGroup(ctx)
	for ri, r := range job.Renditions {
		r.Deinterlace = deinterlaceFor(r, src.Interlaced)
		keys := make([]string, len(chunks))
		for i, c := range chunks {
			keys[i] = chunkKey(jobID, grid[sel.Rungs[ri].Choice[i]], c.Index, 1)
		}
		awg.Add(1)
		workflow.Go(gctx, func(ctx workflow.Context) {
			defer awg.Done()
			t0 := workflow.Now(ctx)
			var ar AssembleResult
			err := workflow.ExecuteActivity(longActivity(ctx, job.Timeouts), ActivityAssemble, AssembleTask{
				Job: jobID, Source: job.Source, Work: job.Work, Output: job.Output, Rendition: r,
				ChunkKeys: keys, ExpectFrames: src.Frames, Audio: assembleAudio(audio, job.Audio, src, r),
				AudioTrack: job.Audio.Track, AudioLanguage: job.Audio.Language,
			}).Get(ctx, &ar)
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancelAll()
				}
				return
			}
			assembleSeconds += workflow.Now(ctx).Sub(t0)
			assembled[ri] = ar
			st.progress.Renditions[ri].Output = ar.URL
		})
	}
	awg.Wait(ctx)
	if firstErr != nil {
		return Result{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	st.progress.Phase = PhaseReporting
	rt := ReportTask{Job: jobID, Source: job.Source, Info: src, Work: job.Work, Output: job.Output, Quality: job.Quality, Chunks: chunks, Grid: grid, PerShot: sel.Key}
	rt.Info.Keyframes = nil
	for ri, r := range job.Renditions {
		rec := RenditionRecord{Rendition: r, Output: assembled[ri], Choice: sel.Rungs[ri].Choice}
		for range chunks {
			rec.Final = append(rec.Final, 1)
			rec.Tried = append(rec.Tried, 1)
			rec.Passed = append(rec.Passed, true)
		}
		rt.Renditions = append(rt.Renditions, rec)
	}
	rt.Timings = Timings{
		Probe: probed.Sub(started).Seconds(), Chunks: chunksDone.Seconds(),
		Assemble: assembleSeconds.Seconds(), Total: workflow.Now(ctx).Sub(started).Seconds(),
	}
	var reportURL string
	if err := workflow.ExecuteActivity(shortActivity(ctx), ActivityWriteReport, rt).Get(ctx, &reportURL); err != nil {
		return Result{}, err
	}
	if !job.KeepIntermediates {
		st.progress.Phase = PhaseCleanup
		if err := workflow.ExecuteActivity(shortActivity(ctx), ActivityCleanup, CleanupTask{Work: job.Work, Job: jobID}).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("removing intermediates failed", "error", err)
		}
	}
	res := Result{Job: jobID, Report: reportURL, Chunks: len(chunks), Seconds: workflow.Now(ctx).Sub(started).Seconds()}
	for ri, r := range job.Renditions {
		sr := sel.Rungs[ri]
		res.Renditions = append(res.Renditions, RenditionResult{
			Name: r.Name, URL: assembled[ri].URL, Bytes: assembled[ri].Bytes, Frames: assembled[ri].Frames,
			Bitrate: assembled[ri].Bitrate, VMAF: sr.VMAF, VMAFMin: sr.VMAFMinShot, PSNR: sr.PSNR, Timing: timingOf(src, r), BDRate: sr.BDRate,
		})
	}
	res.Problems = src.Problems
	if len(res.Problems) > MaxResultProblems {
		res.Problems, res.ProblemsMore = res.Problems[:MaxResultProblems], len(res.Problems)-MaxResultProblems
	}
	return res, nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// frameRateOf is the source's mean frame rate: frames over duration, which
// for a variable-rate source is what turns a shot's bits into a bitrate.
func frameRateOf(src SourceInfo) float64 {
	if src.Duration > 0 && src.Frames > 0 {
		return float64(src.Frames) / src.Duration
	}
	return src.FrameRate
}
