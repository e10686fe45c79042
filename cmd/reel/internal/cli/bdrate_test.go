package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reelmedia/reel/bdrate"
	"github.com/reelmedia/reel/workflows"
)

// The x265 example of bdrate/testdata/reference.txt: BD-rate −4.417485351 %,
// BD-PSNR 0.119692785 dB with PCHIP.
const (
	anchorCSV = "bitrate_kbps,psnr\n9487.76,40.037\n4593.60,38.615\n2486.44,36.845\n1358.24,34.851\n"
	testCSV   = "# no header: bitrate_kbps,psnr\n9787.80,40.121\n4469.00,38.651\n2451.52,36.970\n1356.24,34.987\n"
)

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBDRateCommandCSV(t *testing.T) {
	a, b := writeTemp(t, "a.csv", anchorCSV), writeTemp(t, "b.csv", testCSV)
	code, out, errOut := runCLI(t, "bdrate", "--metric", "psnr", "--json", a, b)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res bdrateResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.BDRatePercent+4.417485351) > 1e-6 || math.Abs(res.BDQuality-0.119692785) > 1e-6 || res.Interpolation != "pchip" {
		t.Errorf("result %+v, want BD-rate -4.417485 %%, BD-PSNR 0.119693", res)
	}
	code, out, _ = runCLI(t, "bdrate", "--metric", "psnr", a, b)
	if code != 0 || !strings.Contains(out, "BD-rate  -4.42 %") || !strings.Contains(out, "BD-PSNR  +0.120 dB") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
}

func TestBDRateCommandReports(t *testing.T) {
	report := func(rates, vmafs []float64) string {
		var rep workflows.Report
		for i := range rates {
			rep.Renditions = append(rep.Renditions, workflows.RenditionReport{Name: "r", Bitrate: rates[i] * 1000, VMAF: &workflows.PooledScore{Mean: vmafs[i]}})
		}
		raw, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		return writeTemp(t, "report.json", string(raw))
	}
	ra, qa := []float64{500, 1000, 2000, 4000}, []float64{60, 75, 85, 92}
	rb := []float64{400, 800, 1600, 3200} // the same curve at 80 % of the bits
	code, out, errOut := runCLI(t, "bdrate", "--json", report(ra, qa), report(rb, qa))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res bdrateResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.BDRatePercent+20) > 1e-9 || len(res.TestPoints) != 4 || res.TestPoints[0] != (bdrate.Point{Rate: 400, Quality: 60}) {
		t.Errorf("result %+v, want -20 %%", res)
	}
}

func TestBDRateCommandErrors(t *testing.T) {
	a := writeTemp(t, "a.csv", anchorCSV)
	for _, c := range []struct {
		name, body, want string
		code             int
	}{
		{"three.csv", "bitrate_kbps,psnr\n1000,30\n2000,33\n3000,35\n", "at least 4 are needed", 1},
		{"bump.csv", "bitrate_kbps,psnr\n1000,36\n2000,38\n3000,37\n4000,39\n", "not monotone", 1},
		{"far.csv", "bitrate_kbps,psnr\n1000,50\n2000,52\n3000,53\n4000,55\n", "do not overlap", 1},
		{"words.csv", "bitrate_kbps,psnr\nfast,good\n", "not two numbers", 1},
		{"nohdr.csv", "kbps,quality\n1,2\n", "lacks bitrate_kbps or psnr", 1},
	} {
		code, _, errOut := runCLI(t, "bdrate", "--metric", "psnr", a, writeTemp(t, c.name, c.body))
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", c.name, code, errOut, c.code, c.want)
		}
	}
	if code, _, errOut := runCLI(t, "bdrate", "--metric", "ssim", a, a); code != 2 || !strings.Contains(errOut, "want vmaf or psnr") {
		t.Errorf("--metric ssim: exit %d, %q", code, errOut)
	}
	if code, _, _ := runCLI(t, "bdrate", a); code != 2 {
		t.Errorf("one curve: exit %d, want 2", code)
	}
}

// Two real jobs on an embedded cluster, compared by job ID: the same
// numbers as their report.json files read directly.
func TestBDRateCommandJobIDs(t *testing.T) {
	srv, _, dir := testCluster(t)
	src := filepath.Join(dir, "src.mp4")
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2", "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", src)
	common := []string{"--temporal", srv.Address, "--data-dir", dir}
	reports := map[string]string{}
	for _, job := range []struct{ id, preset string }{{"bd-fast", "ultrafast"}, {"bd-slow", "slow"}} {
		args := []string{"submit", src, "-o", filepath.Join(dir, job.id), "--id", job.id, "--chunk-seconds", "2", "--wait", "--json"}
		for _, crf := range []int{24, 30, 36, 42} {
			args = append(args, "--rendition", fmt.Sprintf("name=crf%d,size=160x120,crf=%d,preset=%s", crf, crf, job.preset))
		}
		code, stdout, stderr := runCLI(t, append(args, common...)...)
		if code != 0 {
			t.Fatalf("submit %s: exit %d: %s", job.id, code, stderr)
		}
		var res workflows.Result
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		reports[job.id] = res.Report
	}
	code, byID, stderr := runCLI(t, append([]string{"bdrate", "--json", "bd-fast", "bd-slow"}, common...)...)
	if code != 0 {
		t.Fatalf("bdrate by job ID: exit %d: %s", code, stderr)
	}
	code, byFile, stderr := runCLI(t, "bdrate", "--json", reports["bd-fast"], reports["bd-slow"])
	if code != 0 {
		t.Fatalf("bdrate by report: exit %d: %s", code, stderr)
	}
	var a, b bdrateResult
	if err := json.Unmarshal([]byte(byID), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(byFile), &b); err != nil {
		t.Fatal(err)
	}
	if a.BDRatePercent != b.BDRatePercent || len(a.AnchorPoints) != 4 || a.Anchor != "bd-fast" {
		t.Errorf("by job ID %+v\nby report %+v", a, b)
	}
}
