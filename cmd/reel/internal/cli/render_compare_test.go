package cli

import (
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
)

// TestRenderCompare: v002 and v003 of a shot differ in frames 1004-1006
// (a box drawn there); compare finds exactly those, the summary says so,
// and the heat map is lit where the box is and dark elsewhere.
func TestRenderCompare(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []struct{ name, vf string }{
		{"v002", "null"},
		{"v003", "drawbox=x=40:y=20:w=30:h=30:color=white:t=fill:enable='between(n,3,5)'"},
	} {
		out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=24", "-vf", v.vf,
			"-frames:v", "10", "-pix_fmt", "rgb24", "-start_number", "1001", filepath.Join(dir, "sh010_"+v.name+".%04d.png")).CombinedOutput()
		if err != nil {
			t.Fatalf("ffmpeg: %v: %s", err, out)
		}
		if code, _, errOut := runCLI(t, "render", "run", filepath.Join(dir, "sh010_"+v.name+".####.png"), "-o", filepath.Join(dir, v.name+".mov"), "-q"); code != 0 {
			t.Fatalf("render %s: %s", v.name, errOut)
		}
	}
	heat := filepath.Join(dir, "heat.png")
	code, out, errOut := runCLI(t, "render", "compare", filepath.Join(dir, "v002.mov"), filepath.Join(dir, "v003.mov"), "--first", "1001", "--heatmap", heat, "--json")
	var rep compareReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	var changed []int
	for _, c := range rep.Changed {
		changed = append(changed, c.Frame)
	}
	if !slices.Equal(changed, []int{1004, 1005, 1006}) || rep.Frames != 10 || !strings.HasPrefix(rep.Summary, "frames 1004-1006 changed (3 of 10") {
		t.Errorf("report %+v", rep)
	}
	f, err := os.Open(heat)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 160 || b.Dy() != 90 {
		t.Fatalf("heat map %v", b)
	}
	lit := func(x, y int) bool { r, _, _, _ := img.At(x, y).RGBA(); return r > 0x4000 }
	if !lit(55, 35) || lit(5, 80) || lit(150, 5) {
		t.Errorf("heat map not lit inside the box only: box %v, corners %v %v", lit(55, 35), lit(5, 80), lit(150, 5))
	}

	code, out, _ = runCLI(t, "render", "compare", filepath.Join(dir, "v002.mov"), filepath.Join(dir, "v002.mov"), "-q")
	if code != 0 || !strings.HasPrefix(out, "no frame changed (10 frames") {
		t.Errorf("identical: exit %d, %q", code, out)
	}
	if code, _, _ := runCLI(t, "render", "compare", filepath.Join(dir, "v002.mov")); code != 2 {
		t.Errorf("one argument: exit %d, want 2", code)
	}
}

// compareEXRSeq writes float EXR frames name.NNNN.exr for first..last: a
// ramp moving with the frame, plus a bright square on the frames in
// changed.
func compareEXRSeq(t *testing.T, dir, name string, first, last int, changed func(n int) bool) {
	t.Helper()
	const w, h = 96, 48
	for n := first; n <= last; n++ {
		err := testmedia.WriteEXR(filepath.Join(dir, fmt.Sprintf("%s.%04d.exr", name, n)), w, h, true, func(x, y int) [3]float32 {
			if changed(n) && x >= 30 && x < 54 && y >= 12 && y < 36 {
				return [3]float32{0.9, 0.9, 0.9}
			}
			v := 0.05 + 0.5*float32((x+n)%w)/w
			return [3]float32{v, v * 0.8, v * 0.6}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestRenderCompareSequences: two EXR sequences (a pattern and a
// directory) differing on frames 1047-1063, each with a frame the other
// lacks: compare reads them through render's display transform, finds
// exactly those frames, lists the unmatched ones, and a review movie of
// A compares as A itself (so the sequence side is in display space, as
// the movie is).
func TestRenderCompareSequences(t *testing.T) {
	dir := t.TempDir()
	da, db := filepath.Join(dir, "v002"), filepath.Join(dir, "v003")
	os.Mkdir(da, 0o755)
	os.Mkdir(db, 0o755)
	compareEXRSeq(t, da, "sh010_v002", 1040, 1070, func(int) bool { return false })
	compareEXRSeq(t, db, "sh010_v003", 1041, 1071, func(n int) bool { return n >= 1047 && n <= 1063 })
	heat := filepath.Join(dir, "heat.png")
	code, out, errOut := runCLI(t, "render", "compare", filepath.Join(da, "sh010_v002.####.exr"), db, "--json", "--heatmap", heat)
	var rep compareReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	var changed []int
	for _, c := range rep.Changed {
		changed = append(changed, c.Frame)
	}
	want := "frames 1047-1063 changed (17 of 30"
	if rep.Frames != 30 || len(changed) != 17 || changed[0] != 1047 || changed[16] != 1063 || !strings.HasPrefix(rep.Summary, want) ||
		!slices.Equal(rep.OnlyA, []int{1040}) || !slices.Equal(rep.OnlyB, []int{1071}) ||
		!strings.Contains(rep.Summary, "elsewhere identical; only in A: 1040; only in B: 1071") {
		t.Errorf("report %+v", rep)
	}
	t.Logf("%s", rep.Summary)
	f, err := os.Open(heat)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	lit := func(x, y int) bool { r, _, _, _ := img.At(x, y).RGBA(); return r > 0x4000 }
	if !lit(42, 24) || lit(2, 2) || lit(90, 44) {
		t.Errorf("heat map not lit inside the square only: %v %v %v", lit(42, 24), lit(2, 2), lit(90, 44))
	}

	// A's review movie against A: the same pictures (ProRes noise only)
	movie := filepath.Join(dir, "v002.mov")
	if code, _, errOut := runCLI(t, "render", "run", da, "-o", movie, "--codec", "prores4444", "-q"); code != 0 {
		t.Fatalf("render: %s", errOut)
	}
	code, out, errOut = runCLI(t, "render", "compare", movie, da, "--first", "1040", "--threshold", "40", "--json")
	rep = compareReport{}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	if rep.Frames != 31 || len(rep.Changed) != 0 {
		t.Errorf("movie of A against A: %+v", rep)
	}
	t.Logf("%s", rep.Summary)
}
