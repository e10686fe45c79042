package integration

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/reelmedia/reel/encode"
	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/internal/freeport"
	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

// A two-rendition job on the embedded server (in-memory SQLite, Web UI on):
// outputs with the source's frame count and audio, a report whose per-chunk
// scores vmaf.Score reproduces from the outputs, intermediates removed.
func TestEncodeJobOnEmbeddedServer(t *testing.T) {
	dir := t.TempDir()
	srv, c := startServer(t, devserver.Config{UIPort: freePort(t)})
	startWorker(t, c, &workflows.Activities{TempDir: t.TempDir(), Threads: 1})

	srcPath := filepath.Join(dir, "src.mp4")
	makeClip(t, srcPath, 320, 240, 25, 4, true)
	outDir := filepath.Join(dir, "out")
	job := twoRenditionJob(srcPath, fileURL(outDir))
	res := runJob(t, c, "itest-file", job)

	if res.Chunks != 4 || len(res.Renditions) != 2 || res.Report != fileURL(filepath.Join(outDir, "report.json")) {
		t.Fatalf("result %+v", res)
	}
	out, err := mezzfs.NewFileStore(outDir)
	if err != nil {
		t.Fatal(err)
	}
	rep := checkJob(t, encode.FileInput(srcPath), 100, out, func(k string) string { return filepath.Join(outDir, k) })
	for _, r := range rep.Renditions {
		if !r.HasAudio || r.Bitrate <= 0 || r.SHA256 == "" {
			t.Errorf("%s: audio %v, bitrate %v, sha %q", r.Name, r.HasAudio, r.Bitrate, r.SHA256)
		}
	}
	if left := listKeys(t, out, ".work/"); len(left) != 0 {
		t.Errorf("intermediates left after the job: %v", left)
	}
	if _, err := os.Stat(filepath.Join(outDir, ".work")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the empty work directory is left after the job: %v", err)
	}

	p, err := workflows.GetProgress(context.Background(), c, "itest-file")
	if err != nil {
		t.Fatal(err)
	}
	if p.Phase != workflows.PhaseDone || p.ChunksDone() != 8 || p.Renditions[0].Output == "" {
		t.Errorf("progress %+v", p)
	}

	// The Web UI serves and reaches the frontend.
	resp, err := http.Get(srv.UIAddress + "api/v1/namespaces/default/workflows")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("UI API: %s", resp.Status)
	}

	if os.Getenv("REEL_RECORD_HISTORY") != "" {
		recordHistory(t, c, "itest-file", "../testdata/encode_workflow_history.json")
		recordHistory(t, c, "itest-file/r240/batch-0000", "../testdata/batch_workflow_history.json")
	}
}

// The same job with the source read from S3 (versitygw) through mezzfs and
// the outputs and intermediates written to S3.
func TestEncodeJobS3(t *testing.T) {
	s3srv := s3test.Start(t)
	_, c := startServer(t, devserver.Config{})
	storage := mezzfs.NewStorage(mezzfs.Config{S3: mezzfs.S3Config{Endpoint: s3srv.Endpoint, Region: s3srv.Region, PathStyle: true, AccessKey: s3srv.AccessKey, SecretKey: s3srv.SecretKey}})
	startWorker(t, c, &workflows.Activities{
		TempDir: t.TempDir(), Threads: 1,
		Storage: storage,
	})
	dir := t.TempDir()
	srcPath := filepath.Join(dir, "src.mp4")
	makeClip(t, srcPath, 320, 240, 25, 4, true)
	ctx := context.Background()
	if err := s3srv.PutFile(ctx, "mezz/src.mp4", srcPath); err != nil {
		t.Fatal(err)
	}
	job := twoRenditionJob(s3srv.URL("mezz/src.mp4"), s3srv.URL("jobs/itest-s3"))
	job.Work = s3srv.URL("work")
	res := runJob(t, c, "itest-s3", job)
	if res.Report != s3srv.URL("jobs/itest-s3/report.json") {
		t.Errorf("report at %s", res.Report)
	}

	out, err := storage.Store(ctx, s3srv.URL("jobs/itest-s3"))
	if err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	checkJob(t, encode.FileInput(srcPath), 100, out, func(k string) string {
		p := filepath.Join(local, k)
		if _, err := out.Get(ctx, k, p); err != nil {
			t.Fatal(err)
		}
		return p
	})
	work, err := storage.Store(ctx, s3srv.URL("work"))
	if err != nil {
		t.Fatal(err)
	}
	if left := listKeys(t, work, ""); len(left) != 0 {
		t.Errorf("intermediates left in S3: %v", left)
	}
}

// A corrupt source fails the job at once with the decoder's message, and no
// activity is retried.
func TestBadSourceFailsJob(t *testing.T) {
	_, c := startServer(t, devserver.Config{})
	startWorker(t, c, &workflows.Activities{TempDir: t.TempDir(), Threads: 1})
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.mp4")
	if err := os.WriteFile(bad, []byte(strings.Repeat("not a video ", 1000)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "itest-bad", TaskQueue: taskQueue}, workflows.EncodeWorkflow,
		twoRenditionJob(bad, fileURL(filepath.Join(dir, "out"))))
	if err != nil {
		t.Fatal(err)
	}
	err = run.Get(ctx, nil)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != workflows.ErrorBadInput || !strings.Contains(app.Message(), "bad.mp4") {
		t.Fatalf("error %v, want %s naming bad.mp4", err, workflows.ErrorBadInput)
	}
	t.Logf("bad source: %s", app.Message())
	hist := c.GetWorkflowHistory(ctx, "itest-bad", "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for hist.HasNext() {
		ev, err := hist.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && a.Attempt > 1 {
			t.Errorf("activity retried (attempt %d)", a.Attempt)
		}
	}
}

// recordHistory writes a workflow's history as JSON for the replay test.
func recordHistory(t *testing.T, c client.Client, id, path string) {
	t.Helper()
	ctx := context.Background()
	it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d events of %s in %s", len(h.Events), id, path)
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := freeport.Pick()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
