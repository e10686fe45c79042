package workflows

import (
	"fmt"
	"testing"

	"github.com/reelmedia/reel/seq"
)

// TestSlateThumbChoice: the slate shows the middle frame by default (the
// nearest one with an image when it is missing under black), or the
// frame asked for; a frame outside the render or missing is an error.
func TestSlateThumbChoice(t *testing.T) {
	plan := seq.Plan{Range: seq.Range{First: 1001, Last: 1005, Step: 1}}
	for n := 1001; n <= 1005; n++ {
		plan.Frames = append(plan.Frames, seq.Frame{Number: n, File: fmt.Sprintf("f.%d.exr", n)})
	}
	for _, c := range []struct{ arg, want string }{{"", "f.1003.exr"}, {"1001", "f.1001.exr"}, {"1005", "f.1005.exr"}} {
		if got, err := slateThumb(plan, c.arg); err != nil || got != c.want {
			t.Errorf("slate frame %q: %q, %v; want %s", c.arg, got, err, c.want)
		}
	}
	plan.Frames[2] = seq.Frame{Number: 1003, Missing: true}
	if got, _ := slateThumb(plan, ""); got != "f.1002.exr" && got != "f.1004.exr" {
		t.Errorf("middle frame missing: %q, want a neighbour", got)
	}
	for _, arg := range []string{"1003", "1006", "x"} {
		if _, err := slateThumb(plan, arg); err == nil {
			t.Errorf("slate frame %s: no error", arg)
		}
	}
}
