package vmaf

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/reelmedia/reel/media"
)

// synthFrame makes a deterministic textured frame: moving gradients plus
// hashed noise, with a distortion level (0 = the reference) that blurs and
// adds noise. Sample values scale with the bit depth (v << (bpc-8)).
func synthFrame(w, h int, format media.Format, index int, distortion int) *media.Frame {
	f := media.NewFrame(w, h, format)
	f.Index = int64(index)
	shift := format.BitDepth - 8
	for pi, p := range f.Planes {
		for y := 0; y < p.Height; y++ {
			for x := 0; x < p.Width; x++ {
				v := (x*3 + y*2 + index*5 + pi*40) % 256
				hsh := uint32(x*73856093^y*19349663^index*83492791) % 61
				v = (v + int(hsh)) % 256
				if distortion > 0 {
					v = (v*(8-distortion) + 128*distortion) / 8
					v += int((uint32(x)*2654435761 + uint32(y)*40503) % uint32(2*distortion+1))
					v = min(v, 255)
				}
				s := v << shift
				if format.BitDepth > 8 {
					binary.LittleEndian.PutUint16(p.Pix[y*p.Stride+2*x:], uint16(s))
				} else {
					p.Pix[y*p.Stride+x] = byte(s)
				}
			}
		}
	}
	return f
}

// sliceReader yields frames from a slice, or generates n synthetic ones.
type sliceReader struct {
	frames []*media.Frame
	i      int
}

func (r *sliceReader) ReadFrame(ctx context.Context) (*media.Frame, error) {
	if r.i >= len(r.frames) {
		return nil, io.EOF
	}
	r.i++
	return r.frames[r.i-1], nil
}

func synthClip(w, h int, format media.Format, n, distortion int) []*media.Frame {
	var out []*media.Frame
	for i := 0; i < n; i++ {
		out = append(out, synthFrame(w, h, format, i, distortion))
	}
	return out
}

func scoreSynth(t *testing.T, w, h int, format media.Format, n int, opts Options) *Result {
	t.Helper()
	res, err := Score(context.Background(),
		&sliceReader{frames: synthClip(w, h, format, n, 0)},
		&sliceReader{frames: synthClip(w, h, format, n, 2)}, opts)
	if err != nil {
		t.Fatalf("%dx%d %v: %v", w, h, format, err)
	}
	return res
}

// TestFormats checks what must not change the score: chroma layout (VMAF
// reads luma only), and 10- versus 12-bit input holding the same samples
// (libvmaf's shifts make the 12-bit pipeline identical to the 10-bit one).
// It also scores odd sizes and the minimum size.
func TestFormats(t *testing.T) {
	base := scoreSynth(t, 96, 64, media.Format{Chroma: media.Chroma420, BitDepth: 10}, 3, Options{})
	for _, f := range []media.Format{
		{Chroma: media.Chroma422, BitDepth: 10},
		{Chroma: media.Chroma444, BitDepth: 10},
		{Chroma: media.Chroma400, BitDepth: 10},
		{Chroma: media.Chroma420, BitDepth: 12},
	} {
		got := scoreSynth(t, 96, 64, f, 3, Options{})
		for i := range base.Frames {
			for k, v := range base.Frames[i].Metrics {
				if got.Frames[i].Metrics[k] != v {
					t.Errorf("%v frame %d %s: %v, 10-bit 4:2:0 %v", f, i, k, got.Frames[i].Metrics[k], v)
				}
			}
		}
	}
	eight := scoreSynth(t, 96, 64, media.Format{Chroma: media.Chroma420, BitDepth: 8}, 3, Options{})
	if d := math.Abs(eight.Pooled[KeyVMAF].Mean - base.Pooled[KeyVMAF].Mean); d > 1 {
		t.Errorf("8-bit VMAF %v vs 10-bit %v", eight.Pooled[KeyVMAF].Mean, base.Pooled[KeyVMAF].Mean)
	}
	for _, sz := range [][2]int{{MinDimension, MinDimension}, {37, 41}, {101, 57}} {
		res := scoreSynth(t, sz[0], sz[1], media.Format{Chroma: media.Chroma420, BitDepth: 8}, 3, Options{})
		for _, f := range res.Frames {
			v := f.Metrics[KeyVMAF]
			if math.IsNaN(v) || v < 0 || v > 100 {
				t.Errorf("%v frame %d: VMAF %v", sz, f.Index, v)
			}
		}
	}
}

func TestScoreErrors(t *testing.T) {
	ctx := context.Background()
	f8 := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	f10 := media.Format{Chroma: media.Chroma420, BitDepth: 10}
	clip := func(w, h int, f media.Format, n int) *sliceReader {
		return &sliceReader{frames: synthClip(w, h, f, n, 0)}
	}
	cases := []struct {
		name    string
		ref     *sliceReader
		dis     *sliceReader
		opts    Options
		want    error
		message string
	}{
		{"size", clip(64, 48, f8, 2), clip(64, 50, f8, 2), Options{}, ErrSizeMismatch, "64x50"},
		{"depth", clip(64, 48, f8, 2), clip(64, 48, f10, 2), Options{}, ErrBitDepthMismatch, "10-bit"},
		{"too small", clip(35, 48, f8, 2), clip(35, 48, f8, 2), Options{}, ErrInvalidFrame, "35x48"},
		{"length", clip(64, 48, f8, 5), clip(64, 48, f8, 3), Options{}, ErrLengthMismatch, "reference has 5 frames, distorted has 3"},
		{"length dist", clip(64, 48, f8, 2), clip(64, 48, f8, 4), Options{}, ErrLengthMismatch, "reference has 2 frames, distorted has 4"},
		{"empty", clip(64, 48, f8, 0), clip(64, 48, f8, 0), Options{}, ErrNoFrames, ""},
		{"model", clip(64, 48, f8, 1), clip(64, 48, f8, 1), Options{Models: []string{"vmaf_v9"}}, ErrUnknownModel, "vmaf_v9"},
		{"feature", clip(64, 48, f8, 1), clip(64, 48, f8, 1), Options{Features: []string{"vif"}}, ErrInvalidOptions, "vif"},
		{"threads", clip(64, 48, f8, 1), clip(64, 48, f8, 1), Options{Threads: -1}, ErrInvalidOptions, ""},
		{"duplicate", clip(64, 48, f8, 1), clip(64, 48, f8, 1), Options{Models: []string{"vmaf_4k_v0.6.1", "vmaf_4k_v0.6.1", "vmaf_4k_v0.6.1"}}, ErrInvalidOptions, "vmaf_4k"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Score(ctx, c.ref, c.dis, c.opts)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.message) {
				t.Fatalf("got %v, want %v mentioning %q", err, c.want, c.message)
			}
		})
	}
	res, err := Score(ctx, clip(64, 48, f8, 5), clip(64, 48, f8, 3), Options{AllowLengthMismatch: true})
	if err != nil || len(res.Frames) != 3 {
		t.Fatalf("AllowLengthMismatch: %v, %v", res, err)
	}

	s, err := NewScorer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := synthFrame(64, 48, f8, 0, 0)
	bad.Planes[0].Pix = bad.Planes[0].Pix[:100]
	if err := s.Push(ctx, bad, bad); !errors.Is(err, ErrInvalidFrame) {
		t.Errorf("short plane: %v", err)
	}
	hot := synthFrame(64, 48, f10, 0, 0)
	binary.LittleEndian.PutUint16(hot.Planes[0].Pix[10:], 4000)
	if err := s.Push(ctx, hot, hot); !errors.Is(err, ErrInvalidFrame) {
		t.Errorf("10-bit sample above 1023: %v", err)
	}
	if _, err := s.Finish(); !errors.Is(err, ErrNoFrames) {
		t.Errorf("finish without frames: %v", err)
	}
	if err := s.Push(ctx, bad, bad); !errors.Is(err, ErrClosed) {
		t.Errorf("push after finish: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	s2, _ := NewScorer(Options{})
	defer s2.Close()
	f := synthFrame(64, 48, f8, 0, 0)
	if err := s2.Push(cctx, f, f); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled push: %v", err)
	}
}

// TestPushCopies reuses one frame buffer for every Push, as decoders do.
func TestPushCopies(t *testing.T) {
	f8 := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	want := scoreSynth(t, 64, 48, f8, 6, Options{Threads: 2})
	s, err := NewScorer(Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	refBuf, disBuf := media.NewFrame(64, 48, f8), media.NewFrame(64, 48, f8)
	for i := 0; i < 6; i++ {
		r, d := synthFrame(64, 48, f8, i, 0), synthFrame(64, 48, f8, i, 2)
		for p := range r.Planes {
			copy(refBuf.Planes[p].Pix, r.Planes[p].Pix)
			copy(disBuf.Planes[p].Pix, d.Planes[p].Pix)
		}
		if err := s.Push(context.Background(), refBuf, disBuf); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Finish()
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Frames {
		if got.Frames[i].Metrics[KeyVMAF] != want.Frames[i].Metrics[KeyVMAF] {
			t.Errorf("frame %d: %v vs %v", i, got.Frames[i].Metrics[KeyVMAF], want.Frames[i].Metrics[KeyVMAF])
		}
	}
}

// TestStreamMemoryBounded streams 10 000 frames and checks the live heap
// stays flat: nothing per frame is kept but the scores.
func TestStreamMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 10 000 frames")
	}
	peak, perFrame := streamHeap(t, 10000, 64, 48, 2)
	t.Logf("10 000 frames of 64x48: peak live heap %.1f MiB, %.0f bytes per frame retained", float64(peak)/(1<<20), perFrame)
	if perFrame > 4096 {
		t.Errorf("retained %.0f bytes per frame; frames or buffers are leaking", perFrame)
	}
}

// streamHeap pushes n synthetic frames of w x h through a Scorer and
// returns the peak live heap seen and the heap growth per frame between
// the first 10% and the end.
func streamHeap(t testing.TB, n, w, h, threads int) (peak uint64, perFrame float64) {
	f8 := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	refs := synthClip(w, h, f8, 8, 0)
	diss := synthClip(w, h, f8, 8, 2)
	var ms runtime.MemStats
	sample := func() uint64 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var early, late uint64
	count := 0
	s, err := NewScorer(Options{Threads: threads, OnFrame: func(FrameScore) {
		count++
		if count%1000 == 0 {
			v := sample()
			peak = max(peak, v)
			if count == n/10 {
				early = v
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := s.Push(context.Background(), refs[i%8], diss[i%8]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Finish()
	if err != nil {
		t.Fatal(err)
	}
	late = sample()
	peak = max(peak, late)
	if len(res.Frames) != n {
		t.Fatalf("%d frames scored", len(res.Frames))
	}
	return peak, (float64(late) - float64(early)) / float64(n-n/10)
}

// TestVIFUnrolledMatchesLoops holds the unrolled VIF passes to the plain
// loops they replace, at every bit depth, on textured and flat content.
func TestVIFUnrolledMatchesLoops(t *testing.T) {
	for _, bpc := range []int{8, 10, 12} {
		f := media.Format{Chroma: media.Chroma420, BitDepth: bpc}
		for _, dist := range []int{0, 3, 7} {
			var r, d luma
			if err := lumaOf(synthFrame(131, 77, f, 1, 0), &r); err != nil {
				t.Fatal(err)
			}
			lumaOf(synthFrame(131, 77, f, 1, dist), &d)
			fast := (&vifWorker{}).compute(&r, &d, defaultEnhnGainLimit)
			slow := (&vifWorker{loops: true}).compute(&r, &d, defaultEnhnGainLimit)
			if fast != slow {
				t.Errorf("%d-bit distortion %d: unrolled %v, loops %v", bpc, dist, fast, slow)
			}
		}
	}
}

// NoPrediction computes the features alone, with the same values as a full
// run, and no model or elementary metric; it needs a feature and no model.
func TestNoPrediction(t *testing.T) {
	format := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	full := scoreSynth(t, 64, 36, format, 5, Options{Features: []string{FeaturePSNR}})
	only := scoreSynth(t, 64, 36, format, 5, Options{Features: []string{FeaturePSNR}, NoPrediction: true})
	if len(only.Frames) != 5 {
		t.Fatalf("%d frames, want 5", len(only.Frames))
	}
	for i, f := range only.Frames {
		if len(f.Metrics) != 3 {
			t.Errorf("frame %d: metrics %v, want psnr_y, psnr_cb, psnr_cr only", i, f.Metrics)
		}
		for k, v := range f.Metrics {
			if !strings.HasPrefix(k, "psnr_") || v != full.Frames[i].Metrics[k] {
				t.Errorf("frame %d: %s = %v, the full run has %v", i, k, v, full.Frames[i].Metrics[k])
			}
		}
	}
	if _, ok := only.Pooled[KeyVMAF]; ok {
		t.Error("pooled vmaf without prediction")
	}
	for _, opts := range []Options{{NoPrediction: true}, {NoPrediction: true, Features: []string{FeaturePSNR}, Models: []string{DefaultModel}}} {
		if _, err := NewScorer(opts); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: err %v, want ErrInvalidOptions", opts, err)
		}
	}
}

// Scorers one after another (a worker's chunks) reuse the frame scratch
// of the ones before when the geometry is the same: a second Scorer makes
// no worker of its own, and scores the same.
func TestScorersShareScratch(t *testing.T) {
	f8 := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	defer func(p *workerPool) { computeWorkers = p }(computeWorkers)
	computeWorkers = &workerPool{}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // two idle workers kept
	score := func(w, h int) (made int, allocated uint64, vmaf float64) {
		ref, dis := synthClip(w, h, f8, 3, 0), synthClip(w, h, f8, 3, 2)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		res, err := Score(context.Background(), &sliceReader{frames: ref}, &sliceReader{frames: dis}, Options{Threads: 1})
		runtime.ReadMemStats(&m1)
		if err != nil {
			t.Fatal(err)
		}
		return computeWorkers.made, m1.TotalAlloc - m0.TotalAlloc, res.Pooled[KeyVMAF].Mean
	}
	made1, first, v1 := score(640, 360)
	made2, other, _ := score(320, 240) // another geometry between the two
	made3, second, v2 := score(640, 360)
	t.Logf("workers made %d, %d, %d; allocated %d KiB, then %d KiB (another size: %d KiB)", made1, made2, made3, first>>10, second>>10, other>>10)
	if v1 != v2 {
		t.Fatalf("VMAF %v with fresh scratch, %v with reused", v1, v2)
	}
	if made1 != 1 || made2 != 2 || made3 != 2 {
		t.Fatalf("workers made after each Scorer: %d, %d, %d; want 1, 2, 2 (the third reusing the first's)", made1, made2, made3)
	}
}

// However many Scorers run and however many threads each asks for, at
// most GOMAXPROCS frames compute at once (each holding a worker's
// scratch).
func TestScorersBoundedTogether(t *testing.T) {
	f8 := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	defer func(p *workerPool) { computeWorkers = p }(computeWorkers)
	computeWorkers = &workerPool{}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	ref, dis := synthClip(320, 240, f8, 24, 0), synthClip(320, 240, f8, 24, 2)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Score(context.Background(), &sliceReader{frames: ref}, &sliceReader{frames: dis}, Options{Threads: 4}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := computeWorkers.peak; p < 1 || p > 2 {
		t.Fatalf("%d frames computed at once, want 1 or 2 (GOMAXPROCS)", p)
	}
	if n := len(computeWorkers.idle); n > 2 {
		t.Fatalf("%d idle workers kept, want at most 2", n)
	}
}
