package archer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/reelmedia/reel/media"
)

// Overlap is how many frames before a chunk's first frame its reader must
// also deliver: SI/TI's temporal information compares each frame with the
// previous one, and freeze's first reference frame is the one before the
// chunk (Reduce makes it the clip's reference where a still crosses the
// edge, see Runner.Reduce). Signatures
// for shot detection are per frame, and the window logic that turns them into
// cuts, fades and dissolves runs in Reduce over the merged sequence, so it
// needs no overlap at all. A context frame is analysed but not recorded.
//
// A chunk may instead start without context (ChunkSpan.NoContext) when the
// chunk before it reads one frame past its own end and so records that
// frame with its predecessor: Run does this, so that a chunk can start
// decoding exactly at a keyframe.
const Overlap = 1

// Partial is the result of analysing one chunk [Start, End): the map step.
// It is JSON-serialisable, so a chunk can be analysed by one process (a
// Temporal activity) and reduced by another.
type Partial struct {
	Start     int64         `json:"start"`
	End       int64         `json:"end"`
	Width     int           `json:"width"`  // source size
	Height    int           `json:"height"` // source size
	Analyzers []string      `json:"analyzers"`
	Frames    []FrameRecord `json:"frames"`
	// NoContext says the first frame was analysed without the frame before
	// it (ChunkSpan.NoContext); Reduce then takes that frame's record from
	// the chunk before, which must cover it.
	NoContext bool `json:"no_context,omitempty"`
}

// ChunkSpan is a frame range [Start, End) of a source.
type ChunkSpan struct {
	Index int   `json:"index"`
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	// AtCut says the chunk starts on a shot boundary (PlanChunks).
	AtCut bool `json:"at_cut,omitempty"`
	// NoContext says the reader starts at Start, without the Overlap frame
	// before it; the chunk before must then also cover frame Start.
	NoContext bool `json:"no_context,omitempty"`
}

// Frames is the number of frames in the span.
func (s ChunkSpan) Frames() int64 { return s.End - s.Start }

// Source opens frame ranges of one video, for example encode.OpenFrames
// over a file. A reader that implements io.Closer is closed after use. The
// frames it yields must carry their source indices (media.Frame.Index).
type Source interface {
	OpenRange(ctx context.Context, start, end int64) (media.FrameReader, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, start, end int64) (media.FrameReader, error)

// OpenRange calls f.
func (f SourceFunc) OpenRange(ctx context.Context, start, end int64) (media.FrameReader, error) {
	return f(ctx, start, end)
}

// Runner analyses chunks with a pool of workers, each with its own
// analyzer instances (gocv Mats are never shared between goroutines).
// It is safe for concurrent use; Close it when done.
type Runner struct {
	cfg  Config
	pool chan *worker // idle workers; at most cfg.Threads exist
	mu   sync.Mutex
	made int
	all  []*worker
}

// worker is one goroutine's set of analyzers and buffers.
type worker struct {
	prep      *preparer
	analyzers []Analyzer
}

func (w *worker) Close() error {
	var errs []error
	for _, a := range w.analyzers {
		errs = append(errs, a.Close())
	}
	errs = append(errs, w.prep.Close())
	return errors.Join(errs...)
}

// New checks cfg (applying defaults) and returns a Runner. With the faces
// analyzer it loads the cascade once up front, so a missing cascade file
// fails here with ErrCascadeNotFound.
func New(cfg Config) (*Runner, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Runner{cfg: c, pool: make(chan *worker, c.Threads), made: 1}
	w, err := r.newWorker()
	if err != nil {
		return nil, err
	}
	r.pool <- w
	return r, nil
}

// Config returns the effective configuration (defaults applied).
func (r *Runner) Config() Config { return r.cfg }

func (r *Runner) newWorker() (*worker, error) {
	w := &worker{prep: newPreparer(r.cfg.AnalysisHeight)}
	w.analyzers = append(w.analyzers, &baseAnalyzer{level: r.cfg.blackLevel()})
	for _, name := range r.cfg.Analyzers {
		f, ok := factories[name]
		if !ok {
			continue // no per-frame work (black uses base, thumbs uses others)
		}
		a, err := f(r.cfg)
		if err != nil {
			w.Close()
			return nil, err
		}
		w.analyzers = append(w.analyzers, a)
	}
	r.mu.Lock()
	r.all = append(r.all, w)
	r.mu.Unlock()
	return w, nil
}

// acquire takes an idle worker, making one while fewer than Threads exist.
func (r *Runner) acquire(ctx context.Context) (*worker, error) {
	select {
	case w := <-r.pool:
		return w, nil
	default:
	}
	r.mu.Lock()
	if r.made < r.cfg.Threads {
		r.made++ // reserved; undone if making it fails
		r.mu.Unlock()
		w, err := r.newWorker()
		if err != nil {
			r.mu.Lock()
			r.made--
			r.mu.Unlock()
		}
		return w, err
	}
	r.mu.Unlock()
	select {
	case w := <-r.pool:
		return w, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *Runner) release(w *worker) { r.pool <- w }

// Close releases every worker's native resources. The Runner must be idle.
func (r *Runner) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, w := range r.all {
		errs = append(errs, w.Close())
	}
	r.all, r.made = nil, 0
	return errors.Join(errs...)
}

// AnalyzeChunk reads frames from fr and analyses those in span. Frames
// before span.Start are context (see Overlap): analysed, not recorded;
// unless span.NoContext, a chunk after frame 0 must have one.
// Reading stops at span.End; span.End <= 0 means until io.EOF. The returned
// Partial covers the frames actually read, which may end before span.End
// when the reader runs out. progress, when not nil, is called with the
// number of frames recorded so far.
func (r *Runner) AnalyzeChunk(ctx context.Context, fr media.FrameReader, span ChunkSpan, progress func(n int64)) (*Partial, error) {
	if span.End > 0 && span.End <= span.Start || span.Start < 0 {
		return nil, fmt.Errorf("archer: chunk [%d,%d): %w", span.Start, span.End, ErrEmptyRange)
	}
	w, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer r.release(w)
	return r.analyze(ctx, w, fr, span, progress)
}

func (r *Runner) analyze(ctx context.Context, w *worker, fr media.FrameReader, span ChunkSpan, progress func(n int64)) (*Partial, error) {
	w.prep.reset()
	for _, a := range w.analyzers {
		a.Reset()
	}
	p := &Partial{Start: span.Start, End: span.Start, Analyzers: r.cfg.Analyzers}
	if span.End > 0 {
		p.Frames = make([]FrameRecord, 0, span.End-span.Start)
	}
	// Decoding on a goroutine of its own overlaps it with the analysis
	// where a core is to spare. When every core already runs a worker it
	// only adds hand-offs between threads: 4% slower on 2 cores with 2
	// workers (the 5-minute 1080p benchmark mezzanine).
	var ra media.FrameReader = fr
	if r.cfg.Threads < runtime.NumCPU() {
		rr := newReadAhead(ctx, fr, readAheadFrames)
		defer rr.Close()
		ra = rr
	}
	last := int64(-1)
	sawContext := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		mf, err := ra.ReadFrame(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("archer: reading frame after %d: %w", last, err)
		}
		if span.End > 0 && mf.Index >= span.End {
			break
		}
		if last >= 0 && mf.Index != last+1 {
			return nil, fmt.Errorf("archer: frame index jumps from %d to %d: %w", last, mf.Index, ErrInvalidInput)
		}
		last = mf.Index
		if mf.Index < span.Start-Overlap {
			continue // pre-roll the reader delivered; nothing needs it
		}
		f, err := w.prep.prepare(mf)
		if err != nil {
			return nil, fmt.Errorf("archer: %w", err)
		}
		var rec FrameRecord
		rec.Index, rec.PTS = mf.Index, mf.PTS
		for _, a := range w.analyzers {
			if err := a.Process(f, &rec); err != nil {
				return nil, fmt.Errorf("archer: %s on frame %d: %w", a.Name(), mf.Index, err)
			}
		}
		if mf.Index < span.Start {
			sawContext = true
			continue // context frame
		}
		if len(p.Frames) == 0 {
			if mf.Index != span.Start {
				return nil, fmt.Errorf("archer: chunk [%d,%d) starts at frame %d: %w", span.Start, span.End, mf.Index, ErrInvalidInput)
			}
			p.NoContext = span.Start > 0 && !sawContext
			if p.NoContext && !span.NoContext {
				return nil, fmt.Errorf("archer: chunk [%d,%d): the reader must start at frame %d (one frame of context, see Overlap): %w", span.Start, span.End, span.Start-Overlap, ErrInvalidInput)
			}
			p.Width, p.Height = mf.Width, mf.Height
		}
		p.Frames = append(p.Frames, rec)
		p.End = mf.Index + 1
		if progress != nil {
			progress(int64(len(p.Frames)))
		}
	}
	if len(p.Frames) == 0 {
		return nil, fmt.Errorf("archer: chunk [%d,%d): no frames: %w", span.Start, span.End, ErrEmptyRange)
	}
	return p, nil
}

// DecoderThreads is the thread count for each decoder when workers chunks
// are decoded at once: its share of the cores, at least one. A single
// threaded decoder per chunk costs less CPU than frame threading (and lets
// H.264 be downscaled in bands, see encode.DecodeOptions.Scaler). With one
// worker it is 0: the decoder may use every core.
func DecoderThreads(workers int) int {
	if workers <= 1 {
		return 0
	}
	return max(1, runtime.NumCPU()/workers)
}

// RunOptions says what Run analyses.
type RunOptions struct {
	// Start and End select the frames [Start, End) of the source; End is
	// required (the frame count, e.g. from encode.Probe).
	Start, End int64
	// FPS is the frame rate, for durations in seconds.
	FPS float64
	// Name is the source's name, copied into the Analysis.
	Name string
	// Progress, when not nil, is called from worker goroutines with the
	// total number of frames analysed so far.
	Progress func(done int64)
	// ThumbSource, when not nil, is where thumbnails are decoded from
	// instead of the analysed source (e.g. full-size frames when the
	// analysis decodes scaled ones).
	ThumbSource Source
	// Keyframes, when known (encode.Probe with Keyframes), are the source's
	// keyframe indices in ascending order. Run then cuts chunks at
	// keyframes, so each chunk's reader starts decoding at its first frame
	// instead of decoding frames it throws away.
	Keyframes []int64
}

// Run analyses frames [Start, End) of src: it splits the range into chunks
// of at most Config.ChunkFrames (shorter when that keeps every worker busy,
// planned so the workers finish together; see runChunks), analyses up to Config.Threads chunks at once (each
// worker opens its own reader; a chunk reads one frame past its end so the
// next can start without context, see Overlap), reduces the partials into
// one Analysis (Runner.Reduce, which may read again the frames of a still
// that crosses a chunk edge) and, with the thumbs analyzer, extracts a thumbnail per
// shot. The result does not depend on Threads, ChunkFrames or Keyframes.
func (r *Runner) Run(ctx context.Context, src Source, opt RunOptions) (*Analysis, error) {
	if opt.End <= opt.Start || opt.Start < 0 {
		return nil, fmt.Errorf("archer: %s: frames [%d,%d): %w", opt.Name, opt.Start, opt.End, ErrEmptyRange)
	}
	if opt.FPS <= 0 {
		return nil, fmt.Errorf("archer: %s: frame rate %g: %w", opt.Name, opt.FPS, ErrInvalidInput)
	}
	chunks := RunSpans(opt.Start, opt.End, int64(r.cfg.ChunkFrames), r.cfg.Threads, opt.Keyframes)
	partials := make([]*Partial, len(chunks))
	var done atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.cfg.Threads)
	for i, c := range chunks {
		g.Go(func() error {
			from := c.Start
			if !c.NoContext {
				from = max(0, c.Start-Overlap)
			}
			fr, err := src.OpenRange(gctx, from, c.End)
			if err != nil {
				return fmt.Errorf("archer: %s: opening frames [%d,%d): %w", opt.Name, from, c.End, err)
			}
			if cl, ok := fr.(io.Closer); ok {
				defer cl.Close()
			}
			var prev int64
			p, err := r.AnalyzeChunk(gctx, fr, c, func(n int64) {
				if opt.Progress != nil {
					// Frames read twice at chunk edges count once.
					opt.Progress(min(opt.End-opt.Start, done.Add(n-prev)))
				}
				prev = n
			})
			if err != nil {
				return fmt.Errorf("%s: %w", opt.Name, err)
			}
			partials[i] = p
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	a, err := r.Reduce(ctx, src, opt.FPS, partials)
	if err != nil {
		return nil, fmt.Errorf("archer: %s: %w", opt.Name, err)
	}
	a.Source = opt.Name
	if r.cfg.has(Thumbs) {
		ts := src
		if opt.ThumbSource != nil {
			ts = opt.ThumbSource
		}
		if err := r.ExtractThumbnails(ctx, ts, a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// RunSpans plans the chunks Run analyses over [start, end), as the ranges
// their readers open: boundaries as runChunks places them; the first chunk
// reads its context frame (Overlap) when there is one; every later chunk
// starts at its first frame (NoContext: a keyframe when keyframes are
// known, so decoding starts right there); and every chunk but the last
// reads one frame past its boundary, so Reduce takes the next chunk's first
// record, made with its real predecessor, from it. Each span goes to
// AnalyzeChunk with a reader opened at Start (at Start-Overlap without
// NoContext) and ending at End.
func RunSpans(start, end, n int64, threads int, keyframes []int64) []ChunkSpan {
	chunks := runChunks(start, end, n, threads, keyframes)
	for i := range chunks {
		chunks[i].NoContext = i > 0
		if i < len(chunks)-1 {
			chunks[i].End++
		}
	}
	return chunks
}

// runChunks plans Run's chunks over [start, end). With one thread they are
// n frames long (fixedChunks). With more, the plan is made so that the
// workers finish together. Chunks are handed out in order to whichever
// worker is free, so the last ones decide how long the others wait:
//   - the chunk count is a whole number of rounds (one chunk per worker
//     each), of equal length, at most min(n, range/threads);
//   - with two rounds or more, the last round's chunks are halved;
//   - with keyframes known, where a cut costs nothing, there are at least
//     two rounds, and each boundary moves to the nearest keyframe within
//     half of the shorter chunk beside it, where that chunk's decoder can
//     start. A boundary with no keyframe in reach is dropped (its chunks
//     merge) unless the chunk would then grow past n; then it is cut where
//     it is, and its decoder starts at the keyframe before.
func runChunks(start, end, n int64, threads int, keyframes []int64) []ChunkSpan {
	if threads <= 1 {
		return fixedChunks(start, end, n, keyframes)
	}
	total, t := end-start, int64(threads)
	n = max(2, min(n, (total+t-1)/t))
	k := ((total+n-1)/n + t - 1) / t * t // chunks, in whole rounds
	if len(keyframes) > 0 {
		k = max(k, min(2*t, total/2))
	}
	// Ideal boundaries in units of half a chunk (total/(2k) frames): every
	// second unit for the full chunks, every unit in the halved last round.
	halved := k >= 2*t
	var out []ChunkSpan
	s := start
	for u := int64(1); u < 2*k; u++ {
		last := halved && u >= 2*(k-t) // a boundary of the halved round
		if u%2 == 1 && !last {
			continue
		}
		b := start + (u*total+k)/(2*k) // rounded
		if len(keyframes) > 0 {
			reach := (total + 2*k - 1) / (2 * k) // half a chunk
			if last {
				reach = (total + 4*k - 1) / (4 * k)
			}
			kb, ok := nearestKeyframe(keyframes, b, max(s+2, b-reach), min(end, b+reach+1))
			switch {
			case ok:
				b = kb
			case b-s < n:
				continue // merge rather than decode frames twice
			}
		}
		if b < s+2 || b >= end {
			continue // too close to the boundary before it, or to the end
		}
		out = append(out, ChunkSpan{Index: len(out), Start: s, End: b})
		s = b
	}
	return append(out, ChunkSpan{Index: len(out), Start: s, End: end})
}

// fixedChunks plans chunks of n frames over [start, end). With keyframes,
// each boundary moves to the keyframe nearest to it (within half a chunk).
// A tail shorter than half a chunk joins the chunk before it.
func fixedChunks(start, end, n int64, keyframes []int64) []ChunkSpan {
	n = max(n, 2)
	var out []ChunkSpan
	for s := start; s < end; {
		b := s + n
		if len(keyframes) > 0 && b < end {
			if kb, ok := nearestKeyframe(keyframes, b, s+(n+1)/2, min(end, s+n+n/2)); ok {
				b = kb
			}
		}
		if b >= end || end-b < (n+1)/2 {
			b = end
		}
		out = append(out, ChunkSpan{Index: len(out), Start: s, End: b})
		s = b
	}
	return out
}

// nearestKeyframe returns the keyframe in [lo, hi) nearest to want; ties
// go to the earlier one. ok is false when there is none.
func nearestKeyframe(keyframes []int64, want, lo, hi int64) (best int64, ok bool) {
	bestDist := int64(-1)
	i := sort.Search(len(keyframes), func(i int) bool { return keyframes[i] >= lo })
	for ; i < len(keyframes) && keyframes[i] < hi; i++ {
		d := keyframes[i] - want
		if d < 0 {
			d = -d
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = keyframes[i], d
		}
	}
	return best, bestDist >= 0
}
