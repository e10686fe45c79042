package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/workflows"
)

// --package and --segment make the job's PackagePolicy; a segment without a
// format, an unknown format or a codec pack cannot describe are usage
// errors before anything runs.
func TestPackageJobFlags(t *testing.T) {
	parse := func(args ...string) (workflows.Job, *cobra.Command, error) {
		var f workflowEncodeFlags
		cmd := &cobra.Command{Use: "encode"}
		addWorkflowEncodeFlags(cmd, &f)
		if err := cmd.ParseFlags(args); err != nil {
			t.Fatal(err)
		}
		job, err := f.job(cmd, "/src.mp4", "/out")
		return job, cmd, err
	}
	job, _, err := parse("--rendition", "name=a,size=160x120", "--package", "hls,dash", "--segment", "6s")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(job.Package.Formats, []string{"hls", "dash"}) || job.Package.SegmentSeconds != 6 {
		t.Errorf("package policy %+v", job.Package)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--rendition", "name=a", "--segment", "6s"}, "--segment needs --package"},
		{[]string{"--rendition", "name=a", "--package", "smooth"}, `package format "smooth"`},
		{[]string{"--rendition", "name=a,codec=vp9", "--package", "dash"}, "rendition a: package needs x264 or x265"},
		{[]string{"--package", "hls"}, "no renditions"},
	} {
		if _, _, err := parse(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	var f workflowEncodeFlags
	cmd := &cobra.Command{Use: "encode"}
	addWorkflowEncodeFlags(cmd, &f)
	if err := cmd.ParseFlags([]string{"--package", "hls"}); err != nil {
		t.Fatal(err)
	}
	if !f.wantsWorkflow(cmd) {
		t.Error("--package alone does not select the workflow path (a one-file encode would drop it)")
	}
}

// reel encode --package on the embedded server: the result and the summary
// name the package and each rung's BANDWIDTH, and the files are there.
func TestEncodeWithPackage(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mp4")
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=3", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3",
		"-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", src)
	var stdout, stderr bytes.Buffer
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Worker.Concurrency = 2
	app := &App{Config: cfg, Stdout: &stdout, Stderr: &stderr}
	var f workflowEncodeFlags
	cmd := &cobra.Command{Use: "encode"}
	addWorkflowEncodeFlags(cmd, &f)
	if err := cmd.ParseFlags([]string{"--rendition", "name=a,size=160x120,crf=30,preset=veryfast", "--rendition", "name=b,size=80x60,crf=30,preset=veryfast",
		"--metrics", "none", "--package", "hls,dash", "--segment", "1s"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := runWorkflowEncode(context.Background(), app, cmd, &f, src, out, false, true); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var res workflows.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%v: %q", err, stdout.String())
	}
	p := res.Package
	if p == nil || p.HLS != "file://"+filepath.Join(out, "package", "master.m3u8") || len(p.Video) != 2 || len(p.Audio) != 1 || p.Video[1].Segments != 3 || p.Video[0].Bandwidth == 0 {
		t.Fatalf("package %+v", p)
	}
	for _, name := range []string{"master.m3u8", "manifest.mpd", "v1/seg-00003.m4s", "a0/init.mp4"} {
		if _, err := os.Stat(filepath.Join(out, "package", name)); err != nil {
			t.Error(err)
		}
	}

	stdout.Reset()
	if err := printResult(app, res, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"package file://" + filepath.Join(out, "package"), "  hls   file://", "  dash  file://",
		"a            v0  160x120, 3 segments, BANDWIDTH "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary has no %q:\n%s", want, stdout.String())
		}
	}
}
