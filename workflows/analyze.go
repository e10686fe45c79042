package workflows

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/workflow"

	"github.com/reelmedia/reel/archer"
	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/media"
)

// AnalyzeWorkflow is archer's map-reduce on Temporal: probe the source,
// split it into chunks, analyse every chunk in an activity (map: each writes
// its archer.Partial to the work store), then reduce the partials into one
// analysis.json (plus a contact sheet with the thumbs analyzer), written
// atomically to the output store. Workflow and activity names:
const (
	WorkflowAnalyze      = "AnalyzeWorkflow"
	ActivityArcherProbe  = "ArcherProbe"
	ActivityArcherChunk  = "ArcherAnalyzeChunk"
	ActivityArcherReduce = "ArcherReduce"
)

// versionAnalyzeKeyframeChunks marks AnalyzeWorkflow's change from fixed
// chunks with a context frame to archer.RunSpans (keyframe cuts).
const versionAnalyzeKeyframeChunks = "analyze-keyframe-chunks"

// DefaultAnalyzeChunkSeconds is the chunk length when AnalyzeRequest leaves it 0.
const DefaultAnalyzeChunkSeconds = 20.0

// AnalyzeRequest is the input of AnalyzeWorkflow.
type AnalyzeRequest struct {
	// Job names the work files; default: the workflow ID.
	Job string `json:"job,omitempty"`
	// Source is a local path or an s3://, http(s)://, file:// URL.
	Source string `json:"source"`
	// Work is a store URL (file:///dir, s3://bucket/prefix) for the chunks'
	// partial results; Output one for analysis.json and contact-sheet.jpg.
	Work   string `json:"work"`
	Output string `json:"output"`
	// Config selects the analyzers and thresholds (archer's defaults for zero fields).
	Config archer.Config `json:"config"`
	// ChunkSeconds is the length of a chunk. Default DefaultAnalyzeChunkSeconds.
	ChunkSeconds float64 `json:"chunk_seconds,omitempty"`
	// Start and End select frames [Start, End); End 0 means the last frame.
	Start int64 `json:"start,omitempty"`
	End   int64 `json:"end,omitempty"`
}

// AnalyzeResult is what AnalyzeWorkflow returns.
type AnalyzeResult struct {
	Analysis     string `json:"analysis"`                // URL of analysis.json
	ContactSheet string `json:"contact_sheet,omitempty"` // URL of contact-sheet.jpg (thumbs)
	Frames       int64  `json:"frames"`
	Chunks       int    `json:"chunks"`
	Shots        int    `json:"shots"`
	Boundaries   int    `json:"boundaries"`
	Black        int    `json:"black_segments"`
	Freeze       int    `json:"freeze_segments"`
}

// ArcherSource describes a source for analysis.
type ArcherSource struct {
	Frames int64   `json:"frames"`
	FPS    float64 `json:"fps"`
	Width  int     `json:"width"`
	Height int     `json:"height"`
	// Keyframes are the long-GOP source's keyframes when the probe found
	// them without reading more (an MP4/MOV index, or a Matroska/TS file
	// it scans anyway); nil for intra-only sources. Chunks are cut there.
	Keyframes []int64 `json:"keyframes,omitempty"`
}

// ArcherChunkTask is the input of the ArcherAnalyzeChunk activity.
type ArcherChunkTask struct {
	Job    string           `json:"job"`
	Source string           `json:"source"`
	Work   string           `json:"work"`
	Config archer.Config    `json:"config"`
	Span   archer.ChunkSpan `json:"span"`
	Info   ArcherSource     `json:"info"`
}

// ArcherChunkResult says where a chunk's partial result was stored.
type ArcherChunkResult struct {
	Key    string `json:"key"`
	Frames int64  `json:"frames"`
}

// ArcherReduceTask is the input of the ArcherReduce activity.
type ArcherReduceTask struct {
	Job    string        `json:"job"`
	Source string        `json:"source"`
	Work   string        `json:"work"`
	Output string        `json:"output"`
	Config archer.Config `json:"config"`
	Info   ArcherSource  `json:"info"`
	Keys   []string      `json:"keys"` // partials in chunk order
}

// RegisterAnalyze adds AnalyzeWorkflow to a worker (or a replayer). Register
// the activities with w.RegisterActivity(&ArcherActivities{...}).
func RegisterAnalyze(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
}) {
	r.RegisterWorkflowWithOptions(AnalyzeWorkflow, workflow.RegisterOptions{Name: WorkflowAnalyze})
}

// AnalyzeWorkflow runs the analysis described by req.
func AnalyzeWorkflow(ctx workflow.Context, req AnalyzeRequest) (AnalyzeResult, error) {
	if req.Source == "" || req.Work == "" || req.Output == "" {
		return AnalyzeResult{}, badInputErr(errors.New("analyze: source, work and output are required"))
	}
	names, err := archer.ParseAnalyzers(req.Config.Analyzers)
	if err != nil {
		return AnalyzeResult{}, badInputErr(err)
	}
	req.Config.Analyzers = names
	if req.ChunkSeconds == 0 {
		req.ChunkSeconds = DefaultAnalyzeChunkSeconds
	}
	if req.ChunkSeconds < 0 || req.Start < 0 || req.End < 0 {
		return AnalyzeResult{}, badInputErr(errors.New("analyze: negative chunk length or frame range"))
	}
	if req.Job == "" {
		req.Job = workflow.GetInfo(ctx).WorkflowExecution.ID
	}

	short := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Minute, RetryPolicy: retryPolicy()})
	long := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Hour, HeartbeatTimeout: time.Minute, WaitForCancellation: true, RetryPolicy: retryPolicy(),
	})
	var info ArcherSource
	if err := workflow.ExecuteActivity(short, ActivityArcherProbe, req.Source, []string{req.Work, req.Output}).Get(ctx, &info); err != nil {
		return AnalyzeResult{}, err
	}
	end := req.End
	if end == 0 {
		end = info.Frames
	}
	if req.Start >= end || end > info.Frames {
		return AnalyzeResult{}, classify(fmt.Errorf("analyze: %s: frames [%d,%d) outside [0,%d): %w", req.Source, req.Start, end, info.Frames, archer.ErrEmptyRange))
	}
	var spans []archer.ChunkSpan
	if workflow.GetVersion(ctx, versionAnalyzeKeyframeChunks, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		// Histories from before: fixed chunks, each with a context frame.
		spans = archer.PlanChunks(nil, end-req.Start, info.FPS, req.ChunkSeconds, req.ChunkSeconds)
		for i := range spans {
			spans[i].Start += req.Start
			spans[i].End += req.Start
		}
	} else {
		// Chunks as archer's Run cuts them: at keyframes when known, each
		// after the first read from its own first frame.
		n := max(1, int64(math.Round(req.ChunkSeconds*info.FPS)))
		spans = archer.RunSpans(req.Start, end, n, 1, info.Keyframes)
	}
	info.Keyframes = nil // planned; the tasks need not carry them in the history
	futures := make([]workflow.Future, len(spans))
	for i, s := range spans {
		task := ArcherChunkTask{Job: req.Job, Source: req.Source, Work: req.Work, Config: req.Config, Span: s, Info: info}
		futures[i] = workflow.ExecuteActivity(long, ActivityArcherChunk, task)
	}
	keys := make([]string, len(spans))
	var firstErr error
	for i, f := range futures {
		var r ArcherChunkResult
		if err := f.Get(ctx, &r); err != nil && firstErr == nil {
			firstErr = err
		}
		keys[i] = r.Key
	}
	if firstErr != nil {
		return AnalyzeResult{}, firstErr
	}
	var res AnalyzeResult
	task := ArcherReduceTask{Job: req.Job, Source: req.Source, Work: req.Work, Output: req.Output, Config: req.Config, Info: info, Keys: keys}
	if err := workflow.ExecuteActivity(long, ActivityArcherReduce, task).Get(ctx, &res); err != nil {
		return AnalyzeResult{}, err
	}
	res.Chunks = len(spans)
	return res, nil
}

// ArcherActivities are AnalyzeWorkflow's activities. Sources and stores are
// reached as Activities does (mezzfs for URLs, the store package for work and
// output), so the two share configuration.
type ArcherActivities struct {
	// Base gives access to sources and stores; nil uses a zero Activities
	// (local files and file:// stores only need nothing more).
	Base *Activities
	// Threads bounds the thumbnail decoders of the reduce step. 0: one per core.
	Threads int
	// DecodeThreads is the threads of each chunk's decoder; 0: one per
	// core. NewWorker gives each of its concurrent activities its share of
	// the cores, as `reel archer run` does for its chunks: one thread when
	// there are as many activities as cores, which is also what lets the
	// H.264 decoder downscale in bands (encode.DecodeOptions.Scaler).
	DecodeThreads int
}

func (a *ArcherActivities) base() *Activities {
	if a.Base == nil {
		a.Base = &Activities{}
	}
	return a.Base
}

// ArcherProbe returns the source's frame count, rate and size. It first
// checks that writes (the work and output URLs) may be stored under the
// worker's confinement, so a job outside its roots fails before any work;
// histories from before writes was passed decode it as nil.
func (a *ArcherActivities) ArcherProbe(ctx context.Context, source string, writes []string) (ArcherSource, error) {
	for _, u := range writes {
		if err := a.base().storage().Check(u); err != nil {
			return ArcherSource{}, classify(err)
		}
	}
	in, closer, err := a.base().openSource(ctx, source)
	if err != nil {
		return ArcherSource{}, classify(err)
	}
	defer closer.Close()
	info, err := encode.Probe(ctx, in, encode.ProbeOptions{KeyframesIfCheap: true})
	if err != nil {
		return ArcherSource{}, classify(err)
	}
	v := info.Video()
	if v == nil || v.FrameCount == 0 || v.FPS <= 0 {
		return ArcherSource{}, classify(fmt.Errorf("%s: %w", source, encode.ErrNoVideo))
	}
	return ArcherSource{Frames: v.FrameCount, FPS: v.FPS, Width: v.Width, Height: v.Height,
		Keyframes: sparseKeyframes(v.Keyframes, v.FrameCount)}, nil
}

// partialKey names a chunk's partial by what it depends on (source, span,
// configuration), so a retry finds its own partial while a new run under
// the same job ID with other settings does not reuse a stale one.
func partialKey(t ArcherChunkTask) string {
	b, _ := json.Marshal(struct {
		Source string
		Config archer.Config
		Span   archer.ChunkSpan
		Info   ArcherSource
	}{t.Source, t.Config, t.Span, t.Info})
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%s/archer/partial-%05d-%x.json", t.Job, t.Span.Index, sum[:6])
}

// ArcherAnalyzeChunk analyses one chunk and stores its partial result. A
// retry finds a partial already stored and returns it without redoing it.
func (a *ArcherActivities) ArcherAnalyzeChunk(ctx context.Context, t ArcherChunkTask) (ArcherChunkResult, error) {
	work, err := a.base().openStore(ctx, t.Work)
	if err != nil {
		return ArcherChunkResult{}, err
	}
	key := partialKey(t)
	if _, err := work.Stat(ctx, key); err == nil {
		return ArcherChunkResult{Key: key, Frames: t.Span.Frames()}, nil
	}
	in, closer, err := a.base().openSource(ctx, t.Source)
	if err != nil {
		return ArcherChunkResult{}, classify(err)
	}
	defer closer.Close()
	cfg := t.Config
	cfg.Threads = 1 // one chunk per activity; the worker runs activities in parallel
	r, err := archer.New(cfg)
	if err != nil {
		return ArcherChunkResult{}, classify(err)
	}
	defer r.Close()
	var w, h int
	if !cfg.NeedsFullResolution() {
		w, h = cfg.AnalysisSize(t.Info.Width, t.Info.Height)
	}
	from := max(0, t.Span.Start-archer.Overlap)
	if t.Span.NoContext {
		from = t.Span.Start // the chunk before covers this chunk's first frame
	}
	fr, err := encode.OpenFrames(ctx, in, encode.DecodeOptions{Start: from, End: t.Span.End, Width: w, Height: h, Scaler: "area", Threads: a.DecodeThreads})
	if err != nil {
		return ArcherChunkResult{}, classify(err)
	}
	defer fr.Close()
	p, err := r.AnalyzeChunk(ctx, fr, t.Span, func(n int64) {
		if n%25 == 0 {
			activity.RecordHeartbeat(ctx, n)
		}
	})
	if err != nil {
		return ArcherChunkResult{}, classify(err)
	}
	if p.End != t.Span.End {
		return ArcherChunkResult{}, badInputErr(fmt.Errorf("%s: chunk [%d,%d) ended at frame %d: %w", t.Source, t.Span.Start, t.Span.End, p.End, archer.ErrIncomplete))
	}
	b, err := json.Marshal(p)
	if err != nil {
		return ArcherChunkResult{}, err
	}
	if _, err := work.PutBytes(ctx, key, b); err != nil {
		return ArcherChunkResult{}, err
	}
	return ArcherChunkResult{Key: key, Frames: int64(len(p.Frames))}, nil
}

// ArcherReduce merges the partials, extracts thumbnails (thumbs analyzer)
// and writes analysis.json and contact-sheet.jpg to the output store; each
// object is written whole or not at all.
func (a *ArcherActivities) ArcherReduce(ctx context.Context, t ArcherReduceTask) (AnalyzeResult, error) {
	work, err := a.base().openStore(ctx, t.Work)
	if err != nil {
		return AnalyzeResult{}, err
	}
	out, err := a.base().openStore(ctx, t.Output)
	if err != nil {
		return AnalyzeResult{}, err
	}
	partials := make([]*archer.Partial, len(t.Keys))
	for i, k := range t.Keys {
		b, err := work.GetBytes(ctx, k)
		if err != nil {
			return AnalyzeResult{}, err
		}
		var p archer.Partial
		if err := json.Unmarshal(b, &p); err != nil {
			return AnalyzeResult{}, badInputErr(fmt.Errorf("partial %s: %w: %v", k, archer.ErrIncomplete, err))
		}
		partials[i] = &p
	}
	cfg := t.Config
	cfg.Threads = a.Threads
	in, closer, err := a.base().openSource(ctx, t.Source)
	if err != nil {
		return AnalyzeResult{}, classify(err)
	}
	defer closer.Close()
	r, err := archer.New(cfg)
	if err != nil {
		return AnalyzeResult{}, classify(err)
	}
	defer r.Close()
	// A still that crosses a chunk edge is measured again on frames
	// decoded as ArcherAnalyzeChunk decodes them.
	var w, h int
	if !cfg.NeedsFullResolution() {
		w, h = cfg.AnalysisSize(t.Info.Width, t.Info.Height)
	}
	chunkFrames := archer.SourceFunc(func(ctx context.Context, s, e int64) (media.FrameReader, error) {
		return encode.OpenFrames(ctx, in, encode.DecodeOptions{Start: s, End: e, Width: w, Height: h, Scaler: "area", Threads: a.DecodeThreads})
	})
	an, err := r.Reduce(ctx, chunkFrames, t.Info.FPS, partials)
	if err != nil {
		return AnalyzeResult{}, classify(fmt.Errorf("%s: %w", t.Source, err))
	}
	an.Source = t.Source
	an.Width, an.Height = t.Info.Width, t.Info.Height
	res := AnalyzeResult{Frames: an.End - an.Start, Shots: len(an.Shots), Boundaries: len(an.Boundaries), Black: len(an.Black), Freeze: len(an.Freeze)}
	if hasAnalyzer(cfg, archer.Thumbs) {
		src := archer.SourceFunc(func(ctx context.Context, s, e int64) (media.FrameReader, error) {
			return encode.OpenFrames(ctx, in, encode.DecodeOptions{Start: s, End: e})
		})
		if err := r.ExtractThumbnails(ctx, src, an); err != nil {
			return AnalyzeResult{}, classify(err)
		}
		if len(an.Thumbnails) > 0 {
			sheet, err := archer.ContactSheet(an.Thumbnails, 4)
			if err != nil {
				return AnalyzeResult{}, classify(err)
			}
			obj, err := out.PutBytes(ctx, t.Job+"/contact-sheet.jpg", sheet)
			if err != nil {
				return AnalyzeResult{}, err
			}
			res.ContactSheet = out.URL(obj.Key)
		}
	}
	b, err := marshalJSON(an) // as reel archer run -o writes it
	if err != nil {
		return AnalyzeResult{}, err
	}
	obj, err := out.PutBytes(ctx, t.Job+"/analysis.json", b)
	if err != nil {
		return AnalyzeResult{}, err
	}
	res.Analysis = out.URL(obj.Key)
	return res, nil
}

func hasAnalyzer(c archer.Config, name string) bool {
	names, err := archer.ParseAnalyzers(c.Analyzers)
	if err != nil {
		return false
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
