package vmaf

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/media"
)

// The oracle numbers come from libvmaf 3.2.0 (see ../shared/vmaf-reference/README.md):
// *.precise.json holds every per-frame value at 17 significant digits.

// extraSharedDir finds the shared/ folder beside the module root, failing
// the test when it is missing.
func extraSharedDir(t testing.TB) string {
	t.Helper()
	return testmedia.Shared(t, "vmaf-reference")
}

// extraCase is one scored pair of the corpus.
type extraCase struct {
	Name, Ref, Dist, PixFmt string
	W, H, Frames            int
	Dir                     string
}

func extraCases(t testing.TB) []extraCase {
	dir := extraSharedDir(t)
	var out []extraCase
	for _, src := range []struct{ dir, file string }{
		{dir, "manifest.json"},
		{filepath.Join(dir, "upstream-vectors"), "cases.json"},
	} {
		b, err := os.ReadFile(filepath.Join(src.dir, src.file))
		if err != nil {
			t.Fatal(err)
		}
		var cases map[string]struct {
			Reference, Distorted string
			Width, Height        int
			Frames               int
			PixFmt               string `json:"pix_fmt"`
		}
		if src.file == "manifest.json" {
			var m struct {
				Cases json.RawMessage `json:"cases"`
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			b = m.Cases
		}
		if err := json.Unmarshal(b, &cases); err != nil {
			t.Fatal(err)
		}
		for name, c := range cases {
			dist := c.Distorted
			if dist == "" {
				dist = c.Reference // the *_identical cases
			}
			out = append(out, extraCase{Name: name, Ref: c.Reference, Dist: dist, PixFmt: c.PixFmt,
				W: c.Width, H: c.Height, Frames: c.Frames, Dir: src.dir})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// extraDecode decodes an .mkv with the ffmpeg CLI to raw frames laid out as
// FFmpeg writes them (chroma planes rounded up).
func extraDecode(t testing.TB, path, pixFmt string, w, h int) []*media.Frame {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg CLI not installed")
	}
	raw := filepath.Join(t.TempDir(), filepath.Base(path)+".yuv")
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", path, "-f", "rawvideo", "-pix_fmt", pixFmt, raw)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg decode %s: %v\n%s", path, err, out)
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	format := media.Format{Chroma: media.Chroma420, BitDepth: 8}
	if strings.Contains(pixFmt, "10le") {
		format.BitDepth = 10
	}
	bps := format.BytesPerSample()
	cw, ch := format.Chroma.ChromaSize(w, h)
	frameSize := (w*h + 2*cw*ch) * bps
	if len(b)%frameSize != 0 {
		t.Fatalf("%s: %d bytes is not a whole number of %d-byte frames", raw, len(b), frameSize)
	}
	var frames []*media.Frame
	for i := 0; i*frameSize < len(b); i++ {
		buf := b[i*frameSize : (i+1)*frameSize]
		f := &media.Frame{Index: int64(i), Format: format, Width: w, Height: h}
		off := 0
		for _, sz := range [][2]int{{w, h}, {cw, ch}, {cw, ch}} {
			n := sz[0] * sz[1] * bps
			f.Planes = append(f.Planes, media.Plane{Pix: buf[off : off+n], Stride: sz[0] * bps, Width: sz[0], Height: sz[1], BitDepth: format.BitDepth})
			off += n
		}
		frames = append(frames, f)
	}
	return frames
}

// extraPrecise reads <case>.precise.json: one map of metric values per frame.
func extraPrecise(t testing.TB, c extraCase) []map[string]float64 {
	b, err := os.ReadFile(filepath.Join(c.Dir, c.Name+".precise.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Frames []map[string]float64 `json:"frames"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p.Frames
}

// TestExtraMatchesLibvmaf scores every corpus case with PSNR, SSIM and
// MS-SSIM and compares each frame with libvmaf's 17-digit values.
func TestExtraMatchesLibvmaf(t *testing.T) {
	tol := map[string]float64{
		"psnr_y": 1e-4, "psnr_cb": 1e-4, "psnr_cr": 1e-4,
		"float_ssim": 1e-5, "float_ms_ssim": 1e-5,
	}
	for _, c := range extraCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			want := extraPrecise(t, c)
			refs := extraDecode(t, filepath.Join(c.Dir, c.Ref), c.PixFmt, c.W, c.H)
			dists := extraDecode(t, filepath.Join(c.Dir, c.Dist), c.PixFmt, c.W, c.H)
			if len(refs) != len(want) || len(dists) != len(want) {
				t.Fatalf("frames: ref %d, dist %d, oracle %d", len(refs), len(dists), len(want))
			}
			maxDiff := map[string]float64{}
			n := len(want)
			if testing.Short() {
				n = min(n, 4) // every size and depth, a few frames each
			}
			for i := range want[:n] {
				got := map[string]float64{}
				for _, feat := range ExtraFeatures {
					m, err := computeExtra(feat, refs[i], dists[i])
					if feat == FeatureMSSSIM && min(c.W, c.H) < MSSSIMMinSize {
						if err == nil {
							t.Fatalf("frame %d: ms_ssim on %dx%d: no error", i, c.W, c.H)
						}
						continue
					}
					if err != nil {
						t.Fatalf("frame %d: %v", i, err)
					}
					for k, v := range m {
						got[k] = v
					}
				}
				for key, tl := range tol {
					w, ok := want[i][key]
					if !ok {
						if _, have := got[key]; have && key != "float_ms_ssim" {
							t.Errorf("frame %d: oracle has no %s", i, key)
						}
						continue
					}
					g, ok := got[key]
					if !ok {
						t.Fatalf("frame %d: %s not computed", i, key)
					}
					d := math.Abs(g - w)
					maxDiff[key] = max(maxDiff[key], d)
					if d > tl {
						t.Errorf("frame %d %s = %.17g, libvmaf %.17g (diff %.3g > %g)", i, key, g, w, d, tl)
					}
				}
			}
			t.Logf("max |diff|: %s", fmtDiffs(maxDiff))
		})
	}
}

func fmtDiffs(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %.2g  ", k, m[k])
	}
	return b.String()
}
