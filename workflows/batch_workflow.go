package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"
)

// ChunkBatchWorkflow encodes and scores some chunks of one rendition, at
// most task.Window at once, and runs the quality gate on each: a chunk whose
// mean VMAF is under the bar is encoded again with a lower CRF (or a higher
// bitrate) until it passes or Quality.MaxAttempts is reached. It answers the
// progress query with the state of each of its chunks.
func ChunkBatchWorkflow(ctx workflow.Context, task BatchTask) (BatchResult, error) {
	states := make([]ChunkState, len(task.Chunks))
	for i, c := range task.Chunks {
		states[i] = ChunkState{Rendition: task.Rendition.Name, Index: c.Index, State: StatePending, Frames: c.Frames()}
	}
	query := func() (Progress, error) {
		return Progress{Job: task.Job, Phase: PhaseEncoding, Chunks: len(task.Chunks), ChunkStates: slices.Clone(states)}, nil
	}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, query); err != nil {
		return BatchResult{}, err
	}

	actx := longActivity(ctx, task.Timeouts)
	gctx, cancel := workflow.WithCancel(actx)
	defer cancel()
	var firstErr error
	sem := workflow.NewSemaphore(ctx, int64(max(1, task.Window)))
	outcomes := make([]ChunkOutcome, len(task.Chunks))
	wg := workflow.NewWaitGroup(ctx)
	for i, c := range task.Chunks {
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
			o, err := runChunk(ctx, task, c, &states[i])
			if err != nil {
				states[i].State = StateFailed
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			outcomes[i] = o
		})
	}
	wg.Wait(ctx)
	if firstErr != nil {
		return BatchResult{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return BatchResult{}, err
	}
	return BatchResult{Rendition: task.Rendition.Name, Chunks: outcomes}, nil
}

// runChunk encodes one chunk until it passes the gate or runs out of
// attempts, updating st as it goes.
func runChunk(ctx workflow.Context, task BatchTask, c Chunk, st *ChunkState) (ChunkOutcome, error) {
	q := task.Quality
	r := task.Rendition
	out := ChunkOutcome{Index: c.Index}
	best := -1
	var results []ChunkResult
	for attempt := 1; attempt <= q.MaxAttempts; attempt++ {
		st.Attempt, st.CRF = attempt, r.CRF
		if attempt == 1 {
			st.State = StateEncoding
		} else {
			st.State = StateRetrying
		}
		ct := ChunkTask{
			Job: task.Job, Source: task.Source, Work: task.Work, Rendition: r, Chunk: c, Attempt: attempt,
			Metrics: q.Metrics, Subsample: q.Subsample, SourceWidth: task.SourceWidth, SourceHeight: task.SourceHeight, SourceBitDepth: task.SourceBitDepth,
			Strict: task.Strict, SourceIndex: task.SourceIndex,
		}
		var res ChunkResult
		if err := workflow.ExecuteActivity(ctx, ActivityEncodeChunk, ct).Get(ctx, &res); err != nil {
			return ChunkOutcome{}, err
		}
		results = append(results, res)
		out.Attempts = attempt
		out.AttemptVMAF = append(out.AttemptVMAF, res.VMAF)
		st.VMAF, st.PSNR, st.Bytes = res.VMAF, res.PSNR, res.Bytes
		if best < 0 || res.VMAF > results[best].VMAF {
			best = len(results) - 1
		}
		if bar := task.Rendition.Bar(q); bar <= 0 || res.VMAF >= bar {
			out.Final, out.Passed = res, true
			st.State = StateDone
			return out, nil
		}
		next, ok := harder(r, q)
		if !ok {
			break // already at the best setting the encoder has
		}
		r = next
	}
	out.Final = results[best]
	st.State = StateBelowBar
	st.VMAF, st.PSNR, st.Bytes, st.CRF = out.Final.VMAF, out.Final.PSNR, out.Final.Bytes, out.Final.CRF
	return out, nil
}

// harder returns the rendition settings for the next attempt: CRF lowered
// by the step (not below 0), or the bitrate raised by the step factor.
func harder(r Rendition, q QualityPolicy) (Rendition, bool) {
	switch {
	case r.CRF > 0:
		r.CRF = max(0, r.CRF-q.CRFStep)
		return r, true
	case r.Bitrate > 0:
		r.Bitrate = int64(float64(r.Bitrate) * q.BitrateStep)
		return r, true
	default:
		return r, false
	}
}
