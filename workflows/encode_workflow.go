package workflows

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Activity names, as registered from the Activities methods.
const (
	ActivityProbe       = "Probe"
	ActivityEncodeChunk = "EncodeChunk"
	ActivityAssemble    = "Assemble"
	ActivityWriteReport = "WriteReport"
	ActivityCleanup     = "Cleanup"
	ActivityShotCuts    = "ShotCuts"
)

// ErrorBadInput is the ApplicationError type of failures that retrying
// cannot fix: a corrupt or unsupported source, an impossible job. Such
// errors are not retried and end the job with the core's message.
const ErrorBadInput = "BadInput"

// Defaults applied by EncodeWorkflow to zero fields of a Job.
const (
	DefaultTargetSeconds = 4.0
	DefaultMaxAttempts   = 3
	DefaultCRFStep       = 4
	DefaultBitrateStep   = 1.3
	DefaultMaxInFlight   = 64
	DefaultBatchSize     = 200
	DefaultHeartbeat     = 60.0
	DefaultChunkMinutes  = 120.0
	workSuffix           = ".work"
	maxBatchSize         = 1000
)

var renditionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// WithDefaults returns job with every zero setting replaced by its default.
func WithDefaults(job Job) Job {
	if job.Work == "" && job.Output != "" {
		job.Work = joinURL(job.Output, workSuffix)
	}
	if job.Optimize == OptimizePerShot {
		if job.Chunking.Mode == "" {
			job.Chunking.Mode = ChunkShots
		}
		job = perShotDefaults(job)
	}
	if job.Chunking.Mode == "" {
		job.Chunking.Mode = ChunkFixed
	}
	if job.Chunking.TargetSeconds <= 0 {
		job.Chunking.TargetSeconds = DefaultTargetSeconds
	}
	q := &job.Quality
	if q.MaxAttempts <= 0 {
		q.MaxAttempts = DefaultMaxAttempts
	}
	if q.CRFStep <= 0 {
		q.CRFStep = DefaultCRFStep
	}
	if q.BitrateStep <= 1 {
		q.BitrateStep = DefaultBitrateStep
	}
	if len(q.Metrics) == 0 {
		q.Metrics = []string{MetricVMAF, MetricPSNR}
	}
	gated := q.MinVMAF > 0
	for _, r := range job.Renditions {
		gated = gated || r.MinVMAF > 0
	}
	if gated && !slices.Contains(q.Metrics, MetricVMAF) {
		q.Metrics = append(slices.DeleteFunc(slices.Clone(q.Metrics), func(m string) bool { return m == "none" }), MetricVMAF)
	}
	if q.Subsample <= 0 {
		q.Subsample = 1
	}
	if job.Audio.Mode == "" {
		job.Audio.Mode = AudioCopy
	}
	if job.Limits.MaxInFlight <= 0 {
		job.Limits.MaxInFlight = DefaultMaxInFlight
	}
	if job.Limits.BatchSize <= 0 {
		job.Limits.BatchSize = DefaultBatchSize
	}
	job.Limits.BatchSize = min(job.Limits.BatchSize, maxBatchSize)
	if job.Timeouts.HeartbeatSeconds <= 0 {
		job.Timeouts.HeartbeatSeconds = DefaultHeartbeat
	}
	if job.Timeouts.ChunkMinutes <= 0 {
		job.Timeouts.ChunkMinutes = DefaultChunkMinutes
	}
	return job
}

// Validate reports the first problem that makes job impossible.
func Validate(job Job) error {
	if job.Source == "" {
		return errors.New("job has no source")
	}
	if job.Output == "" {
		return errors.New("job has no output URL")
	}
	if len(job.Renditions) == 0 {
		return errors.New("job has no renditions")
	}
	seen := map[string]bool{}
	for _, r := range job.Renditions {
		if !renditionName.MatchString(r.Name) {
			return fmt.Errorf("rendition name %q: use 1-64 letters, digits, '.', '_' or '-'", r.Name)
		}
		if seen[r.Name] {
			return fmt.Errorf("rendition name %q used twice", r.Name)
		}
		seen[r.Name] = true
		if r.Codec == "" {
			return fmt.Errorf("rendition %s: no codec", r.Name)
		}
		if r.CRF < 0 || r.Bitrate < 0 || r.Width < 0 || r.Height < 0 {
			return fmt.Errorf("rendition %s: negative CRF, bitrate or size", r.Name)
		}
		if _, err := ParseFPS(r.FPS); err != nil {
			return fmt.Errorf("rendition %s: %w", r.Name, err)
		}
	}
	switch job.Chunking.Mode {
	case ChunkFixed, ChunkShots:
	default:
		return fmt.Errorf("chunking mode %q: want %q or %q", job.Chunking.Mode, ChunkFixed, ChunkShots)
	}
	switch job.Audio.Mode {
	case AudioCopy, AudioCopyAll, AudioNone:
	default:
		return fmt.Errorf("audio mode %q: want %q, %q or %q", job.Audio.Mode, AudioCopy, AudioCopyAll, AudioNone)
	}
	switch a := job.Audio; {
	case a.Track < 0:
		return fmt.Errorf("audio track %d: must not be negative", a.Track)
	case a.Track != 0 && a.Language != "":
		return errors.New("audio: choose the track by index or by language, not both")
	case a.Mode == AudioCopyAll && (a.Track != 0 || a.Language != ""):
		return errors.New("audio: copy-all keeps every track; a track or language needs mode copy")
	}
	for _, m := range job.Quality.Metrics {
		if m != MetricVMAF && m != MetricPSNR && m != "none" {
			return fmt.Errorf("metric %q: want %q or %q", m, MetricVMAF, MetricPSNR)
		}
	}
	switch job.Optimize {
	case OptimizeNone:
	case OptimizePerShot:
		if err := validatePerShot(job); err != nil {
			return err
		}
		if job.Package.Enabled() {
			// Per-shot rungs put keyframes at shot starts, not on a segment
			// grid: package them afterwards with reel package.
			return errors.New("package with optimize per-shot is not supported: run the job, then reel package its rungs")
		}
	default:
		return fmt.Errorf("optimize %q: want %q or nothing", job.Optimize, OptimizePerShot)
	}
	return validatePackage(job)
}

// shortActivity is for probe, report and cleanup: seconds of work.
func shortActivity(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		RetryPolicy:         retryPolicy(),
	})
}

// longActivity is for encodes and assembly: minutes of work that heartbeat,
// so a dead worker is noticed after one heartbeat timeout and cancellation
// reaches the running encoder.
func longActivity(ctx workflow.Context, t ActivityTiming) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Duration(t.ChunkMinutes * float64(time.Minute)),
		HeartbeatTimeout:    time.Duration(t.HeartbeatSeconds * float64(time.Second)),
		WaitForCancellation: true,
		RetryPolicy:         retryPolicy(),
	})
}

// jobState is EncodeWorkflow's memory, read by the progress queries.
type jobState struct {
	progress Progress
	chunks   []Chunk
	outcomes map[string][]ChunkOutcome // by rendition, indexed by chunk
}

func (s *jobState) query(detail bool) Progress {
	p := s.progress
	p.Renditions = slices.Clone(p.Renditions)
	p.Batches = slices.Clone(p.Batches)
	if !detail {
		return p
	}
	p.ChunkStates = nil
	for _, r := range p.Renditions {
		for i, o := range s.outcomes[r.Name] {
			if o.Attempts == 0 {
				continue
			}
			p.ChunkStates = append(p.ChunkStates, outcomeState(r.Name, s.chunks[i], o))
		}
	}
	return p
}

func outcomeState(rendition string, c Chunk, o ChunkOutcome) ChunkState {
	st := StateDone
	if !o.Passed {
		st = StateBelowBar
	}
	return ChunkState{
		Rendition: rendition, Index: c.Index, State: st, Attempt: o.Attempts, Frames: c.Frames(),
		CRF: o.Final.CRF, VMAF: o.Final.VMAF, PSNR: o.Final.PSNR, Bytes: o.Final.Bytes,
	}
}

// EncodeWorkflow runs one job: probe the source, plan chunks, encode and
// score every chunk of every rendition (in child workflows of at most
// Limits.BatchSize chunks, at most Limits.MaxInFlight at once), re-encode
// chunks under the quality bar, assemble each rendition, write report.json.
// Cancelling it stops the running encodes and deletes the job's
// intermediates.
func EncodeWorkflow(ctx workflow.Context, job Job) (res Result, err error) {
	info := workflow.GetInfo(ctx)
	jobID := info.WorkflowExecution.ID
	job = WithDefaults(job)
	started := workflow.Now(ctx)
	st := &jobState{outcomes: map[string][]ChunkOutcome{}}
	st.progress = Progress{Job: jobID, Phase: PhaseProbing, Started: started}
	for _, r := range job.Renditions {
		st.progress.Renditions = append(st.progress.Renditions, RenditionProgress{Name: r.Name})
	}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return st.query(true), nil }); err != nil {
		return Result{}, err
	}
	if err := workflow.SetQueryHandler(ctx, QuerySummary, func() (Progress, error) { return st.query(false), nil }); err != nil {
		return Result{}, err
	}
	defer func() {
		switch {
		case err == nil:
			st.progress.Phase = PhaseDone
		case temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled):
			st.progress.Phase = PhaseCanceled
			st.progress.Error = "canceled"
			// Every child and activity has finished cancelling (they all wait
			// for it), so nothing writes under the work prefix any more.
			dctx, cancel := workflow.NewDisconnectedContext(ctx)
			defer cancel()
			cerr := workflow.ExecuteActivity(shortActivity(dctx), ActivityCleanup, CleanupTask{Work: job.Work, Job: jobID}).Get(dctx, nil)
			if cerr != nil {
				workflow.GetLogger(ctx).Error("cleanup after cancel failed", "error", cerr)
			}
		default:
			st.progress.Phase = PhaseFailed
			st.progress.Error = err.Error()
		}
	}()

	if err := Validate(job); err != nil {
		return Result{}, badInputErr(err)
	}

	// Probe and plan.
	var src SourceInfo
	if err := workflow.ExecuteActivity(shortActivity(ctx), ActivityProbe, job.Source, ProbeOptions{Strict: job.Strict, Work: job.Work, Job: jobID, Writes: []string{job.Output, job.Work}}).Get(ctx, &src); err != nil {
		return Result{}, err
	}
	probed := workflow.Now(ctx)
	if err := checkAudio(job.Audio, src); err != nil {
		return Result{}, badInputErr(fmt.Errorf("%s: %w", job.Source, err))
	}
	if err := checkPackage(job, src); err != nil {
		return Result{}, badInputErr(fmt.Errorf("%s: %w", job.Source, err))
	}
	job.Renditions = packageRenditions(job, src) // keyframes on segment boundaries
	var chunks []Chunk
	switch {
	case job.Chunking.Mode == ChunkFixed && job.Package.Enabled():
		chunks, err = planPackageChunks(src, job.Chunking, job.Package)
		if err != nil {
			return Result{}, badInputErr(fmt.Errorf("%s: %w", job.Source, err))
		}
	case job.Chunking.Mode == ChunkFixed:
		chunks, err = PlanChunks(src, job.Chunking)
		if err != nil {
			return Result{}, badInputErr(fmt.Errorf("%s: %w", job.Source, err))
		}
	case job.Chunking.Mode == ChunkShots:
		if chunks, err = planShots(ctx, jobID, job, src); err != nil {
			return Result{}, err
		}
	}
	st.chunks = chunks
	st.progress.Chunks = len(chunks)
	st.progress.Frames = src.Frames
	st.progress.FrameRate = src.FrameRate
	st.progress.Phase = PhaseEncoding
	if job.Optimize == OptimizePerShot {
		return runPerShot(ctx, st, job, src, chunks, started, probed)
	}

	audio := job.Audio.Mode
	if !src.HasAudio {
		audio = AudioNone
	}

	// Encode all renditions; each assembles as soon as its chunks are done.
	// Each batch runs up to window chunks at once and up to parallel batches
	// run at once, so at most MaxInFlight chunks of the job are in flight.
	window := min(job.Limits.MaxInFlight, job.Limits.BatchSize, len(chunks))
	parallel := max(1, job.Limits.MaxInFlight/window)
	sem := workflow.NewSemaphore(ctx, int64(parallel))
	gctx, cancelAll := workflow.WithCancel(ctx)
	defer cancelAll()
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
			cancelAll()
		}
	}
	assembled := make([]AssembleResult, len(job.Renditions))
	var chunksDone, assembleSeconds time.Duration
	wg := workflow.NewWaitGroup(ctx)
	for ri, r := range job.Renditions {
		r.Deinterlace = deinterlaceFor(r, src.Interlaced) // auto is resolved for this source
		st.outcomes[r.Name] = make([]ChunkOutcome, len(chunks))
		parts := batches(chunks, job.Limits.BatchSize)
		refs := make([]int, len(parts))
		for bi, part := range parts {
			refs[bi] = len(st.progress.Batches)
			st.progress.Batches = append(st.progress.Batches, BatchRef{
				WorkflowID: batchID(jobID, r.Name, bi), Rendition: r.Name, First: part[0].Index, Count: len(part),
			})
		}
		wg.Add(1)
		workflow.Go(gctx, func(ctx workflow.Context) {
			defer wg.Done()
			bwg := workflow.NewWaitGroup(ctx)
			for bi, part := range parts {
				bwg.Add(1)
				workflow.Go(ctx, func(ctx workflow.Context) {
					defer bwg.Done()
					if err := sem.Acquire(ctx, 1); err != nil {
						fail(err)
						return
					}
					defer sem.Release(1)
					task := BatchTask{
						Job: jobID, Source: job.Source, Work: job.Work, Rendition: r, Chunks: part,
						Quality: job.Quality, Window: window, SourceWidth: src.Width, SourceHeight: src.Height, SourceBitDepth: src.BitDepth,
						Timeouts: job.Timeouts, Strict: job.Strict, SourceIndex: src.IndexKey,
					}
					cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
						WorkflowID:          batchID(jobID, r.Name, bi),
						WaitForCancellation: true,
					})
					var br BatchResult
					if err := workflow.ExecuteChildWorkflow(cctx, ChunkBatchWorkflow, task).Get(ctx, &br); err != nil {
						fail(err)
						return
					}
					st.recordBatch(ri, refs[bi], part, br)
				})
			}
			bwg.Wait(ctx)
			if firstErr != nil || ctx.Err() != nil {
				return
			}
			chunksDone = max(chunksDone, workflow.Now(ctx).Sub(probed))
			keys := make([]string, len(chunks))
			for i, o := range st.outcomes[r.Name] {
				keys[i] = o.Final.Key
			}
			t0 := workflow.Now(ctx)
			var ar AssembleResult
			err := workflow.ExecuteActivity(longActivity(ctx, job.Timeouts), ActivityAssemble, AssembleTask{
				Job: jobID, Source: job.Source, Work: job.Work, Output: job.Output, Rendition: r,
				ChunkKeys: keys, ExpectFrames: expectFrames(src, r, st.outcomes[r.Name]), Audio: packageAudio(job, src, assembleAudio(audio, job.Audio, src, r)),
				AudioTrack: job.Audio.Track, AudioLanguage: job.Audio.Language,
			}).Get(ctx, &ar)
			if err != nil {
				fail(err)
				return
			}
			assembleSeconds += workflow.Now(ctx).Sub(t0)
			assembled[ri] = ar
			st.progress.Renditions[ri].Output = ar.URL
		})
	}
	wg.Wait(ctx)
	if firstErr != nil {
		return Result{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	pkg, err := packageJob(ctx, st, jobID, job, assembled)
	if err != nil {
		return Result{}, err
	}

	// Report.
	st.progress.Phase = PhaseReporting
	rt := ReportTask{Job: jobID, Source: job.Source, Info: src, Work: job.Work, Output: job.Output, Quality: job.Quality, Chunks: chunks, Package: pkg}
	rt.Info.Keyframes = nil
	for ri, r := range job.Renditions {
		rec := RenditionRecord{Rendition: r, Output: assembled[ri]}
		for _, o := range st.outcomes[r.Name] {
			rec.Final = append(rec.Final, o.Final.Attempt)
			rec.Tried = append(rec.Tried, o.Attempts)
			rec.Passed = append(rec.Passed, o.Passed)
		}
		rt.Renditions = append(rt.Renditions, rec)
	}
	now := workflow.Now(ctx)
	rt.Timings = Timings{
		Probe:    probed.Sub(started).Seconds(),
		Chunks:   chunksDone.Seconds(),
		Assemble: assembleSeconds.Seconds(),
		Total:    now.Sub(started).Seconds(),
	}
	var reportURL string
	if err := workflow.ExecuteActivity(shortActivity(ctx), ActivityWriteReport, rt).Get(ctx, &reportURL); err != nil {
		return Result{}, err
	}

	if !job.KeepIntermediates {
		st.progress.Phase = PhaseCleanup
		if err := workflow.ExecuteActivity(shortActivity(ctx), ActivityCleanup, CleanupTask{Work: job.Work, Job: jobID}).Get(ctx, nil); err != nil {
			// The outputs are complete; leftover chunks are only wasted space.
			workflow.GetLogger(ctx).Warn("removing intermediates failed", "error", err)
		}
	}

	res = Result{Job: jobID, Report: reportURL, Chunks: len(chunks), Seconds: workflow.Now(ctx).Sub(started).Seconds(), Package: pkg}
	for ri, r := range job.Renditions {
		rr := summarize(r.Name, assembled[ri], st.outcomes[r.Name], chunks)
		rr.Timing = timingOf(src, r)
		res.Renditions = append(res.Renditions, rr)
	}
	res.Problems, res.ProblemsMore = st.problems(src, job.Renditions).capped(MaxResultProblems)
	return res, nil
}

// MaxResultProblems bounds the problem lines in a job's Result (report.json
// lists them all).
const MaxResultProblems = 20

// problems gathers the source's problems: the probe's, then each chunk's
// (from the final attempts of every rendition: they decode the same range).
func (s *jobState) problems(src SourceInfo, renditions []Rendition) *problemList {
	var ps problemList
	ps.add(src.Problems)
	for i := range s.chunks {
		more := 0
		for _, r := range renditions {
			fin := s.outcomes[r.Name][i].Final
			ps.add(fin.Problems)
			more = max(more, fin.ProblemsMore)
		}
		ps.more += more
	}
	return &ps
}

func (s *jobState) recordBatch(ri, ref int, part []Chunk, br BatchResult) {
	rp := &s.progress.Renditions[ri]
	outs := s.outcomes[rp.Name]
	for i, o := range br.Chunks {
		c := part[i]
		outs[c.Index] = o
		rp.Done++
		rp.FramesDone += c.Frames()
		if o.Attempts > 1 {
			rp.Reencoded++
		}
		if !o.Passed {
			rp.BelowBar++
		}
	}
	var sum float64
	var frames int64
	for i, o := range outs {
		if o.Attempts > 0 {
			sum += o.Final.VMAF * float64(s.chunks[i].Frames())
			frames += s.chunks[i].Frames()
		}
	}
	if frames > 0 {
		rp.VMAF = sum / float64(frames)
	}
	s.progress.Batches[ref].Done = true
}

func summarize(name string, ar AssembleResult, outs []ChunkOutcome, chunks []Chunk) RenditionResult {
	rr := RenditionResult{Name: name, URL: ar.URL, Bytes: ar.Bytes, Frames: ar.Frames, Bitrate: ar.Bitrate}
	var vsum, psum float64
	var frames int64
	for i, o := range outs {
		n := chunks[i].Frames()
		vsum += o.Final.VMAF * float64(n)
		psum += o.Final.PSNR * float64(n)
		frames += n
		if i == 0 || o.Final.VMAF < rr.VMAFMin {
			rr.VMAFMin = o.Final.VMAF
		}
		if o.Attempts > 1 {
			rr.Reencoded++
		}
		if !o.Passed {
			rr.BelowBar++
		}
	}
	if frames > 0 {
		rr.VMAF = vsum / float64(frames)
		rr.PSNR = psum / float64(frames)
	}
	return rr
}

// batchID is the child workflow ID of one batch: stable, so a restarted
// parent finds the same children.
func batchID(job, rendition string, batch int) string {
	return fmt.Sprintf("%s/%s/batch-%04d", job, rendition, batch)
}

func joinURL(base, elem string) string {
	for len(base) > 0 && base[len(base)-1] == '/' {
		base = base[:len(base)-1]
	}
	return base + "/" + elem
}

// expectFrames is how many frames rendition r's assembled output holds:
// the source's, or with a rate conversion what its chunks made.
func expectFrames(src SourceInfo, r Rendition, outs []ChunkOutcome) int64 {
	if r.FPS == "" {
		return src.Frames
	}
	var n int64
	for _, o := range outs {
		n += o.Final.Frames
	}
	return n
}
