package archer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/reelmedia/reel/media"
)

// Clips for comparing freeze detection with freezedetect, at 480x270: no
// taller than Config.AnalysisHeight, so archer measures the very pixels the
// filter measures (it works at full size, archer at the analysis size), and
// the segments must be equal to the frame. Each has stretches that change by
// less than the noise from one frame to the next but by more over a few
// frames (slow drifts, a slow pan, a slow fade), which freezedetect does not
// call frozen, and true stills, which it does.
func init() {
	sources["G1"] = "gradients=s=480x270:r=25:speed=0.0005:seed=11:c0=0x3050a0:c1=0xe0c040"
	sources["G2"] = "gradients=s=480x270:r=25:speed=0.002:seed=12:c0=0x802020:c1=0x20c0a0"
	sources["G3"] = "gradients=s=480x270:r=25:speed=0.008:seed=13:c0=0x101010:c1=0xf0f0f0"
	sources["SLOWPAN"] = "testsrc2=s=1280x720:r=25,gblur=sigma=12,crop=480:270:x='n/4':y=200"
	sources["SLOWFADE"] = "testsrc2=s=480x270:r=25,trim=end_frame=1,loop=loop=-1:size=1,fade=t=out:s=0:n=600"
	sources["STILL"] = "testsrc2=s=480x270:r=25,hue=h=60,trim=end_frame=1,loop=loop=-1:size=1"
	sources["MOVE"] = "testsrc2=s=480x270:r=25"
}

func freezeClip() clip {
	return clip{name: "freeze-drift", segs: []seg{
		{"MOVE", 10, ""},
		{"G1", 60, ""},
		{"STILL", 40, ""},
		{"G2", 50, ""},
		{"SLOWPAN", 60, ""},
		{"STILL", 30, ""},
		{"SLOWFADE", 60, ""},
		{"G3", 40, ""},
		{"MOVE", 10, ""},
	}}
}

// freezeSettings are the thresholds the comparisons run at: freezedetect's
// default noise, and a higher one under which the slow fade and pan drift
// within the noise from frame to frame; a duration the slowest gradient
// outlasts, and a shorter one.
var freezeSettings = []Config{
	{FreezeNoise: 0.001, FreezeMinDuration: 1},
	{FreezeNoise: 0.001, FreezeMinDuration: 0.5},
	{FreezeNoise: 0.003, FreezeMinDuration: 0.5},
}

// freezeChunkings are the chunkings the invariance checks run: one pass,
// then chunk edges everywhere, with and without keyframe cuts.
var freezeChunkings = []struct {
	threads, chunk int
	keyframes      []int64
}{
	{1, 1000, nil}, {2, 17, nil}, {3, 9, nil}, {2, 25, every(0, 1000, 7)}, {4, 40, every(3, 1000, 13)},
}

// TestFreezeMatchesFreezedetect compares archer's frozen segments with
// freezedetect's, frame for frame, on slow drifts (gradients at three
// speeds, a slow pan, a slow fade) and true stills, at several chunkings:
// a still that crosses a chunk edge is measured against its first frame
// as in one pass.
func TestFreezeMatchesFreezedetect(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and decodes a clip")
	}
	needFFmpeg(t)
	c := freezeClip()
	path := makeClip(t, &c)
	frames := decodeAll(t, path, clipFPS)
	for _, set := range freezeSettings {
		cfg := Config{Analyzers: []string{Freeze}, FreezeNoise: set.FreezeNoise, FreezeMinDuration: set.FreezeMinDuration}
		_, theirs := ffmpegSegments(t, path, withBlackDefaults(cfg))
		var want []int64
		for _, s := range theirs {
			want = append(want, int64(math.Round(s[0]*clipFPS)), int64(math.Round(s[1]*clipFPS)))
		}
		var first []byte
		for _, ch := range freezeChunkings {
			cfg.Threads, cfg.ChunkFrames = ch.threads, ch.chunk
			a := runFreeze(t, cfg, frames, ch.keyframes)
			var got []int64
			for _, s := range a.Freeze {
				got = append(got, s.Start, s.End)
			}
			name := fmt.Sprintf("n=%g d=%g threads %d chunk %d keyframes %v", cfg.FreezeNoise, cfg.FreezeMinDuration, ch.threads, ch.chunk, ch.keyframes != nil)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: archer %v, freezedetect %v", name, got, want)
			}
			b, _ := json.Marshal(a)
			if first == nil {
				first = b
				t.Logf("n=%g d=%g: archer and freezedetect %v", cfg.FreezeNoise, cfg.FreezeMinDuration, got)
			} else if string(b) != string(first) {
				t.Errorf("%s: analysis differs from one pass", name)
			}
		}
	}
}

// withBlackDefaults fills the black thresholds ffmpegSegments also passes.
func withBlackDefaults(c Config) Config {
	d, _ := c.withDefaults()
	return d
}

// runFreeze runs cfg over in-memory frames.
func runFreeze(t *testing.T, cfg Config, frames []*media.Frame, keyframes []int64) *Analysis {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a, err := r.Run(context.Background(), memSource(frames), RunOptions{End: int64(len(frames)), FPS: clipFPS, Keyframes: keyframes})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// driftFrames is an in-memory clip at 64x48 (no downscale): motion, a drift
// of a little under the default noise per frame, a still with noise about
// as large as the default noise, an exact still, and motion again.
func driftFrames() []*media.Frame {
	var fs []*media.Frame
	add := func(f *media.Frame) { f.Index, f.PTS = int64(len(fs)), float64(len(fs))/clipFPS; fs = append(fs, f) }
	for i := range 20 {
		add(pattern(int64(i), 64, 48, f420, 0))
	}
	base := pattern(0, 64, 48, f420, 1)
	y := base.Planes[0]
	for j := range 60 {
		f := base.Clone()
		for p := 0; p < min(j*150, len(y.Pix)); p++ {
			f.Planes[0].Pix[p]++
		}
		add(f)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	still := pattern(5, 64, 48, f420, 2)
	for range 40 {
		f := still.Clone()
		for range 700 {
			p := rng.IntN(len(y.Pix))
			f.Planes[0].Pix[p] += byte(1 - 2*rng.IntN(2))
		}
		add(f)
	}
	exact := pattern(9, 64, 48, f420, 3)
	for range 30 {
		add(exact.Clone())
	}
	for i := range 20 {
		add(pattern(int64(i), 64, 48, f420, 0))
	}
	return fs
}

// countingSource counts the frames its readers deliver.
type countingSource struct {
	src Source
	n   int
}

func (c *countingSource) OpenRange(ctx context.Context, start, end int64) (media.FrameReader, error) {
	fr, err := c.src.OpenRange(ctx, start, end)
	if err != nil {
		return nil, err
	}
	return readerFunc(func(ctx context.Context) (*media.Frame, error) {
		f, err := fr.ReadFrame(ctx)
		if err == nil {
			c.n++
		}
		return f, err
	}), nil
}

type readerFunc func(ctx context.Context) (*media.Frame, error)

func (f readerFunc) ReadFrame(ctx context.Context) (*media.Frame, error) { return f(ctx) }

// TestFreezeReduceAcrossEdges: partials of chunks with a context frame (as
// AnalyzeWorkflow's chunks from before keyframe cuts), through JSON, reduce
// to the one-pass analysis with Runner.Reduce, which reads again only the
// frames of stills that cross an edge with another reference; the package
// Reduce fails with ErrNeedsFrames there, and needs no frames where the
// references at an edge are the same picture (the exact still).
func TestFreezeReduceAcrossEdges(t *testing.T) {
	frames := driftFrames()
	ctx := context.Background()
	for _, noise := range []float64{0.001, 0.0007} {
		cfg := Config{Analyzers: []string{Freeze}, Threads: 1, FreezeNoise: noise, FreezeMinDuration: 0.3}
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		// Chunks of n frames; negative n: chunks of -n frames that each
		// start halfway into the one before (Reduce drops what two hold).
		chunks := func(n int64) []*Partial {
			spans := fixedChunks(0, int64(len(frames)), n, nil)
			if n < 0 {
				spans = nil
				for s := int64(0); s < int64(len(frames)); s += -n / 2 {
					spans = append(spans, ChunkSpan{Start: s, End: min(s-n, int64(len(frames)))})
				}
			}
			var ps []*Partial
			for _, c := range spans {
				from := max(0, c.Start-Overlap)
				p, err := r.AnalyzeChunk(ctx, &memReader{frames: frames[from:c.End]}, c, nil)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(p)
				var q Partial
				if err := json.Unmarshal(b, &q); err != nil {
					t.Fatal(err)
				}
				ps = append(ps, &q)
			}
			return ps
		}
		one, err := Reduce(r.Config(), clipFPS, chunks(1000))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(one)
		if len(one.Freeze) == 0 {
			t.Fatalf("noise %g: no frozen segment in one pass", noise)
		}
		for _, n := range []int64{7, 13, 25, 50, -20, -44} {
			src := &countingSource{src: memSource(frames)}
			a, err := r.Reduce(ctx, src, clipFPS, chunks(n))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := json.Marshal(a); string(got) != string(want) {
				t.Errorf("noise %g chunk %d: %v, one pass %v", noise, n, segs(a.Freeze), segs(one.Freeze))
			}
			t.Logf("noise %g chunk %d: %d frames read again", noise, n, src.n)
			pure, err := Reduce(r.Config(), clipFPS, chunks(n))
			switch {
			case errors.Is(err, ErrNeedsFrames) && src.n > 0:
			case err == nil && src.n == 0:
				if got, _ := json.Marshal(pure); string(got) != string(want) {
					t.Errorf("noise %g chunk %d: Reduce without frames differs from one pass", noise, n)
				}
			default:
				t.Errorf("noise %g chunk %d: Reduce: %v after Runner.Reduce read %d frames", noise, n, err, src.n)
			}
		}
	}
	// Edges only inside the exact still (frames 120..150) need no frames.
	cfg := Config{Analyzers: []string{Freeze}, Threads: 1, FreezeMinDuration: 0.3}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ps []*Partial
	for _, c := range []ChunkSpan{{End: 130}, {Start: 130, End: 140}, {Start: 140, End: 170}} {
		p, err := r.AnalyzeChunk(ctx, &memReader{frames: frames[max(0, c.Start-Overlap):c.End]}, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if _, err := Reduce(r.Config(), clipFPS, ps); err != nil {
		t.Errorf("edges inside an exact still: %v", err)
	}
}
