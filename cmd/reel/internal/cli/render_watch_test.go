package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/reelmedia/reel/workflows"
)

// renderJobs lists the IDs of the RenderWorkflow jobs the cluster has seen.
func renderJobs(t *testing.T, c client.Client) []string {
	t.Helper()
	resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowType = 'RenderWorkflow'"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range resp.Executions {
		ids = append(ids, e.Execution.WorkflowId)
	}
	return ids
}

func watchLines(t *testing.T, stdout string) []watchSubmission {
	t.Helper()
	var lines []watchSubmission
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if l == "" {
			continue
		}
		var s watchSubmission
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("watch --json line %q: %v", l, err)
		}
		lines = append(lines, s)
	}
	return lines
}

// TestRenderWatch: a settled version is submitted once, and the movie
// made; a watcher started again submits nothing new; a version still being
// written waits, and is submitted as soon as its marker is there.
func TestRenderWatch(t *testing.T) {
	srv, c, dir := testCluster(t)
	seqDir := filepath.Join(dir, "renders")
	outDir := filepath.Join(dir, "review")
	os.Mkdir(seqDir, 0o755)
	os.Mkdir(outDir, 0o755)
	renderSeq(t, seqDir, "sh010_comp_v003", "png", "rgb24", 1001, 6)
	os.WriteFile(filepath.Join(seqDir, "notes.txt"), []byte("not a frame"), 0o644)
	// written an hour ago: settled for a watcher that trusts the times
	old := time.Now().Add(-time.Hour)
	ents, _ := os.ReadDir(seqDir)
	for _, e := range ents {
		os.Chtimes(filepath.Join(seqDir, e.Name()), old, old)
	}
	watch := func() []watchSubmission {
		t.Helper()
		code, stdout, stderr := runCLI(t, "render", "watch", seqDir, "-o", outDir, "--once", "--settle", "1m", "--marker", "_complete",
			"--json", "--temporal", srv.Address, "--threads", "1")
		if code != 0 {
			t.Fatalf("render watch: exit %d: %s", code, stderr)
		}
		return watchLines(t, stdout)
	}

	first := watch()
	if len(first) != 1 || first[0].Status != "submitted" || first[0].Range != "1001-1006" || first[0].Frames != 6 ||
		first[0].Output != filepath.Join(outDir, "sh010_comp_v003.mov") || !strings.HasPrefix(first[0].Job, "render-sh010_comp_v003-1001-1006-") {
		t.Fatalf("first scan: %+v", first)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.GetWorkflow(ctx, first[0].Job, "").Get(ctx, nil); err != nil {
		t.Fatalf("the job: %v", err)
	}
	if n := movieFrames(t, first[0].Output); n != 6 {
		t.Errorf("the movie has %d frames, want 6", n)
	}

	// a watcher started again: the version is known, no second job
	again := watch()
	if len(again) != 1 || again[0].Status != "already" || again[0].Job != first[0].Job {
		t.Errorf("second scan: %+v", again)
	}

	// v004 being written (frames of now): not settled, not submitted
	renderSeq(t, seqDir, "sh010_comp_v004", "png", "rgb24", 1001, 4)
	// its frames' times are ahead of the scan, whatever the machine's speed
	soon := time.Now().Add(time.Hour)
	for n := 1001; n <= 1004; n++ {
		os.Chtimes(filepath.Join(seqDir, fmt.Sprintf("sh010_comp_v004.%04d.png", n)), soon, soon)
	}
	if got := watch(); len(got) != 1 || got[0].Status != "already" {
		t.Errorf("v004 still being written was submitted: %+v", got)
	}
	if ids := renderJobs(t, c); len(ids) != 1 {
		t.Errorf("jobs %v, want only %s", ids, first[0].Job)
	}
	// its marker: submitted at once
	os.WriteFile(filepath.Join(seqDir, "sh010_comp_v004._complete"), nil, 0o644)
	got := watch()
	var v4 *watchSubmission
	for i := range got {
		if strings.Contains(got[i].Pattern, "v004") {
			v4 = &got[i]
		}
	}
	if v4 == nil || v4.Status != "submitted" || v4.Range != "1001-1004" {
		t.Fatalf("v004 with its marker: %+v", got)
	}
	if err := c.GetWorkflow(ctx, v4.Job, "").Get(ctx, nil); err != nil {
		t.Fatalf("the v004 job: %v", err)
	}
	if ids := renderJobs(t, c); len(ids) != 2 {
		t.Errorf("jobs %v, want 2", ids)
	}
}

func TestRenderWatchName(t *testing.T) {
	code, _, stderr := runCLI(t, "render", "watch", t.TempDir(), "-o", t.TempDir(), "--name", "../{name}.mov", "--once")
	if code != 2 || !strings.Contains(stderr, "plain file name") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "render", "watch", t.TempDir(), "-o", t.TempDir(), "--name", "{shot}.mov", "--once")
	if code != 2 || !strings.Contains(stderr, "{name} {version}") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// TestRenderWatchSettles: a polling watcher (scans at given times) submits
// a version only when it has not changed for --settle, and a frame added
// starts the wait again.
func TestRenderWatchSettles(t *testing.T) {
	_, c, dir := testCluster(t)
	seqDir := filepath.Join(dir, "renders")
	outDir := filepath.Join(dir, "review")
	os.Mkdir(seqDir, 0o755)
	os.Mkdir(outDir, 0o755)
	renderSeq(t, seqDir, "sh020_v005", "png", "rgb24", 1001, 3)
	var stdout strings.Builder
	app := &App{Stdout: &stdout, Stderr: &stdout}
	f := &renderWatchFlags{settle: 30 * time.Second, name: "{name}.mov", idPrefix: "render"}
	f.out, f.chunkFrames, f.font, f.onMissing, f.fps, f.asJSON = outDir, 48, renderFont, "error", "24", true
	w := &renderWatcher{app: app, c: c, dir: seqDir, f: f, lister: workflowsLister(t), done: map[string]bool{}}
	ctx := context.Background()
	t0 := time.Now().Add(time.Minute) // after the files' times: what the watcher saw decides
	for _, step := range []struct {
		at   time.Duration
		want int // submissions so far
	}{{0, 0}, {20 * time.Second, 0}} {
		if err := w.scan(ctx, t0.Add(step.at)); err != nil {
			t.Fatal(err)
		}
		if n := len(watchLines(t, stdout.String())); n != step.want {
			t.Fatalf("at %s: %d submissions, want %d", step.at, n, step.want)
		}
	}
	renderSeq(t, seqDir, "sh020_v005_tmp", "png", "rgb24", 1004, 1)
	os.Rename(filepath.Join(seqDir, "sh020_v005_tmp.1004.png"), filepath.Join(seqDir, "sh020_v005.1004.png"))
	for _, step := range []struct {
		at   time.Duration
		want int
	}{{40 * time.Second, 0}, {69 * time.Second, 0}, {70 * time.Second, 1}, {200 * time.Second, 1}} {
		if err := w.scan(ctx, t0.Add(step.at)); err != nil {
			t.Fatal(err)
		}
		if n := len(watchLines(t, stdout.String())); n != step.want {
			t.Fatalf("at %s: %d submissions, want %d", step.at, n, step.want)
		}
	}
	s := watchLines(t, stdout.String())[0]
	if s.Range != "1001-1004" || s.Status != "submitted" {
		t.Errorf("submitted %+v", s)
	}
	ctx2, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := c.GetWorkflow(ctx2, s.Job, "").Get(ctx2, nil); err != nil {
		t.Fatal(err)
	}
}

func workflowsLister(t *testing.T) workflows.StorageLister {
	t.Helper()
	app := &App{}
	st, err := app.storage()
	if err != nil {
		t.Fatal(err)
	}
	return workflows.StorageLister{Storage: st}
}
