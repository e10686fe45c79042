package workflows

import (
	"fmt"
	"slices"
	"testing"
)

func keyframesEvery(n, total int64) []int64 {
	var k []int64
	for f := int64(0); f < total; f += n {
		k = append(k, f)
	}
	return k
}

var planCases = []struct {
	name    string
	frames  int64
	fps     float64
	gop     int64 // keyframe interval; 0 = no index
	target  float64
	aligned bool
	want    [][2]int64
}{
	{"exact multiples", 300, 25, 25, 4, true, [][2]int64{{0, 100}, {100, 200}, {200, 300}}},
	{"cut at next keyframe", 300, 25, 30, 4, true, [][2]int64{{0, 120}, {120, 240}, {240, 300}}},
	{"short tail merged", 230, 25, 25, 4, true, [][2]int64{{0, 100}, {100, 230}}},
	{"no keyframe index", 240, 25, 0, 4, true, [][2]int64{{0, 100}, {100, 240}}},
	{"half-target tail kept", 250, 25, 0, 4, true, [][2]int64{{0, 100}, {100, 200}, {200, 250}}},
	{"alignment off", 240, 25, 30, 4, false, [][2]int64{{0, 100}, {100, 240}}},
	{"shorter than one chunk", 40, 25, 12, 4, true, [][2]int64{{0, 40}}},
	{"sparse keyframes", 600, 25, 250, 4, true, [][2]int64{{0, 250}, {250, 500}, {500, 600}}},
	{"one frame", 1, 30, 1, 4, true, [][2]int64{{0, 1}}},
	{"ntsc rate", 720, 30000.0 / 1001, 0, 2, true, [][2]int64{{0, 60}, {60, 120}, {120, 180}, {180, 240}, {240, 300}, {300, 360}, {360, 420}, {420, 480}, {480, 540}, {540, 600}, {600, 660}, {660, 720}}},
}

func TestPlanChunks(t *testing.T) {
	for _, tc := range planCases {
		t.Run(tc.name, func(t *testing.T) {
			info := SourceInfo{Frames: tc.frames, FrameRate: tc.fps}
			if tc.gop > 0 {
				info.Keyframes = keyframesEvery(tc.gop, tc.frames)
			}
			aligned := tc.aligned
			got, err := PlanChunks(info, ChunkPolicy{TargetSeconds: tc.target, GOPAligned: &aligned})
			if err != nil {
				t.Fatal(err)
			}
			var ranges [][2]int64
			for i, c := range got {
				if c.Index != i {
					t.Errorf("chunk %d has index %d", i, c.Index)
				}
				ranges = append(ranges, [2]int64{c.Start, c.End})
			}
			if !slices.Equal(ranges, tc.want) {
				t.Errorf("got %v, want %v", ranges, tc.want)
			}
		})
	}
}

func TestPlanChunksRejectsUnplannable(t *testing.T) {
	for _, info := range []SourceInfo{{Frames: 0, FrameRate: 25}, {Frames: 100, FrameRate: 0}, {Frames: -5, FrameRate: 25}} {
		if _, err := PlanChunks(info, ChunkPolicy{}); err == nil {
			t.Errorf("PlanChunks(%+v) accepted it", info)
		}
	}
}

// FuzzPlanChunks checks the plan's invariants: chunks are contiguous, cover
// every frame once, start at keyframes when aligned, and are never empty.
func FuzzPlanChunks(f *testing.F) {
	for _, tc := range planCases {
		f.Add(tc.frames, tc.fps, tc.gop, tc.target, tc.aligned)
	}
	f.Fuzz(func(t *testing.T, frames int64, fps float64, gop int64, target float64, aligned bool) {
		if frames > 1e6 || gop > 1e6 || gop < 0 || fps > 1000 || target > 1e4 {
			t.Skip()
		}
		info := SourceInfo{Frames: frames, FrameRate: fps}
		if gop > 0 && frames > 0 {
			info.Keyframes = keyframesEvery(gop, frames)
		}
		got, err := PlanChunks(info, ChunkPolicy{TargetSeconds: target, GOPAligned: &aligned})
		if err != nil {
			return
		}
		next := int64(0)
		for i, c := range got {
			if c.Index != i || c.Start != next || c.End <= c.Start {
				t.Fatalf("chunk %d = %+v after frame %d", i, c, next)
			}
			if aligned && len(info.Keyframes) > 0 && c.Start%gop != 0 {
				t.Fatalf("chunk %d starts at %d, not a keyframe (every %d)", i, c.Start, gop)
			}
			next = c.End
		}
		if next != frames {
			t.Fatalf("plan ends at %d of %d frames", next, frames)
		}
	})
}

// An intra-only source's keyframes (every frame) are dropped from the probe
// result, and the plan without them is the same.
func TestSparseKeyframes(t *testing.T) {
	const frames = 1000
	all := keyframesEvery(1, frames)
	if got := sparseKeyframes(all, frames); got != nil {
		t.Errorf("every frame a keyframe: kept %d", len(got))
	}
	if got := sparseKeyframes(keyframesEvery(48, frames), frames); len(got) != 21 {
		t.Errorf("GOP 48: kept %d keyframes, want 21", len(got))
	}
	info := SourceInfo{FrameRate: 24, Frames: frames}
	without, err := PlanChunks(info, ChunkPolicy{TargetSeconds: 3})
	if err != nil {
		t.Fatal(err)
	}
	info.Keyframes = all
	with, err := PlanChunks(info, ChunkPolicy{TargetSeconds: 3})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(with) != fmt.Sprint(without) {
		t.Errorf("plan with every keyframe %v\nwithout %v", with, without)
	}
}
