package testmedia

import (
	"math"
	"testing"
)

// Every corpus source made with Clicks has its clicks on its flashes (the
// sources' own timestamps, jumps included), more than one of each, and
// its frames: the click track adds audio and leaves the video's shape.
func TestCorpusClicks(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes eight sources twice; workflows/integration's TestCorpusJob measures them too")
	}
	c := Corpus{Clicks: true}
	for _, s := range []struct {
		name   string
		make   func(testing.TB) string
		frames int
	}{
		{"vfr-mp4", c.VFRMP4, 90},
		{"packed-avi", c.PackedAVI, 58},
		{"repeat-avi", c.RepeatAVI, 50},
		{"discont-ts", func(tb testing.TB) string { return c.DiscontTS(tb, false) }, 40},
		{"editlist-mp4", c.EditListMP4, 40},
		{"interlaced-ts", c.InterlacedH264, 50},
		{"hdr10-mp4", c.HDR10Source, 20},
		{"dnxhr-mxf", c.DNxMXF, 30},
	} {
		t.Run(s.name, func(t *testing.T) {
			src := s.make(t)
			if n := len(FrameMD5s(t, src)); n != s.frames {
				t.Errorf("%d frames, want %d", n, s.frames)
			}
			// FFmpeg shows the packed B-frames of an AVI three frames
			// late (its timestamps are the packets' decode order; the
			// first frame one), as the ffmpeg CLI's conversion does.
			offsets := SyncOffsets(t, src)
			if len(offsets) < 2 {
				t.Fatalf("%d flashes", len(offsets))
			}
			want := 0.0
			if s.name == "packed-avi" {
				want, offsets = -3*1001.0/24000, offsets[1:]
			}
			for i, d := range offsets {
				if math.Abs(d-want) > SyncBound {
					t.Errorf("click %d is %+.1f ms from its flash, want %+.1f ms", i, d*1000, want*1000)
				}
			}
			t.Logf("%d flashes, first click offset %+.2f ms", len(offsets), offsets[0]*1000)
		})
	}
}
