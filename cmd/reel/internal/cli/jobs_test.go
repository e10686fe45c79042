package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/workflows"
)

var renditionCases = []struct {
	spec string
	want workflows.Rendition
	ok   bool
}{
	{"name=720p,size=1280x720,crf=21,preset=fast", workflows.Rendition{Name: "720p", Width: 1280, Height: 720, Codec: "x264", CRF: 21, Preset: "fast"}, true},
	{"name=sd,size=640x0", workflows.Rendition{Name: "sd", Width: 640, Codec: "x264", CRF: 23}, true},
	{"name=av1,codec=svtav1,bitrate=2000000,pix_fmt=yuv420p10le,gop=48,threads=2", workflows.Rendition{Name: "av1", Codec: "svtav1", Bitrate: 2000000, PixFmt: "yuv420p10le", GOP: 48, Threads: 2}, true},
	{"name=360p,size=640x360,crf=28,min_vmaf=55", workflows.Rendition{Name: "360p", Width: 640, Height: 360, Codec: "x264", CRF: 28, MinVMAF: 55}, true},
	{"name=x,min_vmaf=120", workflows.Rendition{}, false},
	{"name=ntsc,fps=30000/1001", workflows.Rendition{Name: "ntsc", Codec: "x264", CRF: 23, FPS: "30000/1001"}, true},
	{"name=pal,fps=25", workflows.Rendition{Name: "pal", Codec: "x264", CRF: 23, FPS: "25"}, true},
	{"name=x,fps=0", workflows.Rendition{}, false},
	{"name=x,fps=25/0", workflows.Rendition{}, false},
	{"name=x,fps=-25", workflows.Rendition{}, false},
	{"name=x,fps=29.97", workflows.Rendition{}, false},
	{"name=x,fps=5000", workflows.Rendition{}, false},
	{"size=1280x720", workflows.Rendition{}, false},
	{"name=x,crf=high", workflows.Rendition{}, false},
	{"name=x,colour=red", workflows.Rendition{}, false},
	{"name=x,size=big", workflows.Rendition{}, false},
	{"name", workflows.Rendition{}, false},
}

func TestParseRendition(t *testing.T) {
	for _, tc := range renditionCases {
		got, err := parseRendition(tc.spec)
		if (err == nil) != tc.ok {
			t.Errorf("%q: error %v", tc.spec, err)
			continue
		}
		if tc.ok && got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.spec, got, tc.want)
		}
	}
}

func TestSubmitNeedsRenditions(t *testing.T) {
	code, _, stderr := runCLI(t, "submit", "in.mp4", "-o", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "no renditions") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "submit", "in.mp4", "-o", t.TempDir(), "--rendition", "name=a", "--rendition", "name=a")
	if code != 2 || !strings.Contains(stderr, "used twice") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// --strict makes a strict job on both commands that build one: reel
// submit (its own flag) and reel encode (the one-file encode's flag).
func TestStrictJobFlag(t *testing.T) {
	commands := map[string]func() (*cobra.Command, *jobFlags){
		"submit": func() (*cobra.Command, *jobFlags) {
			var jf jobFlags
			cmd := &cobra.Command{Use: "submit"}
			jf.add(cmd)
			return cmd, &jf
		},
		"encode": func() (*cobra.Command, *jobFlags) {
			var ef encodeFlags
			var wf workflowEncodeFlags
			cmd := &cobra.Command{Use: "encode"}
			cmd.Flags().BoolVar(&ef.strict, "strict", false, "")
			addWorkflowEncodeFlags(cmd, &wf)
			return cmd, &wf.jobFlags
		},
	}
	for name, newCmd := range commands {
		for _, strict := range []bool{false, true} {
			cmd, jf := newCmd()
			args := []string{"--rendition", "name=a"}
			if strict {
				args = append(args, "--strict")
			}
			if err := cmd.ParseFlags(args); err != nil {
				t.Fatal(err)
			}
			job, err := jf.job(cmd, "in.mp4", t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if job.Strict != strict {
				t.Errorf("%s %q: job.Strict %v", name, args, job.Strict)
			}
		}
	}
}

// --fps is the job-wide default rate on both commands that build a job;
// a rendition's own fps= wins, and a bad rate is a one-line usage error.
func TestFPSJobFlag(t *testing.T) {
	commands := map[string]func() (*cobra.Command, *jobFlags){
		"submit": func() (*cobra.Command, *jobFlags) {
			var jf jobFlags
			cmd := &cobra.Command{Use: "submit"}
			jf.add(cmd)
			return cmd, &jf
		},
		"encode": func() (*cobra.Command, *jobFlags) {
			var ef encodeFlags
			var wf workflowEncodeFlags
			cmd := &cobra.Command{Use: "encode"}
			cmd.Flags().StringVar(&ef.fps, "fps", "", "")
			addWorkflowEncodeFlags(cmd, &wf)
			return cmd, &wf.jobFlags
		},
	}
	for name, newCmd := range commands {
		cmd, jf := newCmd()
		if err := cmd.ParseFlags([]string{"--rendition", "name=a", "--rendition", "name=b,fps=50", "--fps", "30000/1001"}); err != nil {
			t.Fatal(err)
		}
		job, err := jf.job(cmd, "in.mp4", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if job.Renditions[0].FPS != "30000/1001" || job.Renditions[1].FPS != "50" {
			t.Errorf("%s: renditions' fps %q, %q", name, job.Renditions[0].FPS, job.Renditions[1].FPS)
		}
		cmd, jf = newCmd()
		if err := cmd.ParseFlags([]string{"--rendition", "name=a", "--fps", "fast"}); err != nil {
			t.Fatal(err)
		}
		if _, err := jf.job(cmd, "in.mp4", t.TempDir()); err == nil || !strings.Contains(err.Error(), "--fps") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s --fps fast: %v", name, err)
		}
	}
	code, _, stderr := runCLI(t, "encode", "in.mp4", "-o", filepath.Join(t.TempDir(), "x.mp4"), "--fps", "0")
	if code != 2 || !strings.Contains(stderr, "--fps") {
		t.Errorf("one-file encode --fps 0: exit %d, stderr %q", code, stderr)
	}
}

// submit --wait, status, list and cancel against an embedded server with a
// worker in the test process.
func TestJobCommands(t *testing.T) {
	ctx := context.Background()
	srv, c, dir := testCluster(t)

	src := filepath.Join(dir, "src.mp4")
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2", "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", src)
	out := filepath.Join(dir, "out")
	common := []string{"--temporal", srv.Address, "--data-dir", dir}
	code, stdout, stderr := runCLI(t, append([]string{"submit", src, "-o", out, "--id", "cli-job", "--rendition", "name=a,size=160x120,crf=30,preset=veryfast",
		"--chunk-seconds", "1", "--wait", "--json"}, common...)...)
	if code != 0 {
		t.Fatalf("submit: exit %d: %s", code, stderr)
	}
	var res workflows.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("submit --json: %v: %q", err, stdout)
	}
	if res.Chunks != 2 || len(res.Renditions) != 1 || res.Renditions[0].Frames != 50 {
		t.Errorf("result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(out, "a.mp4")); err != nil {
		t.Error(err)
	}

	code, stdout, _ = runCLI(t, append([]string{"status", "cli-job"}, common...)...)
	if code != 0 || !strings.Contains(stdout, "phase   done") || !strings.Contains(stdout, "2/2 chunks") {
		t.Errorf("status: exit %d: %s", code, stdout)
	}
	code, stdout, _ = runCLI(t, append([]string{"list", "--json"}, common...)...)
	if code != 0 || !strings.Contains(stdout, `"job": "cli-job"`) || !strings.Contains(stdout, `"status": "completed"`) {
		t.Errorf("list: exit %d: %s", code, stdout)
	}

	// A job submitted and cancelled at once ends cancelled.
	code, _, stderr = runCLI(t, append([]string{"submit", src, "-o", filepath.Join(dir, "out2"), "--id", "cli-cancel", "--rendition", "name=a"}, common...)...)
	if code != 0 {
		t.Fatalf("submit: %s", stderr)
	}
	if code, _, stderr = runCLI(t, append([]string{"cancel", "cli-cancel"}, common...)...); code != 0 {
		t.Fatalf("cancel: %s", stderr)
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err := c.GetWorkflow(cctx, "cli-cancel", "").Get(cctx, nil)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "cancel") {
		t.Errorf("cancelled job ended with %v", err)
	}
	if code, _, stderr = runCLI(t, append([]string{"cancel", "no-such-job"}, common...)...); code != 1 || !strings.Contains(stderr, "no job") {
		t.Errorf("cancel unknown: exit %d: %s", code, stderr)
	}
}

// testCluster starts an embedded Temporal server with a worker on task
// queue "reel" (as 'reel server' runs one), stopped when t ends, and returns
// it with a client and a temporary directory.
func testCluster(t *testing.T) (*devserver.Server, client.Client, string) {
	t.Helper()
	dir := t.TempDir()
	srv, err := devserver.Start(context.Background(), devserver.Config{LogFile: filepath.Join(dir, "temporal.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	c, err := client.Dial(client.Options{HostPort: srv.Address, Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := workflows.NewWorker(c, "reel", workflows.WorkerOptions{Concurrency: 2}, &workflows.Activities{TempDir: dir, Threads: 1})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return srv, c, dir
}

// causeMessage finds the cause under the four levels a failed chunk comes
// in: the job, the batch's child workflow, the activity, the core's error.
func TestCauseMessage(t *testing.T) {
	const core = `encode "/data/in.mp4": frame range 900:950 outside the clip (0:250)`
	chunk := &failurepb.Failure{
		Message: "child workflow execution error",
		FailureInfo: &failurepb.Failure_ChildWorkflowExecutionFailureInfo{ChildWorkflowExecutionFailureInfo: &failurepb.ChildWorkflowExecutionFailureInfo{
			WorkflowType: &commonpb.WorkflowType{Name: "EncodeBatchWorkflow"}, WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "enc-123-batch-0"}}},
		Cause: &failurepb.Failure{
			Message: "activity error",
			FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{
				ActivityType: &commonpb.ActivityType{Name: "EncodeChunk"}, ScheduledEventId: 6}},
			Cause: &failurepb.Failure{
				Message: core,
				FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
					Type: workflows.ErrorBadInput, NonRetryable: true}},
				Cause: &failurepb.Failure{Message: core, FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: "*encode.Error"}}},
			},
		},
	}
	err := temporal.GetDefaultFailureConverter().FailureToError(chunk)
	if !strings.Contains(err.Error(), "activity error") || strings.Count(err.Error(), core) != 2 {
		t.Fatalf("the test's chain is not Temporal's: %v", err)
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{err, core},
		{temporal.NewTimeoutError(enums.TIMEOUT_TYPE_HEARTBEAT, nil), "timeout"},
		{temporal.NewCanceledError(), "canceled"},
		{errors.New("connection refused"), "connection refused"},
	} {
		if got := causeMessage(tc.err); !strings.Contains(got, tc.want) || strings.Contains(got, "activity error") {
			t.Errorf("causeMessage(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if got := failedJob("enc-123", err).Error(); got != "job enc-123 failed: "+core {
		t.Errorf("failedJob: %q", got)
	}
}
