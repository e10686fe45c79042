package workflows

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reelmedia/reel/media"
)

// ocioFileConfig has one view through a file LUT (halving the light),
// found through search (a search_path line, or none).
func ocioFileConfig(search string) string {
	return `ocio_profile_version: 2
` + search + `
roles:
  default: linear
  scene_linear: linear
  reference: linear
displays:
  D:
    - !<View> {name: Half, colorspace: half}
    - !<View> {name: Same, colorspace: linear}
colorspaces:
  - !<ColorSpace>
    name: linear
  - !<ColorSpace>
    name: half
    from_scene_reference: !<FileTransform> {src: half.cube, interpolation: linear}
`
}

const ocioHalfLUT = "LUT_1D_SIZE 2\n0 0 0\n0.5 0.5 0.5\n"

func needOCIO(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ociobakelut"); err != nil {
		t.Skip("ociobakelut not installed (scripts/deps.sh installs opencolorio-tools)")
	}
}

// TestBakeOCIOSearchPath: the copy ociobakelut bakes lives elsewhere, yet
// finds the config's LUT files: through a relative search_path, and with
// no search_path (next to the config).
func TestBakeOCIOSearchPath(t *testing.T) {
	needOCIO(t)
	for _, c := range []struct{ name, search, lutDir string }{
		{"relative", "search_path: luts", "luts"},
		{"list", "search_path: [other, luts]", "luts"},
		{"none", "", "."},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, c.lutDir), 0o755)
			if err := os.WriteFile(filepath.Join(dir, c.lutDir, "half.cube"), []byte(ocioHalfLUT), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(dir, "config.ocio")
			os.WriteFile(cfg, []byte(ocioFileConfig(c.search)), 0o644)
			lut, err := BakeOCIO(context.Background(), OCIOView{Config: cfg, View: "D/Half"}, filepath.Join(dir, "out"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(lut, ".csp") || filepath.Dir(lut) != filepath.Join(dir, "out") {
				t.Errorf("LUT at %s", lut)
			}
		})
	}
}

// TestBakeOCIODeterministic: the same config and view bake to the same
// bytes at the same name (pieces and retries agree); another view to
// another name; nothing else is left in the directory.
func TestBakeOCIODeterministic(t *testing.T) {
	needOCIO(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "half.cube"), []byte(ocioHalfLUT), 0o644)
	cfg := filepath.Join(dir, "config.ocio")
	os.WriteFile(cfg, []byte(ocioFileConfig("")), 0o644)
	ctx := context.Background()
	a, err := BakeOCIO(ctx, OCIOView{Config: cfg, View: "D/Half"}, filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := BakeOCIO(ctx, OCIOView{Config: cfg, View: "D/Half", Input: "linear"}, filepath.Join(dir, "b"))
	if err != nil {
		t.Fatal(err)
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if filepath.Base(a) == filepath.Base(b) {
		t.Errorf("--ocio-input linear and the scene_linear role baked to the same name %s (the input is part of it)", filepath.Base(a))
	}
	if !bytes.Equal(ab, bb) || len(ab) < 1000 {
		t.Errorf("the same transform baked to different bytes (%d, %d)", len(ab), len(bb))
	}
	again, err := BakeOCIO(ctx, OCIOView{Config: cfg, View: "D/Half"}, filepath.Join(dir, "a"))
	if ag, _ := os.ReadFile(again); err != nil || again != a || !bytes.Equal(ag, ab) {
		t.Errorf("baking again: %s, %v", again, err)
	}
	same, err := BakeOCIO(ctx, OCIOView{Config: cfg, View: "D/Same"}, filepath.Join(dir, "a"))
	if err != nil || same == a {
		t.Errorf("another view: %s, %v", same, err)
	}
	ents, _ := os.ReadDir(filepath.Join(dir, "a"))
	if len(ents) != 2 {
		t.Errorf("%d files in the LUT directory, want the 2 LUTs", len(ents))
	}
	// a bad view is the caller's input: not retried by Temporal
	_, err = BakeOCIO(ctx, OCIOView{Config: cfg, View: "D/Film"}, filepath.Join(dir, "a"))
	if !errors.Is(err, ErrOCIO) || !media.IsBadInput(err) {
		t.Errorf("bad view: %v", err)
	}
}
