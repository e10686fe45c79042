package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/workflows"
)

// The workflow path of `reel encode` with no --temporal: an embedded server
// and an in-process worker for the one job, a result on stdout, per-chunk
// VMAF lines on stderr.
func TestRunWorkflowEncodeEmbedded(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mp4")
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2", "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", src)

	var stdout, stderr bytes.Buffer
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Worker.Concurrency = 2
	app := &App{Config: cfg, Stdout: &stdout, Stderr: &stderr}
	var f workflowEncodeFlags
	cmd := &cobra.Command{Use: "encode"}
	addWorkflowEncodeFlags(cmd, &f)
	if err := cmd.ParseFlags([]string{"--rendition", "name=a,size=160x120,crf=30,preset=veryfast", "--rendition", "name=b,size=80x60,crf=30", "--chunk-seconds", "1"}); err != nil {
		t.Fatal(err)
	}
	if !f.wantsWorkflow(cmd) {
		t.Fatal("--rendition does not select the workflow path")
	}
	out := filepath.Join(dir, "out")
	if err := runWorkflowEncode(context.Background(), app, cmd, &f, src, out, false, true); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var res workflows.Result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%v: %q", err, stdout.String())
	}
	if res.Chunks != 2 || len(res.Renditions) != 2 || res.Renditions[1].Frames != 50 || res.Report != "file://"+filepath.Join(out, "report.json") {
		t.Errorf("result %+v", res)
	}

	// Human output: progress and one line per chunk with its VMAF.
	stdout.Reset()
	stderr.Reset()
	f.id = "second"
	if err := runWorkflowEncode(context.Background(), app, cmd, &f, src, filepath.Join(dir, "out2"), false, false); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(stderr.String(), "vmaf"); n != 4 {
		t.Errorf("%d chunk lines on stderr, want 4:\n%s", n, stderr.String())
	}
	if !strings.Contains(stdout.String(), "report file://") {
		t.Errorf("stdout: %s", stdout.String())
	}
}
