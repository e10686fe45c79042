package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/reelmedia/reel/encode"
)

// Render activity names, as registered from the Activities methods.
const (
	ActivityPlanRender     = "PlanRender"
	ActivityRenderPiece    = "RenderPiece"
	ActivityAssembleRender = "AssembleRender"
	ActivityCleanupRender  = "CleanupRender"
)

// DefaultChunkFrames is RenderJob.ChunkFrames' default: two seconds at 24 fps.
const DefaultChunkFrames = 48

// renderRendition names the one output in a render's Progress, so that
// reel status shows a render job like an encode job.
const renderRendition = "review"

// RenderJob is the input of RenderWorkflow: an image sequence to a review
// movie, rendered in chunks of frames on any number of workers.
type RenderJob struct {
	Spec RenderSpec `json:"spec"`
	// Output is the review movie, an absolute local path on the workers
	// (.mov, or .mp4 for h264), written to a temporary name and renamed.
	Output string `json:"output"`
	// Work is the directory, shared by the workers, for the pieces, under
	// <Work>/<job ID>/. Default: <Output>.work.
	Work string `json:"work,omitempty"`
	// ChunkFrames is the frames per piece, the slate counted (default 48).
	// For h264 it is rounded up to a multiple of the GOP (half a second),
	// so that every piece starts where the whole movie has a keyframe.
	ChunkFrames int            `json:"chunk_frames,omitempty"`
	Timeouts    ActivityTiming `json:"timeouts"`
	// Audio is a sound file (a path on the workers or a URL) muxed when
	// the pieces are joined, as render run muxes it: silence under the
	// slate, then the sound trimmed or padded to the pictures.
	Audio string `json:"audio,omitempty"`
}

// RenderPieceTask is one chunk of a render.
type RenderPieceTask struct {
	Index int `json:"index"`
	// Piece is the file the chunk is rendered to (under the job's work
	// directory); its sidecar, Piece + ".json", says it is finished.
	Piece  string               `json:"piece"`
	Frames []encode.RenderFrame `json:"frames"`
	// Slate is the slate's lines and SlateThumb the frame it shows, for
	// the first piece only.
	Slate      []string                  `json:"slate,omitempty"`
	SlateThumb string                    `json:"slate_thumb,omitempty"`
	Context    encode.RenderPieceOptions `json:"context"`
	Settings   RenderSettings            `json:"settings"`
}

// RenderPieceResult is a rendered piece: its frames (slate included), its
// QC, and whether an earlier attempt had already made it.
type RenderPieceResult struct {
	Index  int             `json:"index"`
	Frames int             `json:"frames"`
	Bytes  int64           `json:"bytes"`
	QC     encode.RenderQC `json:"qc"`
	Worker string          `json:"worker,omitempty"`
	Reused bool            `json:"reused,omitempty"`
	// Fingerprint is the hash of the task the piece was made from.
	Fingerprint string               `json:"fingerprint"`
	Result      *encode.RenderResult `json:"result"`
}

// RenderAssembleTask joins the pieces into the movie.
type RenderAssembleTask struct {
	Pieces []string `json:"pieces"`
	Output string   `json:"output"`
	Frames int      `json:"frames"`
	// Audio (RenderJob.Audio) is muxed with the movie's Codec, FPS and
	// SlateFrames.
	Audio       string          `json:"audio,omitempty"`
	Codec       string          `json:"codec,omitempty"`
	FPS         encode.Rational `json:"fps,omitempty"`
	SlateFrames int             `json:"slate_frames,omitempty"`
}

// RenderCleanupTask removes a job's pieces.
type RenderCleanupTask struct {
	Work string `json:"work"`
	Job  string `json:"job"`
}

// RenderJobResult is what RenderWorkflow returns: reel render run's report
// and the chunking.
type RenderJobResult struct {
	Job     string               `json:"job"`
	Pattern string               `json:"pattern"`
	Range   string               `json:"range"`
	Policy  string               `json:"on_missing"`
	Missing []int                `json:"missing,omitempty"`
	Chunks  int                  `json:"chunks"`
	Result  *encode.RenderResult `json:"result"`
}

// WithRenderDefaults fills the zero settings of job.
func WithRenderDefaults(job RenderJob) RenderJob {
	if job.Work == "" && job.Output != "" && !isURL(job.Output) {
		job.Work = job.Output + workSuffix
	}
	if job.ChunkFrames <= 0 {
		job.ChunkFrames = DefaultChunkFrames
	}
	if job.Timeouts.HeartbeatSeconds <= 0 {
		job.Timeouts.HeartbeatSeconds = DefaultHeartbeat
	}
	if job.Timeouts.ChunkMinutes <= 0 {
		job.Timeouts.ChunkMinutes = DefaultChunkMinutes
	}
	return job
}

// ValidateRender reports the first problem that makes job impossible.
func ValidateRender(job RenderJob) error {
	switch {
	case job.Spec.Pattern == "":
		return errors.New("render: no sequence")
	case !filepath.IsAbs(job.Output) && !isURL(job.Output):
		return fmt.Errorf("render: the output %q must be an absolute local path or a URL (s3://bucket/key.mov)", job.Output)
	case job.Work == "" && isURL(job.Output):
		return fmt.Errorf("render: with the output %s, give a work directory the workers share for the pieces", job.Output)
	case !filepath.IsAbs(job.Work):
		return fmt.Errorf("render: the work directory %q must be an absolute local path", job.Work)
	case job.ChunkFrames > 100000:
		return fmt.Errorf("render: %d frames per chunk is too many", job.ChunkFrames)
	}
	return nil
}

// isURL reports whether s is a URL (s3://, file://) rather than a path.
func isURL(s string) bool { return strings.Contains(s, "://") }

// PieceBounds cuts a movie of frames (slate not counted) into pieces of
// chunk frames counted in the movie (slate included), chunk rounded up to a
// multiple of gop. It returns the frame index where each piece starts and,
// last, len(frames): piece i is frames[b[i]:b[i+1]], the first one with
// the slate before it.
func PieceBounds(frames, chunk, gop int, slate bool) []int {
	chunk = (max(chunk, 1) + gop - 1) / gop * gop
	s := 0
	if slate {
		s = 1
	}
	b := []int{0}
	first := chunk - s
	if first < 1 {
		// a piece of the slate alone cannot be rendered (chunks of one
		// frame: an intra codec, where any cut is aligned)
		first += chunk
	}
	for at := first; at < frames; at += chunk {
		b = append(b, at)
	}
	return append(b, frames)
}

// renderState is RenderWorkflow's memory, read by the progress query.
type renderState struct {
	progress Progress
	pieces   []RenderPieceResult
	sizes    []int
}

func (s *renderState) query() Progress {
	p := s.progress
	p.Renditions = slices.Clone(p.Renditions)
	p.ChunkStates = nil
	for i, n := range s.sizes {
		cs := ChunkState{Rendition: renderRendition, Index: i, State: StatePending, Frames: int64(n)}
		if r := s.pieces[i]; r.Result != nil {
			cs.State, cs.Attempt, cs.Bytes = StateDone, 1, r.Bytes
		}
		p.ChunkStates = append(p.ChunkStates, cs)
	}
	return p
}

// RenderWorkflow renders an image sequence to a review movie: plan (find
// the sequence, resolve missing frames and burn-ins once), render every
// chunk of frames into a piece on whichever worker is free, merge QC in
// frame order, join the pieces into the movie (renamed into place), and
// remove the pieces. A failure or cancellation removes the pieces and
// leaves no movie; --qc-strict fails before the movie is written.
func RenderWorkflow(ctx workflow.Context, job RenderJob) (res RenderJobResult, err error) {
	jobID := workflow.GetInfo(ctx).WorkflowExecution.ID
	job = WithRenderDefaults(job)
	st := &renderState{progress: Progress{Job: jobID, Phase: PhaseProbing, Started: workflow.Now(ctx),
		Renditions: []RenditionProgress{{Name: renderRendition}}}}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return st.query(), nil }); err != nil {
		return res, err
	}
	if err := workflow.SetQueryHandler(ctx, QuerySummary, func() (Progress, error) { return st.query(), nil }); err != nil {
		return res, err
	}
	defer func() {
		switch {
		case err == nil:
			st.progress.Phase = PhaseDone
			return
		case temporal.IsCanceledError(err) || errors.Is(ctx.Err(), workflow.ErrCanceled):
			st.progress.Phase, st.progress.Error = PhaseCanceled, "canceled"
		default:
			st.progress.Phase, st.progress.Error = PhaseFailed, err.Error()
		}
		// no movie was written; the pieces go too
		dctx, cancel := workflow.NewDisconnectedContext(ctx)
		defer cancel()
		if cerr := workflow.ExecuteActivity(shortActivity(dctx), ActivityCleanupRender, RenderCleanupTask{Work: job.Work, Job: jobID}).Get(dctx, nil); cerr != nil {
			workflow.GetLogger(ctx).Error("removing the pieces failed", "error", cerr)
		}
	}()
	if err := ValidateRender(job); err != nil {
		return res, badInputErr(err)
	}

	if job.Spec.OCIO != nil {
		// one LUT for every piece, removed with them
		job.Spec.LUTDir = filepath.Join(job.Work, jobID)
	}
	job.Spec.Writes = []string{job.Output, job.Work}
	var plan RenderPlan
	if err := workflow.ExecuteActivity(shortActivity(ctx), ActivityPlanRender, job.Spec).Get(ctx, &plan); err != nil {
		return res, err
	}
	slate := len(plan.Slate) > 0
	bounds := PieceBounds(len(plan.Frames), job.ChunkFrames, encode.RenderGOP(plan.Settings.Codec, plan.Settings.FPS), slate)
	n := len(bounds) - 1
	st.pieces = make([]RenderPieceResult, n)
	st.sizes = make([]int, n)
	movieFrames := len(plan.Frames)
	if slate {
		movieFrames++
	}
	st.progress.Chunks, st.progress.Frames = n, int64(movieFrames)
	st.progress.FrameRate = plan.Settings.FPS.Float()
	st.progress.Phase = PhaseEncoding

	ext := strings.ToLower(filepath.Ext(job.Output))
	dir := filepath.Join(job.Work, jobID)
	ref := ""
	for _, f := range plan.Frames {
		if f.File != "" {
			ref = f.File
			break
		}
	}
	pctx := longActivity(ctx, job.Timeouts)
	futures := make([]workflow.Future, n)
	prev := ""
	for i := range n {
		frames := plan.Frames[bounds[i]:bounds[i+1]]
		t := RenderPieceTask{Index: i, Piece: filepath.Join(dir, fmt.Sprintf("piece-%04d%s", i, ext)), Frames: frames,
			Context: encode.RenderPieceOptions{Prev: prev, Ref: ref}, Settings: plan.Settings}
		st.sizes[i] = len(frames)
		if i == 0 && slate {
			t.Slate = plan.Slate
			t.SlateThumb = plan.SlateThumb
			st.sizes[i]++
		}
		futures[i] = workflow.ExecuteActivity(pctx, ActivityRenderPiece, t)
		// the next piece's QC starts from the last frame QC reads here
		for _, f := range frames {
			if f.File != "" && !f.Held {
				prev = f.File
			}
		}
	}
	var qc encode.RenderQC
	var first *encode.RenderResult
	for i, f := range futures {
		var pr RenderPieceResult
		if err := f.Get(ctx, &pr); err != nil {
			return res, err
		}
		st.pieces[i] = pr
		st.progress.Renditions[0].Done++
		st.progress.Renditions[0].FramesDone += int64(pr.Frames)
		if i == 0 {
			first = pr.Result
		}
		qc.NaN = append(qc.NaN, pr.QC.NaN...)
		qc.Inf = append(qc.Inf, pr.QC.Inf...)
		qc.Black = append(qc.Black, pr.QC.Black...)
		qc.Frozen = append(qc.Frozen, pr.QC.Frozen...)
	}
	if plan.Settings.StrictQC && !qc.Clean() {
		return res, badInputErr(fmt.Errorf("render %s: %s; no movie written: %w", job.Output, qc, encode.ErrQCFailed))
	}

	st.progress.Phase = PhaseAssembling
	pieces := make([]string, n)
	for i := range n {
		pieces[i] = filepath.Join(dir, fmt.Sprintf("piece-%04d%s", i, ext))
	}
	var cr encode.ConcatResult
	at := RenderAssembleTask{Pieces: pieces, Output: job.Output, Frames: movieFrames}
	if job.Audio != "" {
		at.Audio, at.Codec, at.FPS = job.Audio, plan.Settings.Codec, plan.Settings.FPS
		if slate {
			at.SlateFrames = 1
		}
	}
	if err := workflow.ExecuteActivity(pctx, ActivityAssembleRender, at).Get(ctx, &cr); err != nil {
		return res, err
	}
	st.progress.Renditions[0].Output = job.Output
	st.progress.Phase = PhaseCleanup
	if err := workflow.ExecuteActivity(shortActivity(ctx), ActivityCleanupRender, RenderCleanupTask{Work: job.Work, Job: jobID}).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("removing the pieces failed", "error", err)
	}
	r := *first
	r.Path, r.Frames, r.Bytes, r.QC, r.Audio = job.Output, int(cr.Frames), cr.Bytes, qc, cr.Audio
	return RenderJobResult{Job: jobID, Pattern: plan.Pattern, Range: plan.Range, Policy: string(plan.Policy), Missing: plan.Missing,
		Chunks: n, Result: &r}, nil
}

// PlanRender resolves a render's spec on a worker: the sequence listed
// through the worker's storage, the missing-frame policy applied once.
func (a *Activities) PlanRender(ctx context.Context, spec RenderSpec) (RenderPlan, error) {
	dir := spec.Pattern
	if i := strings.LastIndexByte(dir, '/'); i >= 0 && strings.ContainsAny(dir[i+1:], "#@%") {
		dir = dir[:i+1]
	}
	for _, u := range append([]string{dir}, spec.Writes...) {
		if err := a.storage().Check(u); err != nil {
			return RenderPlan{}, classify(err)
		}
	}
	plan, err := PlanRender(ctx, StorageLister{a.storage()}, spec)
	if err != nil {
		return RenderPlan{}, classify(err)
	}
	if b, err := json.Marshal(plan); err == nil && len(b) > maxPlanBytes {
		return RenderPlan{}, badInputErr(fmt.Errorf("render %s: %d frames make a plan of %d bytes, over the %d a job can carry: render a shorter range",
			plan.Pattern, len(plan.Frames), len(b), maxPlanBytes))
	}
	return plan, nil
}

// RenderPiece renders one chunk of frames into its piece. A piece whose
// sidecar says it was made from the same task is returned as it is: a
// retried activity does not render it again.
func (a *Activities) RenderPiece(ctx context.Context, t RenderPieceTask) (RenderPieceResult, error) {
	fp, err := fingerprint(t)
	if err != nil {
		return RenderPieceResult{}, err
	}
	side := t.Piece + ".json"
	if b, err := os.ReadFile(side); err == nil {
		var done RenderPieceResult
		if json.Unmarshal(b, &done) == nil && done.Fingerprint == fp {
			if fi, err := os.Stat(t.Piece); err == nil && fi.Size() == done.Bytes {
				done.Reused = true
				return done, nil
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(t.Piece), 0o755); err != nil {
		return RenderPieceResult{}, fmt.Errorf("render piece %d: %w", t.Index, err)
	}
	o := t.Settings.Options()
	o.Slate = t.Slate
	o.SlateThumb = t.SlateThumb
	// the workflow applies --qc-strict to the whole movie's QC (a frozen
	// frame can span two pieces), after every piece
	o.StrictQC = false
	o.Progress = func(done int) { beat(ctx, heartbeat{Phase: "render", Frames: int64(done)}) }
	r, err := encode.RenderPiece(ctx, StorageFiles{a.storage()}, t.Frames, t.Piece, o, t.Context)
	if err != nil {
		return RenderPieceResult{}, classify(err)
	}
	pr := RenderPieceResult{Index: t.Index, Frames: r.Frames, Bytes: r.Bytes, QC: r.QC, Worker: a.identity(), Fingerprint: fp, Result: r}
	b, err := json.Marshal(pr)
	if err != nil {
		return RenderPieceResult{}, err
	}
	if err := writeFileAtomic(side, b); err != nil {
		return RenderPieceResult{}, fmt.Errorf("render piece %d: %w", t.Index, err)
	}
	return pr, nil
}

// AssembleRender joins the pieces into the movie by stream copy, written
// to a temporary name and renamed.
func (a *Activities) AssembleRender(ctx context.Context, t RenderAssembleTask) (encode.ConcatResult, error) {
	beat(ctx, heartbeat{Phase: "assemble"})
	opts := encode.ConcatOptions{ExpectFrames: int64(t.Frames)}
	if t.Audio != "" {
		in, closer, err := a.openSource(ctx, t.Audio)
		if err != nil {
			return encode.ConcatResult{}, classify(fmt.Errorf("render audio: %w", err))
		}
		defer closer.Close()
		opts.Sound = &encode.ConcatSound{In: in, VideoCodec: t.Codec, SlateFrames: int64(t.SlateFrames), FPS: t.FPS}
	}
	if !isURL(t.Output) {
		r, err := encode.Concat(ctx, t.Pieces, t.Output, opts)
		if err != nil {
			return encode.ConcatResult{}, classify(err)
		}
		return *r, nil
	}
	// A URL: joined beside the pieces, then stored in one Put, so nothing
	// is visible there before the movie is whole.
	i := strings.LastIndexByte(t.Output, '/')
	st, err := a.storage().Store(ctx, t.Output[:i])
	if err != nil {
		return encode.ConcatResult{}, classify(err)
	}
	local := filepath.Join(filepath.Dir(t.Pieces[0]), "movie"+strings.ToLower(filepath.Ext(t.Output)))
	defer os.Remove(local)
	r, err := encode.Concat(ctx, t.Pieces, local, opts)
	if err != nil {
		return encode.ConcatResult{}, classify(err)
	}
	if _, err := st.Put(ctx, t.Output[i+1:], local); err != nil {
		return encode.ConcatResult{}, classify(fmt.Errorf("storing the movie at %s: %w", t.Output, err))
	}
	r.Path = t.Output
	return *r, nil
}

// CleanupRender removes a job's pieces, and the work directory when no
// other job uses it.
func (a *Activities) CleanupRender(ctx context.Context, t RenderCleanupTask) error {
	if t.Job == "" || strings.ContainsAny(t.Job, `/\`) || t.Job == "." || t.Job == ".." {
		return badInputErr(fmt.Errorf("render cleanup: bad job ID %q", t.Job))
	}
	if err := os.RemoveAll(filepath.Join(t.Work, t.Job)); err != nil {
		return err
	}
	_ = os.Remove(t.Work) // only when empty
	return nil
}

// writeFileAtomic writes b to name through a temporary file and a rename.
func writeFileAtomic(name string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.part")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// RegisterRender adds RenderWorkflow to a worker (or a replayer).
func RegisterRender(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	r.RegisterWorkflowWithOptions(RenderWorkflow, workflow.RegisterOptions{Name: "RenderWorkflow"})
}
