package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/workflows"
)

// A worker with storage.roots and storage.s3_buckets runs jobs inside them
// and fails jobs outside them at once, as bad input naming the rule, with
// nothing written; the S3 secret it holds appears in no workflow history,
// result, report or log.
func TestWorkerConfinement(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	outside := filepath.Join(dir, "outside")
	for _, d := range []string{root, outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "src.mp4")
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2", "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", src)
	srcOutside := filepath.Join(outside, "src.mp4")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(srcOutside, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s3srv := s3test.Start(t)
	if err := s3srv.PutFile(ctx, "in/src.mp4", src); err != nil {
		t.Fatal(err)
	}

	srvLog := filepath.Join(dir, "temporal.log")
	srv, err := devserver.Start(ctx, devserver.Config{LogFile: srvLog, LogLevel: "debug"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)

	// The worker, as 'reel worker' builds it, logging everything.
	var logs bytes.Buffer
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.LogLevel = "debug"
	cfg.Worker.Concurrency = 2
	cfg.Storage.Roots = []string{root}
	cfg.Storage.S3Buckets = []string{s3srv.Bucket}
	cfg.S3 = config.S3{Endpoint: s3srv.Endpoint, Region: s3srv.Region, PathStyle: true, AccessKey: s3srv.AccessKey, SecretKey: s3srv.SecretKey}
	app := &App{Config: cfg, Stdout: &logs, Stderr: &logs}
	c, err := app.dialTemporal(ctx, srv.Address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	acts, err := app.activities()
	if err != nil {
		t.Fatal(err)
	}
	stop, err := app.startLocalWorker(c, acts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	rendition := []workflows.Rendition{{Name: "a", Width: 160, Height: 120, Codec: "x264", CRF: 30, Preset: "veryfast"}}
	run := func(id string, job workflows.Job) (workflows.Result, error) {
		job.Renditions = rendition
		job.Chunking.TargetSeconds = 1
		rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		r, err := c.ExecuteWorkflow(rctx, client.StartWorkflowOptions{ID: id, TaskQueue: "reel"}, workflows.EncodeWorkflow, job)
		if err != nil {
			t.Fatal(err)
		}
		var res workflows.Result
		err = r.Get(rctx, &res)
		return res, err
	}

	// Inside: an S3 source to a local output under the root, and to S3.
	var results []string
	for _, j := range []struct{ id, output string }{
		{"inside-local", filepath.Join(root, "out")},
		{"inside-s3", s3srv.URL("out/")},
	} {
		res, err := run(j.id, workflows.Job{Source: s3srv.URL("in/src.mp4"), Output: j.output})
		if err != nil {
			t.Fatalf("%s: %v", j.id, err)
		}
		results = append(results, fmt.Sprintf("%+v", res))
	}
	report, err := os.ReadFile(filepath.Join(root, "out", "report.json"))
	if err != nil {
		t.Fatal(err)
	}

	// Outside: each fails as bad input naming the rule.
	refused := []struct {
		id  string
		job workflows.Job
		why string
	}{
		{"output-outside", workflows.Job{Source: src, Output: filepath.Join(outside, "out")}, "outside the allowed storage roots"},
		{"work-outside", workflows.Job{Source: src, Output: filepath.Join(root, "out2"), Work: "file://" + filepath.Join(outside, "work")}, "outside the allowed storage roots"},
		{"dot-dot", workflows.Job{Source: src, Output: root + "/../outside/out"}, "outside the allowed storage roots"},
		{"symlink", workflows.Job{Source: src, Output: filepath.Join(root, "link", "out")}, "outside the allowed storage roots"},
		{"source-outside", workflows.Job{Source: srcOutside, Output: filepath.Join(root, "out3")}, "outside the allowed storage roots"},
		{"bucket", workflows.Job{Source: src, Output: "s3://other-bucket/out"}, "bucket not in the allowed storage buckets"},
		// An address inside the cluster (here the metadata service's): no
		// host is listed, so no request is made.
		{"http-source", workflows.Job{Source: "http://169.254.169.254/latest/meta-data/src.mp4", Output: filepath.Join(root, "out4")}, "host not in the allowed http hosts"},
	}
	for _, r := range refused {
		_, err := run(r.id, r.job)
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != workflows.ErrorBadInput || !strings.Contains(ae.Error(), r.why) {
			t.Errorf("%s: %v, want bad input %q", r.id, err, r.why)
		}
		// Before any work: the probe was the only step scheduled.
		it := c.GetWorkflowHistory(ctx, r.id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if ev.EventType == enums.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED {
				t.Errorf("%s: a refused job started encoding", r.id)
				break
			}
		}
	}
	entries, err := os.ReadDir(outside)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("written outside the root: %v", entries)
	}
	// Analysis jobs too: refused in their first step, before any chunk.
	for _, r := range []struct{ id, work, output string }{
		{"analyze-output-outside", "file://" + filepath.Join(root, "awork"), "file://" + filepath.Join(outside, "aout")},
		{"analyze-work-outside", "file://" + filepath.Join(outside, "awork"), "file://" + filepath.Join(root, "aout")},
	} {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		run, err := c.ExecuteWorkflow(rctx, client.StartWorkflowOptions{ID: r.id, TaskQueue: "reel"}, workflows.AnalyzeWorkflow,
			workflows.AnalyzeRequest{Source: src, Work: r.work, Output: r.output})
		if err != nil {
			t.Fatal(err)
		}
		err = run.Get(rctx, nil)
		cancel()
		var ae *temporal.ApplicationError
		if !errors.As(err, &ae) || ae.Type() != workflows.ErrorBadInput || !strings.Contains(ae.Error(), "outside the allowed storage roots") {
			t.Errorf("%s: %v, want bad input naming the roots", r.id, err)
		}
		it := c.GetWorkflowHistory(ctx, r.id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.ActivityType.GetName() != workflows.ActivityArcherProbe {
				t.Errorf("%s: a refused analysis scheduled %s", r.id, a.ActivityType.GetName())
			}
		}
	}
	for _, d := range []string{"out2", "out3", "out4", "aout"} {
		if _, err := os.Stat(filepath.Join(root, d)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a refused job wrote its output (%v)", d, err)
		}
	}

	// The secret: in no history (every workflow, children included), result,
	// report or log line.
	secret := []byte(s3srv.SecretKey)
	list, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Executions) < len(refused)+2 {
		t.Fatalf("%d workflows listed, want at least %d", len(list.Executions), len(refused)+2)
	}
	events := 0
	for _, e := range list.Executions {
		it := c.GetWorkflowHistory(ctx, e.Execution.WorkflowId, e.Execution.RunId, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			b, err := proto.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			events++
			if bytes.Contains(b, secret) {
				t.Errorf("workflow %s: event %d (%s) holds the S3 secret", e.Execution.WorkflowId, ev.EventId, ev.EventType)
			}
		}
	}
	serverLog, err := os.ReadFile(srvLog)
	if err != nil {
		t.Fatal(err)
	}
	if logs.Len() == 0 || len(serverLog) == 0 {
		t.Fatalf("no logs captured (worker %d bytes, server %d bytes)", logs.Len(), len(serverLog))
	}
	for name, b := range map[string][]byte{"worker log": logs.Bytes(), "server log": serverLog, "report": report, "results": []byte(strings.Join(results, "\n"))} {
		if bytes.Contains(b, secret) {
			t.Errorf("%s holds the S3 secret", name)
		}
	}
	t.Logf("searched %d history events of %d workflows, %d bytes of worker log, %d of server log", events, len(list.Executions), logs.Len(), len(serverLog))
}

// A local 'reel encode' runs its own worker: with storage.roots set
// elsewhere, the paths its user typed are still allowed.
func TestEmbeddedEncodeAllowsTypedPaths(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in", "src.mp4")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1", "-c:v", "libx264", "-g", "25", "-pix_fmt", "yuv420p", src)
	t.Setenv("REEL_STORAGE_ROOTS", t.TempDir())
	code, _, stderr := runCLI(t, "encode", src, "-o", filepath.Join(dir, "out"), "--rendition", "name=a,size=160x120,crf=30,preset=veryfast",
		"--data-dir", filepath.Join(dir, "data"), "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
