package cli

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
)

// ocioTestConfig is a small OCIO v2 config: scene-linear light with two
// views on one display, "Gamma 2" (V = L^(1/2), unlike either built-in
// transform, so a render that skipped the view would show) and
// "Gamma 2 dim" (the same after halving the light, a second distinct
// view).
const ocioTestConfig = `ocio_profile_version: 2

roles:
  default: linear
  scene_linear: linear
  reference: linear

displays:
  Test Display:
    - !<View> {name: Gamma 2, colorspace: gamma2}
    - !<View> {name: Gamma 2 dim, colorspace: gamma2_dim}

active_displays: []
active_views: []

colorspaces:
  - !<ColorSpace>
    name: linear
    isdata: false
  - !<ColorSpace>
    name: gamma2
    isdata: false
    from_scene_reference: !<ExponentTransform> {value: [2, 2, 2, 1], direction: inverse}
  - !<ColorSpace>
    name: gamma2_dim
    isdata: false
    from_scene_reference: !<GroupTransform>
      children:
        - !<MatrixTransform> {matrix: [0.5, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 1]}
        - !<ExponentTransform> {value: [2, 2, 2, 1], direction: inverse}
`

// ocioGreys are the scene-linear greys of ocioSeq's bands, left to right:
// the last, over 1.0, shows the view gets the light unclipped.
var ocioGreys = []float32{0.01, 0.18, 0.5, 1.0, 1.5}

// ocioSeq writes n EXR (half) frames of grey bands, 24 pixels each.
func ocioSeq(t *testing.T, dir string, n int) string {
	t.Helper()
	for i := range n {
		err := testmedia.WriteEXR(filepath.Join(dir, fmt.Sprintf("grey.%04d.exr", 1001+i)), 24*len(ocioGreys), 16, true, func(x, y int) [3]float32 {
			g := ocioGreys[x/24]
			return [3]float32{g, g, g}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "grey.####.exr")
}

// bandLevels decodes the first frame of an ocioSeq ProRes movie and returns
// each band's luma at its centre as a level in [0, 1] (10-bit limited
// range: 64 is black, 940 white).
func bandLevels(t *testing.T, movie string) []float64 {
	t.Helper()
	w := 24 * len(ocioGreys)
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", movie, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv422p10le", "-").Output()
	if err != nil || len(out) < w*16*2 {
		t.Fatalf("decoding %s: %v (%d bytes)", movie, err, len(out))
	}
	var levels []float64
	for b := range ocioGreys {
		x, y := b*24+12, 8
		code := binary.LittleEndian.Uint16(out[2*(y*w+x):])
		levels = append(levels, (float64(code)-64)/876)
	}
	return levels
}

func writeOCIOConfig(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "config.ocio")
	if err := os.WriteFile(p, []byte(ocioTestConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func needOCIO(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ociobakelut"); err != nil {
		t.Skip("ociobakelut not installed (scripts/deps.sh installs opencolorio-tools)")
	}
}

// TestRenderRunOCIO: --ocio applies the view, baked by the real
// ociobakelut, to the scene-linear frames instead of the display
// transform: each grey band lands where the view puts it (L^(1/2); 0.18
// at 0.424, where the built-in rec709 transform would give 0.489), 1.5
// through the dim view at 0.866 (unclipped light: clipped at 1.0 first it
// would be 0.707), and the movie is tagged as --display says.
func TestRenderRunOCIO(t *testing.T) {
	needOCIO(t)
	dir := t.TempDir()
	pattern := ocioSeq(t, dir, 2)
	cfg := writeOCIOConfig(t, dir)
	for _, c := range []struct {
		view, display, transfer string
		gain                    float64
	}{
		{"Test Display/Gamma 2", "rec709", "bt709", 1},
		{"Test Display/Gamma 2 dim", "srgb", "iec61966-2-1", 0.5},
	} {
		t.Run(c.view, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(c.view, "/", "_")+".mov")
			code, stdout, stderr := runCLI(t, "render", "run", pattern, "-o", out, "--json", "--ocio", cfg, "--ocio-view", c.view, "--display", c.display)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var rep struct {
				Result struct {
					Transfer string `json:"transfer"`
				} `json:"result"`
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.Result.Transfer != c.transfer {
				t.Errorf("transfer %q, want %q (%v)", rep.Result.Transfer, c.transfer, err)
			}
			got := bandLevels(t, out)
			for i, g := range ocioGreys {
				want := math.Sqrt(c.gain * float64(g))
				if want > 1 {
					continue // over white: clipped in the movie
				}
				if math.Abs(got[i]-want) > 0.01 {
					t.Errorf("grey %.2f: level %.4f, want %.4f (the view's L^(1/2))", g, got[i], want)
				}
			}
			t.Logf("levels %.4f", got)
		})
	}
}

// TestRenderRunOCIOErrors: what --ocio cannot do fails at once in one
// line naming the problem, and leaves no movie: ociobakelut missing (a
// PATH without it), a config that is not one, a display or view or
// colour space the config does not have, --ocio with --lut, --ocio-view
// alone.
func TestRenderRunOCIOErrors(t *testing.T) {
	needOCIO(t)
	dir := t.TempDir()
	pattern := ocioSeq(t, dir, 1)
	cfg := writeOCIOConfig(t, dir)
	bad := filepath.Join(dir, "bad.ocio")
	os.WriteFile(bad, []byte("ocio_profile_version: 2\ncolorspaces: [\n"), 0o644)
	v1 := filepath.Join(dir, "v1.ocio")
	os.WriteFile(v1, []byte(strings.Replace(ocioTestConfig, "ocio_profile_version: 2", "ocio_profile_version: 1", 1)), 0o644)
	// passes reel's checks, fails in ociobakelut: the view's colour space is not there
	broken := filepath.Join(dir, "broken.ocio")
	os.WriteFile(broken, []byte(strings.Replace(ocioTestConfig, "colorspace: gamma2}", "colorspace: gamma3}", 1)), 0o644)
	lut := filepath.Join(dir, "id.cube")
	os.WriteFile(lut, []byte("LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n"), 0o644)
	view := []string{"--ocio", cfg, "--ocio-view", "Test Display/Gamma 2"}
	for _, c := range []struct {
		name string
		args []string
		path string // PATH while it runs ("" = as it is)
		want []string
	}{
		{"no tool", view, dir, []string{"ociobakelut", "opencolorio-tools"}},
		{"not yaml", []string{"--ocio", bad, "--ocio-view", "Test Display/Gamma 2"}, "", []string{bad, "not YAML"}},
		{"v1", []string{"--ocio", v1, "--ocio-view", "Test Display/Gamma 2"}, "", []string{v1, "ocio_profile_version 2"}},
		{"no file", []string{"--ocio", filepath.Join(dir, "none.ocio"), "--ocio-view", "Test Display/Gamma 2"}, "", []string{"none.ocio"}},
		{"ociobakelut", []string{"--ocio", broken, "--ocio-view", "Test Display/Gamma 2"}, "", []string{broken, "ociobakelut", "gamma3"}},
		{"display", []string{"--ocio", cfg, "--ocio-view", "sRGB/Gamma 2"}, "", []string{`no display "sRGB"`, "Test Display"}},
		{"view", []string{"--ocio", cfg, "--ocio-view", "Test Display/Film"}, "", []string{`no view "Film"`, "Gamma 2, Gamma 2 dim"}},
		{"view form", []string{"--ocio", cfg, "--ocio-view", "Gamma 2"}, "", []string{"DISPLAY/VIEW"}},
		{"input", append([]string{"--ocio-input", "ACEScg"}, view...), "", []string{`"ACEScg"`, "--ocio-input"}},
		{"lut", append([]string{"--lut", lut}, view...), "", []string{"--ocio and --lut"}},
		{"view alone", []string{"--ocio-view", "Test Display/Gamma 2"}, "", []string{"need --ocio"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.path != "" {
				t.Setenv("PATH", c.path)
			}
			out := filepath.Join(dir, "out.mov")
			code, _, stderr := runCLI(t, append([]string{"render", "run", pattern, "-o", out}, c.args...)...)
			msg := strings.TrimSpace(stderr)
			t.Log(msg)
			if code == 0 || strings.Contains(msg, "\n") {
				t.Fatalf("exit %d, want one line: %q", code, msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("%q does not name %q", msg, w)
				}
			}
			noMovies(t, dir)
		})
	}
}

// TestRenderSubmitOCIO: render submit bakes the view once, in the
// planning activity, and every piece applies that LUT: the movie is
// render run's frame for frame, and the LUT goes with the pieces.
func TestRenderSubmitOCIO(t *testing.T) {
	needOCIO(t)
	srv, _, dir := testCluster(t)
	seqDir := filepath.Join(dir, "seq")
	os.Mkdir(seqDir, 0o755)
	pattern := ocioSeq(t, seqDir, 6)
	cfg := writeOCIOConfig(t, dir)
	common := []string{"--ocio", cfg, "--ocio-view", "Test Display/Gamma 2 dim", "--threads", "1"}
	runOut, subOut := filepath.Join(dir, "run.mov"), filepath.Join(dir, "submit.mov")
	renderRunJSON(t, append([]string{pattern, "-o", runOut}, common...)...)
	code, stdout, stderr := runCLI(t, append([]string{"render", "submit", pattern, "-o", subOut, "--chunk-frames", "2", "--wait", "--json",
		"--temporal", srv.Address, "--id", "render-ocio"}, common...)...)
	if code != 0 {
		t.Fatalf("render submit: exit %d: %s", code, stderr)
	}
	var got renderJobJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.Chunks != 3 {
		t.Fatalf("render submit --json: %v: %s", err, stdout)
	}
	if runSums, subSums := testmedia.FrameMD5s(t, runOut), testmedia.FrameMD5s(t, subOut); len(runSums) != 6 || !slices.Equal(runSums, subSums) {
		t.Errorf("frames differ: run %v, submit %v", runSums, subSums)
	}
	if got := bandLevels(t, subOut); math.Abs(got[1]-math.Sqrt(0.09)) > 0.01 {
		t.Errorf("18%% grey at %.4f, want %.4f", got[1], math.Sqrt(0.09))
	}
	if _, err := os.Stat(subOut + ".work"); !os.IsNotExist(err) {
		t.Errorf("the pieces or the LUT were left behind: %v", err)
	}
}
