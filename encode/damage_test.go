package encode

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// The problems of a damaged H.264 decode, and its frames, are the same
// with one thread and with frame threads, run after run: a threaded
// decode that meets damage starts again on one thread (restartSerial).
// Without that, which frames FFmpeg's frame threads flag as concealed
// depends on timing.
func TestDamagedDecodeDeterministic(t *testing.T) {
	ctx := context.Background()
	clean := readFile(t, srcClip(t))
	for _, c := range []struct {
		name       string
		at         []int // where (in 1/100 of the file) bytes are flipped
		start, end int64
	}{
		{"middle", []int{50}, 0, 0},
		{"two-places", []int{30, 70}, 0, 0},
		{"range", []int{50}, 25, 75},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := append([]byte(nil), clean...)
			for _, at := range c.at {
				for i := len(b) * at / 100; i < len(b)*at/100+3000; i += 7 {
					b[i] ^= 0x5a
				}
			}
			src := writeFile(t, t.TempDir(), "flipped.mp4", b)
			decode := func(threads int) (string, string) {
				r, err := OpenFrames(ctx, FileInput(src), DecodeOptions{Start: c.start, End: c.end, Threads: threads})
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				h := md5.New()
				n := 0
				for _, f := range drain(t, r) {
					n++
					for _, p := range f.Planes {
						for y := 0; y < p.Height; y++ {
							h.Write(p.Pix[y*p.Stride : y*p.Stride+p.Width])
						}
					}
				}
				return fmt.Sprint(r.Problems()), fmt.Sprintf("%d frames %s", n, hex.EncodeToString(h.Sum(nil)))
			}
			wantProblems, wantFrames := decode(1)
			if !strings.Contains(wantProblems, "concealed") && !strings.Contains(wantProblems, "missing") {
				t.Fatalf("problems %s: want damage found", wantProblems)
			}
			for run := 0; run < 6; run++ {
				for _, threads := range []int{2, 4} {
					problems, frames := decode(threads)
					if problems != wantProblems {
						t.Errorf("run %d, %d threads: problems %s; one thread: %s", run, threads, problems, wantProblems)
					}
					if frames != wantFrames {
						t.Errorf("run %d, %d threads: %s; one thread: %s", run, threads, frames, wantFrames)
					}
				}
			}
		})
	}
}
