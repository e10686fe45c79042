package cli

import (
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
