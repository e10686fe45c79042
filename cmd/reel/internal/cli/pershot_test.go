package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

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
