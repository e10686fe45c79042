package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
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

// A failed job is one line on stderr with its ID and the core's message;
// Temporal's chain goes to --log-level debug and to --json.
func TestFailedJobIsOneLine(t *testing.T) {
	dir := t.TempDir()
	notMedia := filepath.Join(dir, "notes.mp4")
	if err := os.WriteFile(notMedia, []byte("not a video\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"encode", notMedia, "-o", filepath.Join(dir, "out"), "--rendition", "name=a", "--data-dir", filepath.Join(dir, "data")}

	code, stdout, stderr := runCLI(t, append(args, "--id", "enc-bad", "-q")...)
	// The job names its source by URL (the storage layer reads local files
	// as file:// objects).
	want := fmt.Sprintf("reel: job enc-bad failed: probe %q: ", "file://"+notMedia)
	if code != 1 || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want one line starting %q", code, stdout, stderr, want)
	}
	for _, chain := range []string{"workflow execution error", "activity error", "BadInput"} {
		if strings.Contains(stderr, chain) {
			t.Errorf("stderr shows Temporal's chain (%q): %q", chain, stderr)
		}
	}
	msg := strings.TrimSuffix(strings.TrimPrefix(stderr, "reel: job enc-bad failed: "), "\n")
	if strings.Contains(msg, "type: BadInput") || strings.Count(msg, "not a media file") != 1 {
		t.Errorf("the message repeats itself or its type: %q", msg)
	}

	code, stdout, stderr = runCLI(t, append(args, "--id", "enc-bad-2", "--json", "--log-level", "debug")...)
	var f jobFailure
	if err := json.Unmarshal([]byte(stdout), &f); err != nil {
		t.Fatalf("--json: %v: %q", err, stdout)
	}
	if code != 1 || f.Job != "enc-bad-2" || f.Status != "failed" || f.Error != msg || !strings.Contains(f.Chain, "activity error") {
		t.Errorf("exit %d, --json %+v; want the job, the message %q and the chain", code, f, msg)
	}
	if !strings.Contains(stderr, "reel: job enc-bad-2 failed: "+msg+"\n") || !strings.Contains(stderr, "reel: the whole error: workflow execution error") {
		t.Errorf("--log-level debug: stderr %q lacks the line and the chain", stderr)
	}
}
