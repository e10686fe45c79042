package workflows

import (
	"slices"
	"testing"
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
