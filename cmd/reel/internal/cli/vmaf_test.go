package cli

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/vmaf"
)

// vmafCorpus returns the shared reference corpus folder, failing the test
// when it is missing.
func vmafCorpus(t *testing.T) string {
	t.Helper()
	return testmedia.Shared(t, "vmaf-reference")
}

func ffmpegCLI(t *testing.T, args ...string) {
	t.Helper()
	if err := testmedia.CheckSeeds(args); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffmpeg", append([]string{"-nostdin", "-v", "error", "-y"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func readReport(t *testing.T, path string) *vmaf.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := vmaf.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestVMAFCommandMatchesLibvmaf scores a corpus case end to end (FFV1 .mkv
// through the encode core) and compares the pooled values with libvmaf's.
func TestVMAFCommandMatchesLibvmaf(t *testing.T) {
	dir := vmafCorpus(t)
	out := filepath.Join(t.TempDir(), "p01.json")
	code, stdout, stderr := runCLI(t, "vmaf", "-q",
		"--reference", filepath.Join(dir, "testsrc2_576x324.ref.mkv"),
		"--distorted", filepath.Join(dir, "p01_testsrc2_576x324_x264crf30.dist.mkv"),
		"--feature", "psnr", "--feature", "ssim", "--feature", "float_ms_ssim", "--output", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "VMAF       91.887") || !strings.Contains(stdout, "psnr_y") {
		t.Errorf("summary:\n%s", stdout)
	}
	got := readReport(t, out)
	b, err := os.ReadFile(filepath.Join(dir, "p01_testsrc2_576x324_x264crf30.vmaf.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := vmaf.ReadJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Frames) != 48 {
		t.Fatalf("%d frames in the report", len(got.Frames))
	}
	for _, k := range []string{"vmaf", "psnr_y", "psnr_cb", "psnr_cr", "float_ssim", "float_ms_ssim", "integer_adm2", "integer_vif_scale0"} {
		g, w := got.Pooled[k], want.Pooled[k]
		for _, m := range []string{"min", "max", "mean", "harmonic_mean"} {
			gv, _ := g.Get(m)
			wv, _ := w.Get(m)
			if math.Abs(gv-wv) > 1.1e-6 {
				t.Errorf("%s %s = %.6f, libvmaf %.6f", k, m, gv, wv)
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("output folder holds %d entries, want only the report", len(entries))
	}
}

// TestVMAFPrecisionMax scores a corpus case with --precision max: read
// back, every per-frame integer feature equals the 17-digit value of
// libvmaf's API client (*.precise.json) exactly, and VMAF is within 1e-9
// (its SVM's exp in float64; vmaf/reference_test.go has the same bound).
// Rounded to 6 decimals, as without the option, no value would be exact.
func TestVMAFPrecisionMax(t *testing.T) {
	dir := vmafCorpus(t)
	const name = "p01_testsrc2_576x324_x264crf30"
	out := filepath.Join(t.TempDir(), "p01.json")
	code, _, stderr := runCLI(t, "vmaf", "-q", "--precision", "max",
		"--reference", filepath.Join(dir, "testsrc2_576x324.ref.mkv"),
		"--distorted", filepath.Join(dir, name+".dist.mkv"), "--output", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := readReport(t, out)
	b, err := os.ReadFile(filepath.Join(dir, name+".precise.json"))
	if err != nil {
		t.Fatal(err)
	}
	var precise struct {
		Frames []map[string]float64 `json:"frames"`
	}
	if err := json.Unmarshal(b, &precise); err != nil {
		t.Fatal(err)
	}
	if len(got.Frames) != 48 || len(precise.Frames) != 48 {
		t.Fatalf("%d frames in the report, %d in precise.json", len(got.Frames), len(precise.Frames))
	}
	exact := map[string]string{ // precise.json's name: the report's
		"integer_vif_scale0": "integer_vif_scale0", "integer_vif_scale1": "integer_vif_scale1",
		"integer_vif_scale2": "integer_vif_scale2", "integer_vif_scale3": "integer_vif_scale3",
		"integer_adm2": "integer_adm2", "integer_adm_scale0": "integer_adm_scale0",
		"integer_adm_scale1": "integer_adm_scale1", "integer_adm_scale2": "integer_adm_scale2",
		"integer_adm_scale3": "integer_adm_scale3", "integer_motion2": "integer_motion2",
		"integer_motion_sad": vmaf.KeyMotion,
	}
	var worstVMAF float64
	for i, f := range got.Frames {
		p := precise.Frames[i]
		for pk, rk := range exact {
			w, ok := p[pk]
			g, ok2 := f.Metrics[rk]
			if !ok || !ok2 || g != w {
				t.Errorf("frame %d %s = %.17g, libvmaf %.17g (present %v, %v)", i, rk, g, w, ok2, ok)
			}
		}
		d := math.Abs(f.Metrics["vmaf"] - p["vmaf"])
		if d > 1e-9 || math.IsNaN(d) {
			t.Errorf("frame %d vmaf = %.17g, libvmaf %.17g", i, f.Metrics["vmaf"], p["vmaf"])
		}
		worstVMAF = max(worstVMAF, d)
	}
	t.Logf("largest per-frame VMAF difference from libvmaf: %.3g", worstVMAF)
}

// TestVMAFPrecisionFormats: --precision reaches the CSV and XML reports
// too, N gives N significant digits, and without it the report keeps
// libvmaf's 6 decimals.
func TestVMAFPrecisionFormats(t *testing.T) {
	dir := vmafCorpus(t)
	tmp := t.TempDir()
	ref, dist := filepath.Join(tmp, "ref.y4m"), filepath.Join(tmp, "dist.y4m")
	ffmpegCLI(t, "-i", filepath.Join(dir, "testsrc2_576x324.ref.mkv"), "-frames:v", "3", ref)
	ffmpegCLI(t, "-i", filepath.Join(dir, "p01_testsrc2_576x324_x264crf30.dist.mkv"), "-frames:v", "3", dist)
	report := func(file string, args ...string) string {
		t.Helper()
		out := filepath.Join(tmp, file)
		code, _, stderr := runCLI(t, append([]string{"vmaf", "-q", "-r", ref, "-d", dist, "-o", out}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	report("full.json", "--precision", "full")
	full := readReport(t, filepath.Join(tmp, "full.json"))
	v := full.Frames[0].Metrics["integer_adm2"]
	if v == 0 || strconv.FormatFloat(v, 'f', 6, 64) == strconv.FormatFloat(v, 'g', 17, 64) {
		t.Fatalf("integer_adm2 of frame 0 is %v: not a test of the digits", v)
	}
	for _, c := range []struct {
		file string
		args []string
		want string
	}{
		{"max.csv", []string{"--precision", "max"}, "," + strconv.FormatFloat(v, 'g', 17, 64) + ","},
		{"max.xml", []string{"--precision", "max"}, `integer_adm2="` + strconv.FormatFloat(v, 'g', 17, 64) + `"`},
		{"n9.json", []string{"--precision", "9"}, `"integer_adm2": ` + strconv.FormatFloat(v, 'g', 9, 64) + ","},
		{"legacy.json", []string{"--precision", "legacy"}, `"integer_adm2": ` + strconv.FormatFloat(v, 'f', 6, 64) + ","},
		{"default.json", nil, `"integer_adm2": ` + strconv.FormatFloat(v, 'f', 6, 64) + ","},
		{"default.csv", nil, "," + strconv.FormatFloat(v, 'f', 6, 64) + ","},
	} {
		if got := report(c.file, c.args...); !strings.Contains(got, c.want) {
			t.Errorf("%s %v lacks %q:\n%.600s", c.file, c.args, c.want, got)
		}
	}
}

// TestVMAFInputKinds scores the same 10 frames given as .y4m, raw .yuv and
// FFV1 .mkv: every kind must give the same per-frame numbers.
func TestVMAFInputKinds(t *testing.T) {
	dir := vmafCorpus(t)
	tmp := t.TempDir()
	ref, dist := filepath.Join(dir, "testsrc2_576x324.ref.mkv"), filepath.Join(dir, "p01_testsrc2_576x324_x264crf30.dist.mkv")
	for _, ext := range []string{".y4m", ".yuv", ".mkv"} {
		for name, src := range map[string]string{"ref": ref, "dist": dist} {
			args := []string{"-i", src, "-frames:v", "10"}
			if ext == ".mkv" {
				args = append(args, "-c:v", "ffv1")
			}
			if ext == ".yuv" {
				args = append(args, "-f", "rawvideo", "-pix_fmt", "yuv420p")
			}
			ffmpegCLI(t, append(args, filepath.Join(tmp, name+ext))...)
		}
	}
	var first *vmaf.Result
	for _, ext := range []string{".y4m", ".yuv", ".mkv"} {
		out := filepath.Join(tmp, "report"+ext+".json")
		args := []string{"vmaf", "-q", "-r", filepath.Join(tmp, "ref"+ext), "-d", filepath.Join(tmp, "dist"+ext), "--feature", "psnr", "-o", out}
		if ext == ".yuv" {
			args = append(args, "--width", "576", "--height", "324", "--pix-fmt", "yuv420p")
		}
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", ext, code, stderr)
		}
		r := readReport(t, out)
		if len(r.Frames) != 10 {
			t.Fatalf("%s: %d frames", ext, len(r.Frames))
		}
		if first == nil {
			first = r
			continue
		}
		for i, f := range r.Frames {
			for k, v := range first.Frames[i].Metrics {
				if f.Metrics[k] != v {
					t.Errorf("%s frame %d %s = %v, .y4m gave %v", ext, i, k, f.Metrics[k], v)
				}
			}
		}
	}
}

// TestVMAFScalesDistorted gives a distorted clip of another size and bit
// depth: it is scaled and converted to the reference's.
func TestVMAFScalesDistorted(t *testing.T) {
	dir := vmafCorpus(t)
	tmp := t.TempDir()
	small := filepath.Join(tmp, "small.mp4")
	ffmpegCLI(t, "-i", filepath.Join(dir, "testsrc2_576x324.ref.mkv"), "-frames:v", "6", "-vf", "scale=288:162",
		"-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p10le", small)
	ref := filepath.Join(tmp, "ref.y4m")
	ffmpegCLI(t, "-i", filepath.Join(dir, "testsrc2_576x324.ref.mkv"), "-frames:v", "6", ref)
	code, stdout, stderr := runCLI(t, "vmaf", "-q", "-r", ref, "-d", small, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum struct {
		Width, Height int
		PixFmt        string `json:"pix_fmt"`
		Note          string
		Frames        int
		Score         float64
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if sum.Width != 576 || sum.Height != 324 || sum.PixFmt != "yuv420p" || sum.Frames != 6 || !strings.Contains(sum.Note, "scaled from 288x162") {
		t.Fatalf("summary %+v", sum)
	}
	// A 2x bicubic upscale of testsrc2 loses detail: clearly below the
	// identical score, clearly above garbage.
	if sum.Score < 40 || sum.Score > 99 {
		t.Fatalf("score %v", sum.Score)
	}
}

func TestVMAFOutputFormats(t *testing.T) {
	dir := vmafCorpus(t)
	tmp := t.TempDir()
	ref := filepath.Join(tmp, "ref.y4m")
	ffmpegCLI(t, "-i", filepath.Join(dir, "testsrc2_576x324.ref.mkv"), "-frames:v", "3", ref)
	for _, c := range []struct {
		args         []string
		file, prefix string
	}{
		{[]string{"-o", filepath.Join(tmp, "r.csv")}, "r.csv", "Frame,"},
		{[]string{"-o", filepath.Join(tmp, "r.xml")}, "r.xml", "<VMAF version=\"3.2.0\">\n  <params qualityWidth=\"576\" qualityHeight=\"324\" />"},
		{[]string{"-o", filepath.Join(tmp, "r.txt"), "--format", "json"}, "r.txt", "{\n  \"version\": \"3.2.0\","},
	} {
		code, _, stderr := runCLI(t, append([]string{"vmaf", "-q", "-r", ref, "-d", ref}, c.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(tmp, c.file))
		if err != nil || !strings.HasPrefix(string(b), c.prefix) {
			t.Errorf("%s: %v\n%.200s", c.file, err, b)
		}
	}
	code, stdout, stderr := runCLI(t, "vmaf", "-q", "-r", ref, "-d", ref, "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r, err := vmaf.ReadJSON(strings.NewReader(stdout))
	if err != nil || len(r.Frames) != 3 || r.Pooled["vmaf"].Min < 90 {
		t.Fatalf("--output -: %v\n%.300s", err, stdout)
	}
}

func TestVMAFErrors(t *testing.T) {
	dir := vmafCorpus(t)
	tmp := t.TempDir()
	ref := filepath.Join(tmp, "ref.y4m")
	short := filepath.Join(tmp, "short.y4m")
	ffmpegCLI(t, "-i", filepath.Join(dir, "testsrc2_576x324.ref.mkv"), "-frames:v", "4", ref)
	ffmpegCLI(t, "-i", filepath.Join(dir, "testsrc2_576x324.ref.mkv"), "-frames:v", "3", short)
	raw := filepath.Join(tmp, "odd.yuv")
	if err := os.WriteFile(raw, make([]byte, 40*40*3/2+100), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(tmp, "garbage.y4m")
	if err := os.WriteFile(garbage, []byte("YUV4MPEG2 W-3 H2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no inputs", nil, 2, "--reference and --distorted"},
		{"bad feature", []string{"-r", ref, "-d", ref, "--feature", "vif"}, 2, "--feature"},
		{"bad pool", []string{"-r", ref, "-d", ref, "--pool", "median"}, 2, "--pool"},
		{"bad format", []string{"-r", ref, "-d", ref, "--format", "yaml"}, 2, "--format"},
		{"zero subsample", []string{"-r", ref, "-d", ref, "--subsample", "0"}, 2, "--subsample"},
		{"bad precision", []string{"-r", ref, "-d", ref, "--precision", "18"}, 2, "--precision"},
		{"unknown precision", []string{"-r", ref, "-d", ref, "--precision", "exact"}, 2, "--precision"},
		{"raw without size", []string{"-r", raw, "-d", raw}, 2, "--width and --height"},
		{"raw bad pix fmt", []string{"-r", raw, "-d", raw, "--width", "4", "--height", "4", "--pix-fmt", "nv12"}, 2, "--pix-fmt"},
		{"missing file", []string{"-r", filepath.Join(tmp, "nope.mp4"), "-d", ref}, 1, "nope.mp4"},
		{"bad y4m header", []string{"-r", garbage, "-d", ref}, 1, "garbage.y4m"},
		{"truncated raw", []string{"-r", raw, "-d", raw, "--width", "40", "--height", "40"}, 1, "odd.yuv: frame 1"},
		{"raw size mismatch", []string{"-r", ref, "-d", raw, "--width", "40", "--height", "40"}, 1, "cannot be scaled"},
		{"length mismatch", []string{"-r", ref, "-d", short}, 1, "frame count mismatch"},
		{"unwritable report", []string{"-r", short, "-d", short, "-o", filepath.Join(tmp, "no", "dir", "r.json")}, 1, "report"},
		{"unknown model", []string{"-r", short, "-d", short, "--model", "vmaf_v9"}, 1, "vmaf_v9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"vmaf", "-q"}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.msg) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, c.code, c.msg)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 1 {
				t.Errorf("error is not one line: %q", stderr)
			}
		})
	}
	// Allowed, the mismatch scores the shorter length.
	code, stdout, stderr := runCLI(t, "vmaf", "-q", "-r", ref, "-d", short, "--allow-length-mismatch", "--json")
	if code != 0 || !strings.Contains(stdout, `"frames": 3`) {
		t.Fatalf("exit %d: %s %s", code, stderr, stdout)
	}
	if _, err := os.Stat(filepath.Join(tmp, "no")); !os.IsNotExist(err) {
		t.Errorf("unwritable report left something behind: %v", err)
	}
}

// --no-prediction computes the features alone: the same PSNR as a full run,
// no VMAF in the summary or the report; it needs a feature and no model.
func TestVMAFNoPrediction(t *testing.T) {
	dir := vmafCorpus(t)
	tmp := t.TempDir()
	ref, dist := filepath.Join(tmp, "ref.y4m"), filepath.Join(tmp, "dist.mp4")
	ffmpegCLI(t, "-i", filepath.Join(dir, "testsrc2_576x324.ref.mkv"), "-frames:v", "4", ref)
	ffmpegCLI(t, "-i", ref, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", dist)
	type summary struct {
		Score   *float64
		Metrics []struct {
			Name   string
			Pooled vmaf.Pooled
		}
	}
	run := func(args ...string) summary {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"vmaf", "-q", "-r", ref, "-d", dist, "--feature", "psnr", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var s summary
		if err := json.Unmarshal([]byte(stdout), &s); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		return s
	}
	full, only := run(), run("--no-prediction", "-o", filepath.Join(tmp, "r.json"))
	if full.Score == nil || only.Score != nil {
		t.Errorf("score: full run %v, --no-prediction %v (want none)", full.Score, only.Score)
	}
	psnr := func(s summary) float64 {
		for _, m := range s.Metrics {
			if m.Name == "psnr_y" {
				return m.Pooled.Mean
			}
		}
		return -1
	}
	if len(only.Metrics) != 3 || psnr(only) != psnr(full) || psnr(full) < 20 {
		t.Errorf("--no-prediction metrics %+v; psnr_y %v, full run %v", only.Metrics, psnr(only), psnr(full))
	}
	b, err := os.ReadFile(filepath.Join(tmp, "r.json"))
	if err != nil || strings.Contains(string(b), `"vmaf"`) || !strings.Contains(string(b), `"psnr_y"`) {
		t.Errorf("report: %v\n%.300s", err, b)
	}
	for _, args := range [][]string{{"--no-prediction"}, {"--no-prediction", "--feature", "psnr", "--model", "vmaf_v0.6.1neg"}} {
		if code, _, stderr := runCLI(t, append([]string{"vmaf", "-q", "-r", ref, "-d", dist}, args...)...); code != 2 {
			t.Errorf("%v: exit %d (want 2): %s", args, code, stderr)
		}
	}
}
