package encode

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/media"
)

const testFont = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

// ffmpegSeq writes n frames of a lavfi source as name.%04d.ext from start.
func ffmpegSeq(t *testing.T, dir, name, ext, lavfi, pixFmt string, start, n int) []string {
	t.Helper()
	pattern := filepath.Join(dir, name+".%04d."+ext)
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", lavfi, "-frames:v", fmt.Sprint(n),
		"-pix_fmt", pixFmt, "-start_number", fmt.Sprint(start), pattern).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	var files []string
	for i := 0; i < n; i++ {
		files = append(files, fmt.Sprintf(pattern, start+i))
	}
	return files
}

// exrSeq writes n EXR frames: the left half scene-linear 18% grey, the
// right half a ramp that moves with the frame.
func exrSeq(t *testing.T, dir string, half bool, start, n, w, h int) []string {
	t.Helper()
	var files []string
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, fmt.Sprintf("sh010.%04d.exr", start+i))
		err := testmedia.WriteEXR(p, w, h, half, func(x, y int) [3]float32 {
			if x < w/2 {
				return [3]float32{0.18, 0.18, 0.18}
			}
			v := float32((x+7*i)%w) / float32(w)
			return [3]float32{v, v * v, 1 - v}
		})
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	return files
}

func plainFrames(files []string, start int) []RenderFrame {
	var fs []RenderFrame
	for i, f := range files {
		fs = append(fs, RenderFrame{Number: start + i, File: f})
	}
	return fs
}

// renderedFrames decodes every frame of a movie (cloned), in its own format.
func renderedFrames(t *testing.T, path string) []*media.Frame {
	t.Helper()
	r, err := OpenFrames(context.Background(), FileInput(path), DecodeOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []*media.Frame
	for {
		f, err := r.ReadFrame(context.Background())
		if err != nil {
			break
		}
		out = append(out, f.Clone())
	}
	return out
}

func probeStream(t *testing.T, path string) map[string]string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
		"stream=codec_name,profile,pix_fmt,color_transfer,color_primaries,color_space,color_range,bits_per_raw_sample,nb_frames,width,height",
		"-of", "default=nw=1", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		m[k] = v
	}
	return m
}

// meanY is the mean luma over a rectangle.
func meanY(f *media.Frame, x0, y0, x1, y1 int) float64 {
	var s float64
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			s += float64(f.Planes[0].Sample(x, y))
		}
	}
	return s / float64((x1-x0)*(y1-y0))
}

// meanAbsY is the mean absolute luma difference over a rectangle.
func meanAbsY(a, b *media.Frame, x0, y0, x1, y1 int) float64 {
	var s float64
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			s += math.Abs(float64(a.Planes[0].Sample(x, y) - b.Planes[0].Sample(x, y)))
		}
	}
	return s / float64((x1-x0)*(y1-y0))
}

type rect [4]int // x0, y0, x1, y1

func (a rect) union(b rect) rect {
	return rect{min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])}
}

// textThreshold separates white text from black on 10-bit luma.
const textThreshold = 512

// textBounds is the bounding box of the bright (text) pixels in area.
func textBounds(f *media.Frame, area [4]int) rect {
	b := rect{area[2], area[3], area[0], area[1]}
	for y := area[1]; y < area[3]; y++ {
		for x := area[0]; x < area[2]; x++ {
			if f.Planes[0].Sample(x, y) > textThreshold {
				b = b.union(rect{x, y, x + 1, y + 1})
			}
		}
	}
	return b
}

// maskDiff is the fraction of pixels in b that are text in one frame and
// not in the other.
func maskDiff(a, b *media.Frame, r rect) float64 {
	n, d := 0, 0
	for y := r[1]; y < r[3]; y++ {
		for x := r[0]; x < r[2]; x++ {
			n++
			if (a.Planes[0].Sample(x, y) > textThreshold) != (b.Planes[0].Sample(x, y) > textThreshold) {
				d++
			}
		}
	}
	if n == 0 {
		return 1
	}
	return float64(d) / float64(n)
}

// assertNoOutput checks that dir holds no movie and no temporary file.
func assertNoOutput(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".mov") || strings.HasSuffix(e.Name(), ".mp4") || strings.HasSuffix(e.Name(), ".part") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestRenderFormats renders each source format and checks the movie: frame
// count, codec, bit depth and colour tags, and for scene-linear EXR that the
// display transform was applied (18% grey lands where the display's
// transfer puts it, not at 18% of the code range as an untransformed,
// too-dark preview would).
func TestRenderFormats(t *testing.T) {
	ctx := context.Background()
	const w, h = 128, 64
	cases := []struct {
		name, codec, display, out string
		make                      func(dir string) ([]string, int)
		pixFmt, transfer          string
		grey                      [2]float64 // expected luma range of the grey half (10-bit or 8-bit codes)
	}{
		{name: "exr half srgb", codec: "prores", display: "srgb", out: "a.mov",
			make:   func(d string) ([]string, int) { return exrSeq(t, d, true, 1001, 5, w, h), 1001 },
			pixFmt: "yuv422p10le", transfer: "iec61966-2-1", grey: [2]float64{450, 485}}, // 64 + 876 * 0.4614
		{name: "exr float rec709", codec: "prores4444", display: "rec709", out: "a.mov",
			make:   func(d string) ([]string, int) { return exrSeq(t, d, false, 1, 5, w, h), 1 },
			pixFmt: "yuv444p10le", transfer: "bt709", grey: [2]float64{478, 508}}, // 64 + 876 * 0.18^(1/2.4)
		{name: "dpx 10-bit", codec: "prores", out: "a.mov",
			make: func(d string) ([]string, int) {
				return ffmpegSeq(t, d, "dpx", "dpx", fmt.Sprintf("testsrc2=s=%dx%d:r=24", w, h), "gbrp10le", 1001, 5), 1001
			},
			pixFmt: "yuv422p10le", transfer: "bt709"},
		{name: "tiff 16-bit h264", codec: "h264", out: "a.mp4",
			make: func(d string) ([]string, int) {
				return ffmpegSeq(t, d, "tif", "tif", fmt.Sprintf("testsrc2=s=%dx%d:r=24", w, h), "rgb48le", 1, 5), 1
			},
			pixFmt: "yuv420p", transfer: "bt709"},
		{name: "png dnxhr", codec: "dnxhr", out: "a.mov",
			make: func(d string) ([]string, int) {
				return ffmpegSeq(t, d, "png", "png", "testsrc2=s=1280x720:r=24", "rgb24", 1001, 3), 1001
			},
			pixFmt: "yuv422p", transfer: "bt709"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			files, start := c.make(dir)
			out := filepath.Join(dir, c.out)
			res, err := Render(ctx, LocalFiles{}, plainFrames(files, start), out, RenderOptions{Codec: c.codec, Display: c.display, Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Frames != len(files) || !res.QC.Clean() {
				t.Errorf("result %+v", res)
			}
			p := probeStream(t, out)
			if p["pix_fmt"] != c.pixFmt || p["color_transfer"] != c.transfer || p["color_primaries"] != "bt709" || p["color_space"] != "bt709" || p["color_range"] != "tv" {
				t.Errorf("probe %v", p)
			}
			frames := renderedFrames(t, out)
			if len(frames) != len(files) {
				t.Fatalf("%d frames decoded, want %d", len(frames), len(files))
			}
			if c.grey[1] > 0 {
				g := meanY(frames[0], 4, 4, w/2-4, h-4)
				if g < c.grey[0] || g > c.grey[1] {
					t.Errorf("18%% grey at luma %.1f, want %v", g, c.grey)
				}
			}
		})
	}
}

// TestRenderDPX10BitKeepsDepth: a 10-bit DPX gradient to ProRes 422 HQ
// stays 10-bit (the probe says so) and does not band: a row across the
// gradient holds far more than the 220 levels an 8-bit path could.
func TestRenderDPX10BitKeepsDepth(t *testing.T) {
	dir := t.TempDir()
	src := "color=black:s=1024x16:r=24,format=gbrp10le,geq=r='X*1023/(W-1)':g='X*1023/(W-1)':b='X*1023/(W-1)'"
	files := ffmpegSeq(t, dir, "grad", "dpx", src, "gbrp10le", 1001, 2)
	out := filepath.Join(dir, "grad.mov")
	if _, err := Render(context.Background(), LocalFiles{}, plainFrames(files, 1001), out, RenderOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	p := probeStream(t, out)
	if p["profile"] != "HQ" || p["pix_fmt"] != "yuv422p10le" {
		t.Errorf("probe %v, want ProRes HQ yuv422p10le", p)
	}
	f := renderedFrames(t, out)[0]
	levels := map[int]bool{}
	for x := 0; x < f.Width; x++ {
		levels[f.Planes[0].Sample(x, 8)] = true
	}
	if len(levels) < 700 {
		t.Errorf("%d distinct luma levels across a 1024-step gradient, want 700 or more (no banding)", len(levels))
	}
}

// TestRenderBurnins checks burned-in frame numbers and timecodes from the
// pixels on the first, a middle and the last frame: each burned region is
// compared with a render of the expected text alone (a black frame with
// that literal text at the same place), as masks of text pixels (ProRes
// blurs the glyphs' edges differently over a picture and over black); the
// wrong text (the frame before's) must compare far worse. The slate is
// frame 0.
func TestRenderBurnins(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const w, h = 1280, 720
	files := ffmpegSeq(t, dir, "bi", "png", fmt.Sprintf("testsrc2=s=%dx%d:r=24", w, h), "rgb24", 1001, 12)
	tc := func(n int) string { // 24 fps non-drop
		return fmt.Sprintf("%02d:%02d:%02d:%02d", n/86400, n/1440%60, n/24%60, n%24)
	}
	frames := plainFrames(files, 1001)
	for i := range frames {
		n := frames[i].Number
		frames[i].Burnins = []string{fmt.Sprint(n), tc(n)}
	}
	pos := []string{"top-left", "bottom-left"}
	out := filepath.Join(dir, "bi.mov")
	res, err := Render(ctx, LocalFiles{}, frames, out, RenderOptions{FontFile: testFont, Burnins: pos, Threads: 1,
		Slate: []string{"Shot: sh010", "Version: v003", "Frames: 1001-1012"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames != 13 || !res.Slate {
		t.Fatalf("result %+v", res)
	}
	got := renderedFrames(t, out)
	if len(got) != 13 {
		t.Fatalf("%d frames", len(got))
	}
	// the expected text alone, rendered on black with the same burn-in
	blackPNG := filepath.Join(dir, "black.png")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", fmt.Sprintf("color=black:s=%dx%d", w, h),
		"-frames:v", "1", "-pix_fmt", "rgb24", blackPNG).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	reference := func(texts []string) *media.Frame {
		p := filepath.Join(t.TempDir(), "ref.mov")
		_, err := Render(ctx, LocalFiles{}, []RenderFrame{{Number: 1, File: blackPNG, Burnins: texts}}, p,
			RenderOptions{FontFile: testFont, Burnins: pos, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		return renderedFrames(t, p)[0]
	}
	size, _, _ := burninMetrics(h)
	// the burn-ins' corners: the top-left and bottom-left quarter-width bands
	top := [4]int{0, 0, w / 4, 3 * size}
	bottom := [4]int{0, h - 3*size, w / 4, h}
	for _, i := range []int{0, 6, 11} {
		n := 1001 + i
		movie := got[i+1] // after the slate
		right := reference([]string{fmt.Sprint(n), tc(n)})
		wrong := reference([]string{fmt.Sprint(n - 1), tc(n - 1)})
		for _, r := range []struct {
			name string
			area [4]int
		}{{"frame number", top}, {"timecode", bottom}} {
			// compare the text's pixels (bright) inside the glyphs' bounding
			// box on the references, which the opaque box covers in the movie
			b := textBounds(right, r.area).union(textBounds(wrong, r.area))
			dr, dw := maskDiff(movie, right, b), maskDiff(movie, wrong, b)
			t.Logf("frame %d %s: %.3f of the text's pixels differ from the expected text, %.3f from the wrong one", n, r.name, dr, dw)
			if dr > 0.01 || dw < 3*dr+0.008 {
				t.Errorf("frame %d %s: %.3f of the pixels differ from the expected text, %.3f from the wrong one", n, r.name, dr, dw)
			}
		}
	}
	// frame 0 is the slate: black with text, unlike the first picture
	slate := got[0]
	if m := meanY(slate, 0, 0, w, h); m > 64+40 {
		t.Errorf("slate mean luma %.1f: not a black card", m)
	}
	if m := meanY(slate, w/10, h/6, w/2, h/6+h*45/1000); m < 64+10 {
		t.Errorf("slate has no text where its first line goes (mean luma %.1f)", m)
	}
}

// TestRenderPolicyFrames: a black frame (File "") is black, a held frame
// repeats its source, and neither is reported by QC.
func TestRenderPolicyFrames(t *testing.T) {
	dir := t.TempDir()
	files := ffmpegSeq(t, dir, "p", "png", "testsrc2=s=128x64:r=24", "rgb24", 1, 3)
	frames := []RenderFrame{{Number: 1, File: files[0]}, {Number: 2}, {Number: 3, File: files[0], Held: true}, {Number: 4, File: files[2]}}
	out := filepath.Join(dir, "p.mov")
	res, err := Render(context.Background(), LocalFiles{}, frames, out, RenderOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.QC.Clean() || res.Frames != 4 {
		t.Errorf("result %+v", res)
	}
	got := renderedFrames(t, out)
	if m := meanY(got[1], 0, 0, 128, 64); math.Abs(m-64) > 1 {
		t.Errorf("black frame luma %.1f, want 64", m)
	}
	if d := meanAbsY(got[0], got[2], 0, 0, 128, 64); d != 0 {
		t.Errorf("held frame differs from its source by %.2f", d)
	}
}

// TestRenderQC: a NaN frame, an infinite one, a black frame and a
// duplicated one are listed by number; the movie is still made.
func TestRenderQC(t *testing.T) {
	dir := t.TempDir()
	const w, h = 64, 32
	files := exrSeq(t, dir, true, 1001, 6, w, h)
	// 1002: NaN pixels, 1003: +Inf, 1004: black, 1006 = 1005
	write := func(n int, pix func(x, y int) [3]float32) {
		if err := testmedia.WriteEXR(files[n-1001], w, h, true, pix); err != nil {
			t.Fatal(err)
		}
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	write(1002, func(x, y int) [3]float32 {
		if x == 3 && y == 3 {
			return [3]float32{nan, 0, 0}
		}
		return [3]float32{0.5, 0.5, 0.5}
	})
	write(1003, func(x, y int) [3]float32 {
		if x == 9 {
			return [3]float32{inf, inf, inf}
		}
		return [3]float32{0.2, 0.3, 0.4}
	})
	write(1004, func(x, y int) [3]float32 { return [3]float32{} })
	b, _ := os.ReadFile(files[4])
	os.WriteFile(files[5], b, 0o644)
	res, err := Render(context.Background(), LocalFiles{}, plainFrames(files, 1001), filepath.Join(dir, "qc.mov"), RenderOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := RenderQC{NaN: []int{1002}, Inf: []int{1003}, Black: []int{1004}, Frozen: []int{1006}}
	if fmt.Sprintf("%+v", res.QC) != fmt.Sprintf("%+v", want) {
		t.Errorf("QC %+v, want %+v", res.QC, want)
	}
	// StrictQC: the same frames fail, listed, and no movie is left
	os.Remove(res.Path)
	_, err = Render(context.Background(), LocalFiles{}, plainFrames(files, 1001), filepath.Join(dir, "qc.mov"), RenderOptions{Threads: 1, StrictQC: true})
	if !errors.Is(err, ErrQCFailed) || !strings.Contains(fmt.Sprint(err), "NaN in 1002; Inf in 1003; black 1004; frozen 1006; no movie written") {
		t.Errorf("StrictQC: %v", err)
	}
	assertNoOutput(t, dir)
}

// TestRenderBadInput: each bad frame fails the render with an error naming
// its file, and no movie (nor a temporary file) is left.
func TestRenderBadInput(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		spoil  func(t *testing.T, files []string) string // returns the bad file
		kind   error
		substr string
	}{
		{name: "zero-byte frame", kind: ErrEmpty, spoil: func(t *testing.T, f []string) string { os.WriteFile(f[2], nil, 0o644); return f[2] }},
		{name: "truncated exr", kind: ErrTruncated, substr: "past the end", spoil: func(t *testing.T, f []string) string {
			b, _ := os.ReadFile(f[3])
			os.WriteFile(f[3], b[:len(b)/2], 0o644)
			return f[3]
		}},
		{name: "not an image", kind: ErrInvalidData, spoil: func(t *testing.T, f []string) string {
			os.WriteFile(f[1], []byte(strings.Repeat("not an exr ", 100)), 0o644)
			return f[1]
		}},
		{name: "missing file", kind: ErrNotFound, spoil: func(t *testing.T, f []string) string { os.Remove(f[4]); return f[4] }},
		{name: "unreadable frame", kind: nil, spoil: func(t *testing.T, f []string) string {
			if os.Geteuid() == 0 {
				// root reads anything: a directory in the frame's place
				os.Remove(f[2])
				os.Mkdir(f[2], 0o755)
				return f[2]
			}
			os.Chmod(f[2], 0)
			return f[2]
		}},
		{name: "odd size", kind: ErrInvalidData, substr: "first odd frame", spoil: func(t *testing.T, f []string) string {
			testmedia.WriteEXR(f[3], 32, 32, true, func(x, y int) [3]float32 { return [3]float32{1, 1, 1} })
			return f[3]
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			files := exrSeq(t, dir, true, 1001, 6, 64, 32)
			bad := c.spoil(t, files)
			_, err := Render(ctx, LocalFiles{}, plainFrames(files, 1001), filepath.Join(dir, "out.mov"), RenderOptions{Threads: 1})
			if err == nil {
				t.Fatal("no error")
			}
			if c.kind != nil && !errors.Is(err, c.kind) {
				t.Errorf("error %v is not %v", err, c.kind)
			}
			if !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), c.substr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q does not name %s", err, bad)
			}
			assertNoOutput(t, dir)
		})
	}
}

// TestRenderFramesIndependent: a frame decodes to the same pixels whatever
// was decoded before it. FFmpeg's PNG decoder keeps state from the picture
// before; a reused decoder changed the frames after a changed one
// (found by reel render compare: v002 and v003 differed after the edit).
func TestRenderFramesIndependent(t *testing.T) {
	dir := t.TempDir()
	a := ffmpegSeq(t, dir, "a", "png", "testsrc2=s=160x90:r=24", "rgb24", 1, 2)
	b := ffmpegSeq(t, dir, "b", "png", "testsrc2=s=160x90:r=24,drawbox=x=40:y=20:w=30:h=30:color=white:t=fill", "rgb24", 1, 2)
	seed := maphash.MakeSeed()
	hashAfter := func(names ...string) uint64 {
		r := &renderer{op: "test", files: LocalFiles{}, seed: seed}
		defer r.close()
		var last uint64
		for _, n := range names {
			f, err := r.decode(context.Background(), n)
			if err != nil {
				t.Fatal(err)
			}
			st, err := r.inspect(f)
			f.Free()
			if err != nil {
				t.Fatal(err)
			}
			last = st.hash
		}
		return last
	}
	alone := hashAfter(a[1])
	if h1, h2 := hashAfter(a[0], a[1]), hashAfter(b[0], a[1]); h1 != alone || h2 != alone {
		t.Errorf("frame a.0002.png decodes differently after other frames: %x alone, %x after a.0001, %x after b.0001", alone, h1, h2)
	}
}

// TestRenderLUT: a .cube 3D LUT is applied (an inverting one turns black
// white), and a LUT path the filter graph would parse is refused.
func TestRenderLUT(t *testing.T) {
	dir := t.TempDir()
	black := ffmpegSeq(t, dir, "k", "png", "color=black:s=64x32:r=24", "rgb24", 1, 1)
	cube := filepath.Join(dir, "invert.cube")
	var b strings.Builder
	b.WriteString("LUT_3D_SIZE 2\n")
	for i := 0; i < 8; i++ { // red varies fastest
		fmt.Fprintf(&b, "%d %d %d\n", 1-i&1, 1-i>>1&1, 1-i>>2&1)
	}
	if err := os.WriteFile(cube, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "lut.mov")
	if _, err := Render(context.Background(), LocalFiles{}, plainFrames(black, 1), out, RenderOptions{LUT: cube, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	if m := meanY(renderedFrames(t, out)[0], 0, 0, 64, 32); m < 930 {
		t.Errorf("black through an inverting LUT has luma %.1f, want white (940)", m)
	}
	_, err := Render(context.Background(), LocalFiles{}, plainFrames(black, 1), out, RenderOptions{LUT: filepath.Join(dir, "a,b.cube")})
	if !errors.Is(err, ErrInvalidData) {
		t.Errorf("a LUT path with a comma: %v", err)
	}
}
