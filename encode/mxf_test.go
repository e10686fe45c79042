package encode

import (
	"bytes"
	"context"
	"fmt"
	"github.com/reelmedia/reel/internal/testmedia"
	"path/filepath"
	"strings"
	"testing"
)

// MXF's own index table is trusted as FFmpeg's mxf demuxer uses it: Probe
// counts the frames from the container (no packet scan: Index.Scanned is
// false) and a range is reached by the demuxer's seek through the index
// table, so neither reads more than a fraction of the file (opening reads
// the header, footer and index partitions and FFmpeg's stream probe), for
// intra-only DNxHR and long-GOP MPEG-2 (XDCAM-like, B-frames), and the
// range's frames are the ffmpeg CLI's.
func TestMXFSeeksByIndexTable(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		args []string
	}{
		{"dnxhr", []string{"-c:v", "dnxhd", "-profile:v", "dnxhr_lb"}},
		{"mpeg2-longgop", []string{"-c:v", "mpeg2video", "-b:v", "8M", "-g", "12", "-bf", "2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-frames:v", "300"}, c.args...)
			src := testMedia(t, "mxf", append(args, "-pix_fmt", "yuv422p", "-f", "mxf")...)
			b := readFile(t, src)
			size := int64(len(b))
			cr := &countingReader{r: bytes.NewReader(b)}
			info, err := Probe(ctx, ReaderInput(c.name, cr, size), ProbeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes, %d frames; probe read %d bytes", size, info.FrameCount, cr.n.Load())
			if info.FrameCount != 300 || info.FrameIndex.Scanned() || cr.n.Load() > size/3 {
				t.Errorf("probe: %d frames, scanned %v, read %d of %d bytes; want 300 frames from the container, a third of the file at most",
					info.FrameCount, info.FrameIndex.Scanned(), cr.n.Load(), size)
			}
			all := testmedia.FrameMD5s(t, src, "-pix_fmt", "yuv422p")
			for _, r := range [][2]int64{{150, 162}, {155, 160}, {288, 300}} {
				cr.n.Store(0)
				res, err := EncodeRange(ctx, ReaderInput(c.name, cr, size), filepath.Join(t.TempDir(), fmt.Sprintf("c%d.mp4", r[0])), lossless, r[0], r[1], nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("range %v read %d bytes", r, cr.n.Load())
				if cr.n.Load() > size/3 {
					t.Errorf("range %v read %d of %d bytes: more than a third of the file", r, cr.n.Load(), size)
				}
				if got := testmedia.FrameMD5s(t, res.Path, "-pix_fmt", "yuv422p"); strings.Join(got, " ") != strings.Join(all[r[0]:r[1]], " ") {
					t.Errorf("range %v: %d frames, not the source's", r, len(got))
				}
			}
		})
	}
}
