package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/bdrate"
	"github.com/reelmedia/reel/workflows"
)

// The per-shot flags of reel encode become the job's rungs, targets and
// grid; bad values are usage errors that say what to write.
func TestPerShotFlags(t *testing.T) {
	parse := func(args ...string) (workflows.Job, bool, error) {
		var f workflowEncodeFlags
		cmd := &cobra.Command{Use: "encode"}
		addWorkflowEncodeFlags(cmd, &f)
		cmd.Flags().String("codec", "x264", "")
		cmd.Flags().String("preset", "", "")
		if err := cmd.ParseFlags(args); err != nil {
			return workflows.Job{}, false, err
		}
		job, err := f.job(cmd, "/in.mov", "/out")
		return job, f.wantsWorkflow(cmd), err
	}
	job, wf, err := parse("--rung", "1080:5000k", "--rung", "sd=360:vmaf=70", "--rung", "720:2.5M",
		"--grid-heights", "1080,720,360", "--grid-crf", "18-42/6", "--pool", "p5", "--max-spread", "20", "--preset", "slow")
	if err != nil || !wf {
		t.Fatalf("workflow path %v: %v", wf, err)
	}
	wantTargets := []workflows.RungTarget{{Rendition: "1080p", Bitrate: 5_000_000}, {Rendition: "sd", VMAF: 70}, {Rendition: "720p", Bitrate: 2_500_000}}
	p := job.PerShot
	if job.Optimize != workflows.OptimizePerShot || !slices.Equal(p.Targets, wantTargets) || !slices.Equal(p.Heights, []int{1080, 720, 360}) ||
		!slices.Equal(p.Values, []int{18, 24, 30, 36, 42}) || p.Pool != "p5" || p.MaxSpread != 20 {
		t.Errorf("job %+v", job)
	}
	if r := job.Renditions[1]; r.Name != "sd" || r.Height != 360 || r.Codec != "x264" || r.Preset != "slow" {
		t.Errorf("rung %+v", r)
	}

	job, _, err = parse("--rung", "540:1500000", "--rc", "qp", "--grid-crf", "20,26,32")
	if err != nil || job.PerShot.RC != workflows.RCQP || job.PerShot.Targets[0].Bitrate != 1_500_000 || !slices.Equal(job.PerShot.Values, []int{20, 26, 32}) {
		t.Errorf("qp job %+v: %v", job.PerShot, err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rung", "720"}, "want [NAME=]HEIGHT:TARGET"},
		{[]string{"--rung", "720:fast"}, `target "fast"`},
		{[]string{"--rung", "720:vmaf=120"}, "at most 100"},
		{[]string{"--rung", "720:3000k", "--grid-crf", "42-18/3"}, "FROM ≤ TO"},
		{[]string{"--rung", "720:3000k", "--grid-heights", "720,abc"}, `"abc" is not a whole number`},
		{[]string{"--rung", "720:3000k", "--optimize", "per-title"}, `--optimize "per-title"`},
		{[]string{"--rendition", "name=a,size=0x720", "--grid-crf", "20,30"}, "need --optimize per-shot"},
		{[]string{"--rung", "720:3000k", "--grid-heights", "1080"}, "height 720 is not in the grid"},
		{[]string{"--rung", "720:3000k", "--rc", "abr"}, `per-shot rc "abr"`},
	} {
		if _, _, err := parse(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, err, c.want)
		}
	}
}

// reel bdrate reads a per-shot report's fixed ladder and per-shot curve at
// a grid height, by a #fixed:HEIGHT or #per-shot:HEIGHT suffix.
func TestBDRatePerShotCurves(t *testing.T) {
	fixed := []workflows.CurvePoint{{Bitrate: 100e3, VMAF: 50}, {Bitrate: 200e3, VMAF: 70}, {Bitrate: 400e3, VMAF: 85}, {Bitrate: 800e3, VMAF: 93}}
	perShot := []workflows.CurvePoint{{Bitrate: 100e3, VMAF: 50}, {Bitrate: 150e3, VMAF: 68}, {Bitrate: 300e3, VMAF: 86}, {Bitrate: 800e3, VMAF: 93}}
	rep := workflows.Report{Job: "j", PerShot: &workflows.PerShotReport{Sizes: []workflows.SizeReport{{Height: 180, Fixed: fixed, PerShot: perShot}}}}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, "report.json", string(b))
	code, out, errOut := runCLI(t, "bdrate", "--json", path+"#fixed:180", path+"#per-shot:180p")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res bdrateResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	conv := func(pts []workflows.CurvePoint) []bdrate.Point {
		var out []bdrate.Point
		for _, p := range pts {
			out = append(out, bdrate.Point{Rate: p.Bitrate / 1000, Quality: p.VMAF})
		}
		return out
	}
	want, err := bdrate.Rate(conv(fixed), conv(perShot), bdrate.PCHIP)
	if err != nil || res.BDRatePercent != want || !(want < 0) || res.AnchorPoints[1].Rate != 200 {
		t.Errorf("BD-rate %v (%+v), want %v (%v)", res.BDRatePercent, res, want, err)
	}
	for _, c := range []struct{ sel, want string }{
		{"#fixed:720", "no grid height 720 (it has 180)"},
		{"#hull:180", `curve "hull"`},
		{"#fixed", "want #fixed:HEIGHT"},
	} {
		if code, _, errOut := runCLI(t, "bdrate", path+c.sel, path+"#per-shot:180"); code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, %q, want %q", c.sel, code, errOut, c.want)
		}
	}
}
