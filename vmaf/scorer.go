package vmaf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/reelmedia/reel/media"
)

// Version is the libvmaf release whose numbers this package reproduces; it
// goes into Result.Version.
const Version = "3.2.0"

// Options configure a Scorer. The zero value scores every frame with
// vmaf_v0.6.1 on all cores.
type Options struct {
	// Models are built-in model names or model JSON paths. Empty means
	// vmaf_v0.6.1. The first model's score is keyed "vmaf", the others by
	// their names (libvmaf's convention).
	Models []string
	// ModelOptions apply to every model.
	ModelOptions ModelOptions
	// Features are extra metrics: "psnr", "ssim", "ms_ssim".
	Features []string
	// NoPrediction computes only Features: no model, and none of the
	// model's elementary metrics (VIF, ADM, motion), as libvmaf's
	// --no_prediction. It needs Features and no Models.
	NoPrediction bool
	// Threads bounds how many frames are computed at once. 0 means
	// runtime.GOMAXPROCS(0). Results do not depend on it.
	Threads int
	// Subsample scores every Nth frame only (frames 0, N, 2N, ...), as
	// libvmaf's --subsample. Motion still uses consecutive frames. 0 or 1
	// scores every frame.
	Subsample int
	// MotionV3_0 computes motion as libvmaf 3.0.0 did (blur each frame,
	// mirror the far edge with the edge sample repeated, float32 score)
	// instead of libvmaf 3.2's rounding of the blurred difference.
	MotionV3_0 bool
	// AllowLengthMismatch makes Score stop at the end of the shorter input,
	// as libvmaf does, instead of failing with ErrLengthMismatch.
	AllowLengthMismatch bool
	// OnFrame, when set, receives every scored frame in frame order, one
	// call at a time, as soon as the frame and its successor are computed.
	// The FrameScore is also kept in the Result.
	OnFrame func(FrameScore)
}

// Metric keys, as libvmaf's JSON output names them.
const (
	KeyVMAF      = "vmaf"
	KeyADM2      = "integer_adm2"
	KeyMotion2   = "integer_motion2"
	KeyMotion    = "integer_motion"                        // the per-frame SAD motion2 is built from (libvmaf's debug alias)
	KeyMotionSAD = "VMAF_integer_feature_motion_sad_score" // the same SAD, as libvmaf's default JSON names it
)

var (
	keyVIF      = [4]string{"integer_vif_scale0", "integer_vif_scale1", "integer_vif_scale2", "integer_vif_scale3"}
	keyADMScale = [4]string{"integer_adm_scale0", "integer_adm_scale1", "integer_adm_scale2", "integer_adm_scale3"}
)

// eglSuffix is the feature-name suffix libvmaf adds for a non-default
// enhancement gain limit ("_egl_1" for the NEG model).
func eglSuffix(egl float64) string {
	if egl == defaultEnhnGainLimit {
		return ""
	}
	return "_egl_" + strconv.FormatFloat(egl, 'g', 6, 64)
}

// Scorer computes VMAF over a stream of frame pairs. Push frames in order,
// then call Finish once. Push and Finish must not be called concurrently.
type Scorer struct {
	opts     Options
	threads  int
	models   []*Model
	keys     []string  // metric key per model
	egls     []float64 // enhancement gain limits to compute, default first
	g        *errgroup.Group
	window   chan struct{} // frames pushed but not yet emitted
	failed   chan struct{} // closed when a frame fails
	failOnce sync.Once

	// Owned by the pushing goroutine.
	n        int64
	prev     *lumaBuf
	w, h     int
	bpc      int
	start    time.Time
	finished bool

	mu      sync.Mutex // guards what follows
	pending map[int64]*frameState
	next    int64 // next frame to emit
	frames  []FrameScore
	err     error
}

// worker is the scratch state of one computing goroutine.
type worker struct {
	key workerKey // the geometry its buffers serve
	vif vifWorker
	adm admWorker
	mot motionWorker
	tmp []uint16
	tm2 []uint16
}

// lumaPool holds the luma copies of every Scorer of the process: a
// worker's next chunk reuses its last chunk's.
var lumaPool = sync.Pool{New: func() any { return new(lumaBuf) }}

// lumaBuf is a pooled luma copy shared by the tasks that read it.
type lumaBuf struct {
	luma
	refs atomic.Int32
}

// frameState is one pushed frame from Push until it is emitted.
type frameState struct {
	index  int64
	scored bool // false for frames skipped by Subsample
	done   bool
	sad    float64
	vif    map[float64][4]vifScale
	adm    map[float64]admResult
	extra  map[string]float64
}

// NewScorer validates opts and loads the models.
func NewScorer(opts Options) (*Scorer, error) {
	if opts.Threads < 0 {
		return nil, fmt.Errorf("vmaf: threads %d is negative: %w", opts.Threads, ErrInvalidOptions)
	}
	if opts.Subsample < 0 {
		return nil, fmt.Errorf("vmaf: subsample %d is negative: %w", opts.Subsample, ErrInvalidOptions)
	}
	for _, f := range opts.Features {
		switch f {
		case FeaturePSNR, FeatureSSIM, FeatureMSSSIM, "float_ssim", "float_ms_ssim":
		default:
			return nil, fmt.Errorf("vmaf: feature %q (want psnr, ssim or ms_ssim): %w", f, ErrInvalidOptions)
		}
	}
	s := &Scorer{opts: opts, pending: map[int64]*frameState{}}
	names := opts.Models
	switch {
	case opts.NoPrediction && len(opts.Features) == 0:
		return nil, fmt.Errorf("vmaf: no prediction and no features: nothing to compute: %w", ErrInvalidOptions)
	case opts.NoPrediction && len(names) > 0:
		return nil, fmt.Errorf("vmaf: models %v with no prediction: %w", names, ErrInvalidOptions)
	case len(names) == 0 && !opts.NoPrediction:
		names = []string{DefaultModel}
	}
	if !opts.NoPrediction {
		s.egls = []float64{defaultEnhnGainLimit}
	}
	for i, name := range names {
		m, err := LoadModel(name)
		if err != nil {
			return nil, err
		}
		key := KeyVMAF
		if i > 0 {
			key = m.Name
		}
		if slices.Contains(s.keys, key) {
			return nil, fmt.Errorf("vmaf: two models would both be reported as %q: %w", key, ErrInvalidOptions)
		}
		s.models = append(s.models, m)
		s.keys = append(s.keys, key)
		for _, f := range m.features {
			if f.kind != featMotion2 && !slices.Contains(s.egls, f.egl) {
				s.egls = append(s.egls, f.egl)
			}
		}
	}
	s.threads = opts.Threads
	if s.threads == 0 {
		s.threads = runtime.GOMAXPROCS(0)
	}
	s.g = new(errgroup.Group)
	s.g.SetLimit(s.threads)
	s.window = make(chan struct{}, 2*s.threads+2)
	s.failed = make(chan struct{})
	return s, nil
}

func (s *Scorer) getLuma(f *media.Frame, what string, index int64) (*lumaBuf, error) {
	b := lumaPool.Get().(*lumaBuf)
	if err := lumaOf(f, &b.luma); err != nil {
		lumaPool.Put(b)
		return nil, fmt.Errorf("vmaf: %s frame %d: %w", what, index, err)
	}
	return b, nil
}

func (s *Scorer) release(b *lumaBuf) {
	if b != nil && b.refs.Add(-1) == 0 {
		lumaPool.Put(b)
	}
}

// Push adds the next reference/distorted frame pair. It copies what it
// needs, so the caller may reuse both frames as soon as Push returns. Push
// blocks while Threads frames are being computed and the window of frames
// waiting for their turn is full.
func (s *Scorer) Push(ctx context.Context, ref, dist *media.Frame) error {
	if s.finished {
		return ErrClosed
	}
	if err := s.firstErr(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	idx := s.n
	if ref == nil || dist == nil {
		return fmt.Errorf("vmaf: frame %d: nil frame: %w", idx, ErrInvalidFrame)
	}
	if ref.Width != dist.Width || ref.Height != dist.Height {
		return fmt.Errorf("vmaf: frame %d: reference is %dx%d, distorted is %dx%d: %w",
			idx, ref.Width, ref.Height, dist.Width, dist.Height, ErrSizeMismatch)
	}
	if ref.Format.BitDepth != dist.Format.BitDepth {
		return fmt.Errorf("vmaf: frame %d: reference is %d-bit, distorted is %d-bit: %w",
			idx, ref.Format.BitDepth, dist.Format.BitDepth, ErrBitDepthMismatch)
	}
	if idx > 0 && (ref.Width != s.w || ref.Height != s.h) {
		return fmt.Errorf("vmaf: frame %d is %dx%d, earlier frames are %dx%d: %w",
			idx, ref.Width, ref.Height, s.w, s.h, ErrSizeMismatch)
	}
	if idx > 0 && ref.Format.BitDepth != s.bpc {
		return fmt.Errorf("vmaf: frame %d is %d-bit, earlier frames are %d-bit: %w",
			idx, ref.Format.BitDepth, s.bpc, ErrBitDepthMismatch)
	}
	scored := s.opts.Subsample <= 1 || idx%int64(s.opts.Subsample) == 0

	select {
	case s.window <- struct{}{}:
	case <-s.failed:
		return s.firstErr()
	case <-ctx.Done():
		return ctx.Err()
	}
	refL, err := s.getLuma(ref, "reference", idx)
	if err != nil {
		<-s.window
		return err
	}
	if refL.w != ref.Width || refL.h != ref.Height {
		lumaPool.Put(refL)
		<-s.window
		return fmt.Errorf("vmaf: reference frame %d: luma plane is %dx%d, frame says %dx%d: %w",
			idx, refL.w, refL.h, ref.Width, ref.Height, ErrInvalidFrame)
	}
	var disL *lumaBuf
	var refC, disC *media.Frame
	if scored {
		disL, err = s.getLuma(dist, "distorted", idx)
		if err == nil && (disL.w != refL.w || disL.h != refL.h || disL.bpc != refL.bpc) {
			lumaPool.Put(disL)
			err = fmt.Errorf("vmaf: distorted frame %d: luma plane is %dx%d %d-bit, reference %dx%d %d-bit: %w",
				idx, disL.w, disL.h, disL.bpc, refL.w, refL.h, refL.bpc, ErrSizeMismatch)
		}
		if err != nil {
			lumaPool.Put(refL)
			<-s.window
			return err
		}
		disL.refs.Store(1)
		if len(s.opts.Features) > 0 {
			refC, disC = ref.Clone(), dist.Clone()
		}
	}
	if idx == 0 {
		s.w, s.h, s.bpc = ref.Width, ref.Height, ref.Format.BitDepth
		s.start = time.Now()
	}
	// The reference copy is read by this frame's task and, for motion, by
	// the next frame's task.
	refL.refs.Store(2)
	prev := s.prev
	s.prev = refL
	s.n++

	st := &frameState{index: idx, scored: scored}
	s.mu.Lock()
	s.pending[idx] = st
	s.mu.Unlock()

	s.g.Go(func() error {
		err := s.compute(st, prev, refL, disL, refC, disC)
		s.release(prev)
		s.release(refL)
		s.release(disL)
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			if s.err == nil {
				s.err = err
			}
			s.failOnce.Do(func() { close(s.failed) })
			return err
		}
		st.done = true
		s.emitLocked(false)
		return nil
	})
	return nil
}

func (s *Scorer) firstErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// compute runs the feature extractors of one frame.
func (s *Scorer) compute(st *frameState, prev, ref, dis *lumaBuf, refC, disC *media.Frame) error {
	wk := computeWorkers.get(workerKey{ref.w, ref.h, ref.bpc})
	defer computeWorkers.put(wk)

	if prev != nil && !s.opts.NoPrediction {
		if s.opts.MotionV3_0 {
			n := ref.w * ref.h
			if cap(wk.tmp) < n {
				wk.tmp, wk.tm2 = make([]uint16, n), make([]uint16, n)
			}
			wk.mot.blurV30(&prev.luma, wk.tmp[:n])
			wk.mot.blurV30(&ref.luma, wk.tm2[:n])
			st.sad = min(sadV30(wk.tmp[:n], wk.tm2[:n], ref.w, ref.h), motionMaxVal)
		} else {
			st.sad = wk.mot.sad(&prev.luma, &ref.luma)
		}
	}
	if !st.scored {
		return nil
	}
	st.vif = make(map[float64][4]vifScale, len(s.egls))
	st.adm = make(map[float64]admResult, len(s.egls))
	for _, egl := range s.egls {
		st.vif[egl] = wk.vif.compute(&ref.luma, &dis.luma, egl)
		st.adm[egl] = wk.adm.compute(&ref.luma, &dis.luma, egl)
	}
	for _, f := range s.opts.Features {
		m, err := computeExtra(f, refC, disC)
		if err != nil {
			return fmt.Errorf("vmaf: frame %d: %s: %w", st.index, f, err)
		}
		if st.extra == nil {
			st.extra = map[string]float64{}
		}
		for k, v := range m {
			st.extra[k] = v
		}
	}
	return nil
}

// emitLocked delivers every frame whose motion2 is known, in order. At the
// end of the stream (final) the last frame uses its own SAD.
func (s *Scorer) emitLocked(final bool) {
	for {
		cur := s.pending[s.next]
		if cur == nil || !cur.done {
			return
		}
		nxt := s.pending[s.next+1]
		hasNext := nxt != nil
		if hasNext && !nxt.done {
			return
		}
		if !hasNext && !final {
			return
		}
		if cur.scored {
			var nextSAD float64
			if hasNext {
				nextSAD = nxt.sad
			}
			fs := s.frameScore(cur, motion2(cur.index, cur.sad, nextSAD, hasNext))
			s.frames = append(s.frames, fs)
			if s.opts.OnFrame != nil {
				s.opts.OnFrame(fs)
			}
		}
		delete(s.pending, s.next)
		s.next++
		<-s.window
	}
}

// frameScore assembles the metrics of one frame and runs the models.
func (s *Scorer) frameScore(st *frameState, m2 float64) FrameScore {
	met := make(map[string]float64, 16+len(st.extra))
	for _, egl := range s.egls {
		suf := eglSuffix(egl)
		v, a := st.vif[egl], st.adm[egl]
		for k := 0; k < 4; k++ {
			met[keyVIF[k]+suf] = v[k].score()
			met[keyADMScale[k]+suf] = a.scale(k)
		}
		met[KeyADM2+suf] = a.adm2
	}
	if !s.opts.NoPrediction {
		met[KeyMotion2] = m2
		met[KeyMotion] = st.sad
		met[KeyMotionSAD] = st.sad
	}
	for k, v := range st.extra {
		met[k] = v
	}
	var x [64]float64
	for i, m := range s.models {
		for k, f := range m.features {
			switch {
			case f.kind == featADM2:
				x[k] = st.adm[f.egl].adm2
			case f.kind == featMotion2:
				x[k] = m2
			default:
				x[k] = st.vif[f.egl][f.kind-featVIF0].score()
			}
		}
		met[s.keys[i]] = m.predict(x[:len(m.features)], s.opts.ModelOptions)
	}
	return FrameScore{Index: st.index, Metrics: met}
}

// Finish waits for every pushed frame, delivers the remaining ones and
// returns the Result with per-frame and pooled scores.
func (s *Scorer) Finish() (*Result, error) {
	if s.finished {
		return nil, ErrClosed
	}
	s.finished = true
	gerr := s.g.Wait()
	s.release(s.prev)
	s.prev = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil && gerr != nil {
		s.err = gerr
	}
	if s.err != nil {
		return nil, s.err
	}
	if s.n == 0 {
		return nil, fmt.Errorf("vmaf: %w", ErrNoFrames)
	}
	s.emitLocked(true)
	res := &Result{
		Version:   Version,
		Frames:    s.frames,
		Pooled:    map[string]Pooled{},
		Aggregate: map[string]float64{},
		Width:     s.w,
		Height:    s.h,
	}
	if el := time.Since(s.start).Seconds(); el > 0 {
		res.FPS = float64(s.n) / el
	}
	keys := map[string]bool{}
	for _, f := range s.frames {
		for k := range f.Metrics {
			keys[k] = true
		}
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	vals := make([]float64, 0, len(s.frames))
	for _, k := range names {
		vals = vals[:0]
		for _, f := range s.frames {
			if v, ok := f.Metrics[k]; ok {
				vals = append(vals, v)
			}
		}
		res.Pooled[k] = Pool(vals)
	}
	return res, nil
}

// Close abandons the stream: it waits for the frames being computed and
// drops every result. It is a no-op after Finish.
func (s *Scorer) Close() error {
	if s.finished {
		return nil
	}
	s.finished = true
	err := s.g.Wait()
	s.release(s.prev)
	s.prev = nil
	return err
}

// Score reads both streams to the end and scores every frame pair. Unless
// opts.AllowLengthMismatch is set, streams of different lengths fail with
// ErrLengthMismatch naming both counts (the longer stream is read to its
// end to count it).
func Score(ctx context.Context, ref, dist media.FrameReader, opts Options) (*Result, error) {
	s, err := NewScorer(opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var n int64
	for {
		rf, rerr := ref.ReadFrame(ctx)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return nil, fmt.Errorf("vmaf: read reference frame %d: %w", n, rerr)
		}
		df, derr := dist.ReadFrame(ctx)
		if derr != nil && !errors.Is(derr, io.EOF) {
			return nil, fmt.Errorf("vmaf: read distorted frame %d: %w", n, derr)
		}
		refEOF, distEOF := rerr != nil, derr != nil
		if refEOF && distEOF {
			break
		}
		if refEOF || distEOF {
			if opts.AllowLengthMismatch {
				break
			}
			longer := dist
			if distEOF {
				longer = ref
			}
			rest, err := countRest(ctx, longer)
			if err != nil {
				return nil, err
			}
			nr, nd := n, n+1+rest
			if distEOF {
				nr, nd = n+1+rest, n
			}
			return nil, fmt.Errorf("vmaf: reference has %d frames, distorted has %d: %w", nr, nd, ErrLengthMismatch)
		}
		if err := s.Push(ctx, rf, df); err != nil {
			return nil, err
		}
		n++
	}
	return s.Finish()
}

func countRest(ctx context.Context, r media.FrameReader) (int64, error) {
	var n int64
	for {
		_, err := r.ReadFrame(ctx)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("vmaf: count frames: %w", err)
		}
		n++
	}
}
