package testmedia

import (
	"fmt"
	"strings"
	"testing"
)

// Shot kinds of a generated multi-shot clip (MultiShot).
const (
	// Static: a still picture (a gradient, a frozen fractal, bars).
	Static = "static"
	// Moderate: steady motion (test pattern motion, a rotating gradient, a
	// slow fractal pan, a zooming fractal).
	Moderate = "moderate"
	// High: busy, fast-changing pictures (Conway's life, a scrolling
	// cellular automaton, film grain over motion, a jumping fractal).
	High = "high"
)

// MultiShotSpec describes a clip of hard-cut shots for per-shot tests.
type MultiShotSpec struct {
	Width, Height, FPS int
	// ShotFrames is every shot's length in frames.
	ShotFrames int
	// Kinds are the shots in order (Static, Moderate, High); the n-th shot
	// of a kind takes the kind's n-th source, cycling.
	Kinds []string
	// Seed varies the random sources (life, cellauto, grain, fractal
	// jumps, gradient lines): the same spec always makes the same clip.
	Seed int64
}

// TuningShots is the multi-shot clip the per-shot settings were tried on:
// eight one-second shots, static, moderate and high motion in turn.
var TuningShots = MultiShotSpec{
	Width: 320, Height: 180, FPS: 24, ShotFrames: 24, Seed: 7,
	Kinds: []string{Static, Moderate, High, Static, Moderate, High, Static, High},
}

// HeldOutShots is the clip kept out of tuning: another seed, another mix
// and order, nine one-second shots.
var HeldOutShots = MultiShotSpec{
	Width: 320, Height: 180, FPS: 24, ShotFrames: 24, Seed: 1234,
	Kinds: []string{High, Static, Moderate, Moderate, High, Static, High, Moderate, Static},
}

// shotSource is the lavfi graph of the n-th shot of kind at the spec's
// size and rate, before it is cut to length.
func shotSource(kind string, n int, s MultiShotSpec) (string, error) {
	size := fmt.Sprintf("s=%dx%d:r=%d", s.Width, s.Height, s.FPS)
	seed := s.Seed + int64(n)*101
	var srcs []string
	switch kind {
	case Static:
		srcs = []string{
			fmt.Sprintf("gradients=%s:seed=%d:speed=0.00001:n=3:c0=0x3050a0:c1=0xe0c080:c2=0x208040", size, seed),
			fmt.Sprintf("mandelbrot=%s:start_scale=0.4:end_scale=0.4:maxiter=400", size),
			fmt.Sprintf("smptehdbars=%s", size),
		}
	case Moderate:
		srcs = []string{
			fmt.Sprintf("testsrc2=%s", size),
			fmt.Sprintf("gradients=%s:seed=%d:speed=0.05:n=4:c0=0x101060:c1=0xf0a030:c2=0x30c0c0:c3=0x802020", size, seed),
			fmt.Sprintf("sierpinski=%s:seed=%d:jump=1", size, seed),
			fmt.Sprintf("mandelbrot=%s:start_scale=2:end_scale=0.2:end_pts=%d:maxiter=400", size, 4*s.ShotFrames/s.FPS),
		}
	case High:
		srcs = []string{
			fmt.Sprintf("life=%s:seed=%d:ratio=0.3:mold=10", size, seed),
			fmt.Sprintf("testsrc2=%s,noise=alls=24:allf=t:all_seed=%d", size, seed),
			fmt.Sprintf("cellauto=%s:seed=%d:rule=110", size, seed),
			fmt.Sprintf("sierpinski=%s:seed=%d:jump=40", size, seed),
		}
	default:
		return "", fmt.Errorf("testmedia: shot kind %q: want static, moderate or high", kind)
	}
	return srcs[n%len(srcs)], nil
}

// MultiShot makes the clip s describes (H.264 at a high quality, a
// keyframe every second, no audio) and returns its path and the frames
// where shots begin.
func MultiShot(tb testing.TB, s MultiShotSpec) (string, []int64) {
	tb.Helper()
	var graph, labels []string
	var cuts []int64
	count := map[string]int{}
	for i, k := range s.Kinds {
		src, err := shotSource(k, count[k], s)
		if err != nil {
			tb.Fatal(err)
		}
		count[k]++
		graph = append(graph, fmt.Sprintf("%s,format=yuv420p,trim=end_frame=%d,setpts=PTS-STARTPTS[s%d]", src, s.ShotFrames, i))
		labels = append(labels, fmt.Sprintf("[s%d]", i))
		cuts = append(cuts, int64(i*s.ShotFrames))
	}
	graph = append(graph, fmt.Sprintf("%sconcat=n=%d:v=1:a=0[v]", strings.Join(labels, ""), len(s.Kinds)))
	path := File(tb, fmt.Sprintf("shots-%d", s.Seed), "mp4",
		"-filter_complex", strings.Join(graph, ";"), "-map", "[v]",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "8", "-g", fmt.Sprint(s.FPS), "-pix_fmt", "yuv420p")
	return path, cuts
}
