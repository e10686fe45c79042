package archer

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
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
	sources["G1"] = "gradients=s=480x270:r=25:speed=0.0005:seed=11"
	sources["G2"] = "gradients=s=480x270:r=25:speed=0.002:seed=12"
	sources["G3"] = "gradients=s=480x270:r=25:speed=0.008:seed=13"
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
