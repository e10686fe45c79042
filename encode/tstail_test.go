package encode

import (
	"context"
	"fmt"
	"github.com/reelmedia/reel/internal/testmedia"
	"path/filepath"
	"strings"
	"testing"
)

// A range that starts in the last frames of an MPEG-TS (the tail a chunk
// plan leaves, [N-3,N)) decodes to the frames a whole decode gives there.
func TestTSRangeAtTheEnd(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		args []string
	}{
		{"h264-bframes", []string{"-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "12", "-pix_fmt", "yuv420p"}},
		{"h264-nob", []string{"-c:v", "libx264", "-preset", "ultrafast", "-g", "12", "-pix_fmt", "yuv420p"}},
		{"mpeg2", []string{"-c:v", "mpeg2video", "-q:v", "3", "-bf", "2", "-g", "12"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := testMedia(t, "ts", append([]string{"-f", "lavfi", "-i", "testsrc2=size=160x96:rate=25", "-frames:v", "40"}, c.args...)...)
			in := FileInput(src)
			info, err := Probe(ctx, in, ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			n := info.FrameCount
			all := testmedia.FrameMD5s(t, src, "-pix_fmt", "yuv420p")
			if int64(len(all)) != n {
				t.Fatalf("probe %d frames, ffmpeg decodes %d", n, len(all))
			}
			for _, k := range []int64{1, 2, 3, 4} {
				out := filepath.Join(t.TempDir(), fmt.Sprintf("tail%d.mp4", k))
				res, err := EncodeRange(ctx, in, out, lossless, n-k, n, nil)
				if err != nil {
					t.Errorf("range [%d,%d): %v", n-k, n, err)
					continue
				}
				got := testmedia.FrameMD5s(t, res.Path, "-pix_fmt", "yuv420p")
				if strings.Join(got, " ") != strings.Join(all[n-k:], " ") {
					t.Errorf("range [%d,%d): %d frames, not the source's last %d", n-k, n, len(got), k)
				}
			}
		})
	}
}
