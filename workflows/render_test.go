package workflows

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/internal/testmedia"
)

// TestPieceBounds: chunks counted in the movie's frames, the slate
// included, rounded up to the GOP.
func TestPieceBounds(t *testing.T) {
	for _, c := range []struct {
		frames, chunk, gop int
		slate              bool
		want               []int
	}{
		{30, 12, 1, true, []int{0, 11, 23, 30}},     // the slate and frames 0-10, then 12 frames, then 7
		{30, 12, 1, false, []int{0, 12, 24, 30}},    // no slate
		{30, 5, 12, true, []int{0, 11, 23, 30}},     // h264: 5 rounded up to the GOP of 12
		{24, 12, 12, false, []int{0, 12, 24}},       // exact
		{5, 48, 12, true, []int{0, 5}},              // one piece
		{3, 1, 1, true, []int{0, 1, 2, 3}},          // never the slate alone
		{100, 25, 12, false, []int{0, 36, 72, 100}}, // 25 rounded up to 36
	} {
		if got := PieceBounds(c.frames, c.chunk, c.gop, c.slate); !slices.Equal(got, c.want) {
			t.Errorf("PieceBounds(%d, %d, %d, %v) = %v, want %v", c.frames, c.chunk, c.gop, c.slate, got, c.want)
		}
	}
}

// TestRenderPieceReused: a piece whose sidecar says it was made from the
// same task is returned as it is, not rendered again; another task (other
// frames) renders it again.
func TestRenderPieceReused(t *testing.T) {
	dir := t.TempDir()
	var frames []encode.RenderFrame
	for i := range 3 {
		p := filepath.Join(dir, fmt.Sprintf("sh010.%04d.exr", 1001+i))
		err := testmedia.WriteEXR(p, 32, 16, true, func(x, y int) [3]float32 { return [3]float32{float32(x+i) / 40, 0.2, 0.3} })
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, encode.RenderFrame{Number: 1001 + i, File: p})
	}
	a := &Activities{TempDir: dir, Threads: 1}
	task := RenderPieceTask{Index: 0, Piece: filepath.Join(dir, "work", "job", "piece-0000.mov"), Frames: frames,
		Settings: RenderSettings{Codec: "prores", FPS: encode.Rational{Num: 24, Den: 1}}}
	ctx := context.Background()
	first, err := a.RenderPiece(ctx, task)
	if err != nil || first.Reused || first.Frames != 3 {
		t.Fatalf("first: %+v, %v", first, err)
	}
	// rendering it again would rename a new file into place
	before, _ := os.Stat(task.Piece)
	again, err := a.RenderPiece(ctx, task)
	after, _ := os.Stat(task.Piece)
	if err != nil || !again.Reused || again.Frames != 3 || !os.SameFile(before, after) {
		t.Errorf("again: %+v, %v (same file: %v)", again, err, os.SameFile(before, after))
	}
	task.Frames = frames[:2]
	other, err := a.RenderPiece(ctx, task)
	if err != nil || other.Reused || other.Frames != 2 {
		t.Errorf("another task: %+v, %v", other, err)
	}
}
