package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/workflows"
)

// TestWorkerDrain: `reel worker` told to stop (SIGTERM) while a chunk runs
// lets it finish within a grace period, or with no grace gives it back to
// be encoded elsewhere; it exits 0 either way, and the job completes. The
// worker is this test binary re-run as TestWorkerDrainChild.
func TestWorkerDrain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// One chunk that takes a few seconds: slow preset, one thread.
	src := filepath.Join(dir, "src.mp4")
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=480x270:rate=25:duration=4", "-c:v", "libx264", "-g", "100", "-pix_fmt", "yuv420p", src)
	srv, err := devserver.Start(ctx, devserver.Config{LogFile: filepath.Join(dir, "temporal.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	c, err := client.Dial(client.Options{HostPort: srv.Address, Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	for _, tc := range []struct {
		name       string
		grace      string
		handedBack bool
	}{
		{"grace", "10m", false},
		{"no-grace", "0s", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			queue := "drain-" + tc.name
			cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerDrainChild$")
			cmd.Env = append(os.Environ(), "REEL_TEST_DRAIN_CHILD=1", "REEL_TEST_DRAIN_ARGS="+strings.Join([]string{
				"worker", "--temporal", srv.Address, "--task-queue", queue, "--concurrency", "1", "--drain-grace", tc.grace, "--data-dir", filepath.Join(dir, tc.name),
			}, "\x1f"))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{}) // closed when the worker has exited, with waitErr
			var waitErr error
			go func() { waitErr = cmd.Wait(); close(exited) }()
			t.Cleanup(func() {
				select {
				case <-exited:
				default:
					cmd.Process.Kill()
					<-exited
				}
			})
			childID := fmt.Sprintf("%d@", cmd.Process.Pid)

			job := workflows.Job{
				Source: src, Output: filepath.Join(dir, "out-"+tc.name),
				Renditions: []workflows.Rendition{{Name: "a", Codec: "x264", CRF: 20, Preset: "slow", Threads: 1}},
				Quality:    workflows.QualityPolicy{Metrics: []string{"none"}},
				Chunking:   workflows.ChunkPolicy{TargetSeconds: 10},
				Timeouts:   workflows.ActivityTiming{HeartbeatSeconds: 5},
			}
			id := "drain-" + tc.name
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, workflows.EncodeWorkflow, job)
			if err != nil {
				t.Fatal(err)
			}
			// Wait until the worker runs the chunk.
			batch := id + "/a/batch-0000"
			for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
				if d, err := c.DescribeWorkflowExecution(ctx, batch, ""); err == nil && len(d.PendingActivities) > 0 &&
					d.PendingActivities[0].State == enums.PENDING_ACTIVITY_STATE_STARTED {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the chunk never started: %s", out.String())
				}
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-exited:
				if waitErr != nil {
					t.Fatalf("worker after SIGTERM: %v\n%s", waitErr, out.String())
				}
			case <-time.After(5 * time.Minute):
				t.Fatalf("worker did not exit after SIGTERM: %s", out.String())
			}
			if !strings.Contains(out.String(), "draining") || !strings.Contains(out.String(), "stopped") {
				t.Errorf("worker output: %s", out.String())
			}

			// Another worker finishes the job.
			w := workflows.NewWorker(c, queue, workflows.WorkerOptions{Concurrency: 1}, &workflows.Activities{TempDir: t.TempDir(), Threads: 1})
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			if err := run.Get(rctx, nil); err != nil {
				t.Fatalf("job: %v", err)
			}

			// Who completed the chunk, at which attempt.
			scheduled := map[int64]string{}
			attempts := map[int64]int32{}
			var by string
			var attempt int32
			it := c.GetWorkflowHistory(ctx, batch, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					t.Fatal(err)
				}
				switch a := ev.Attributes.(type) {
				case *historypb.HistoryEvent_ActivityTaskScheduledEventAttributes:
					scheduled[ev.EventId] = a.ActivityTaskScheduledEventAttributes.ActivityType.GetName()
				case *historypb.HistoryEvent_ActivityTaskStartedEventAttributes:
					attempts[ev.EventId] = a.ActivityTaskStartedEventAttributes.Attempt
				case *historypb.HistoryEvent_ActivityTaskCompletedEventAttributes:
					x := a.ActivityTaskCompletedEventAttributes
					if scheduled[x.ScheduledEventId] == workflows.ActivityEncodeChunk {
						by, attempt = x.Identity, attempts[x.StartedEventId]
					}
				}
			}
			t.Logf("chunk completed by %s at attempt %d (drained worker %s...)", by, attempt, childID)
			if tc.handedBack {
				if strings.HasPrefix(by, childID) || attempt < 2 {
					t.Errorf("with no grace the chunk was not handed back: completed by %s at attempt %d", by, attempt)
				}
			} else if !strings.HasPrefix(by, childID) || attempt != 1 {
				t.Errorf("within the grace the drained worker did not finish its chunk: completed by %s at attempt %d", by, attempt)
			}
		})
	}
}

// TestWorkerDrainChild is the worker process of TestWorkerDrain.
func TestWorkerDrainChild(t *testing.T) {
	if os.Getenv("REEL_TEST_DRAIN_CHILD") != "1" {
		t.Skip("run by TestWorkerDrain")
	}
	args := strings.Split(os.Getenv("REEL_TEST_DRAIN_ARGS"), "\x1f")
	if code := Main(args, strings.NewReader(""), os.Stderr, os.Stderr); code != 0 {
		t.Fatalf("worker exited %d", code)
	}
}
