package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reelmedia/reel/archer"
	"github.com/reelmedia/reel/workflows"
)

// `reel archer run --workflow` runs AnalyzeWorkflow on an embedded server
// with an in-process worker, in chunks of one second (five chunks of the
// 110-frame clip), and its report is the in-process command's: the same
// frames, boundaries, shots and segments.
func TestArcherWorkflowMatchesInProcess(t *testing.T) {
	in := archerClip(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	local, viaWF := filepath.Join(dir, "local.json"), filepath.Join(dir, "analysis.json")

	code, localOut, stderr := runCLI(t, "archer", "run", in, "-q", "--min-black", "0.5", "--analyzers", "shots,black", "-o", local)
	if code != 0 {
		t.Fatalf("in process: exit %d: %s", code, stderr)
	}
	code, wfOut, stderr := runCLI(t, "archer", "run", in, "--workflow", "--data-dir", data, "--min-black", "0.5", "--chunk-seconds", "1",
		"--analyzers", "shots,black", "-o", viaWF)
	if code != 0 {
		t.Fatalf("workflow: exit %d: %s", code, stderr)
	}
	// The same file, byte for byte, but for the source's name.
	lb, _ := os.ReadFile(local)
	wb, _ := os.ReadFile(viaWF)
	if abs, _ := filepath.Abs(in); len(wb) == 0 || strings.Replace(string(wb), abs, in, 1) != string(lb) {
		t.Errorf("-o differs from the in-process one:\n%.300s\nwant\n%.300s", wb, lb)
	}
	want, got := readAnalysis(t, local), readAnalysis(t, viaWF)
	if len(got.Boundaries) != 2 || len(got.Shots) != 3 || len(got.Black) != 1 || got.Black[0].Start != 40 || got.Black[0].End != 70 {
		t.Errorf("workflow report: boundaries %+v, %d shots, black %+v", got.Boundaries, len(got.Shots), got.Black)
	}
	if abs, _ := filepath.Abs(in); got.Source != abs {
		t.Errorf("workflow report source %q, want %q", got.Source, abs)
	}
	got.Source, want.Source = "", ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("workflow report differs from the in-process one:\nboundaries %+v\n      want %+v\nblack %+v\n want %+v",
			got.Boundaries, want.Boundaries, got.Black, want.Black)
	}
	// The same summary, but for the source's name on its first line.
	_, localRest, _ := strings.Cut(localOut, "\n")
	_, wfRest, _ := strings.Cut(wfOut, "\n")
	if localRest == "" || wfRest != localRest {
		t.Errorf("summary:\n%s\nwant (after the first line):\n%s", wfOut, localOut)
	}
	// Stderr is not a terminal: plain progress lines ending at all frames.
	if !strings.Contains(stderr, "archer 110/110 frames (100%)") || !strings.Contains(stderr, "5/5 chunks") {
		t.Errorf("progress on stderr:\n%s", stderr)
	}
	// The embedded run's store (partials, analysis.json) is gone.
	if entries, _ := os.ReadDir(filepath.Join(data, "tmp")); len(entries) != 0 {
		t.Errorf("the workflow's store was left behind: %v", entries)
	}
}

// --json prints the report; --contact-sheet copies the sheet out; a --work
// store keeps analysis.json under the job ID and loses the partials.
func TestArcherWorkflowJSONAndContactSheet(t *testing.T) {
	in := archerClip(t)
	dir := t.TempDir()
	work, sheet := filepath.Join(dir, "work"), filepath.Join(dir, "sheet.jpg")
	code, stdout, stderr := runCLI(t, "archer", "run", in, "--workflow", "-q", "--json", "--data-dir", filepath.Join(dir, "data"),
		"--analyzers", "black", "--min-black", "0.5", "--contact-sheet", sheet, "--id", "wf-sheet", "--work", work)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("-q: stderr %q", stderr)
	}
	var a archer.Analysis
	if err := json.Unmarshal([]byte(stdout), &a); err != nil {
		t.Fatalf("--json: %v: %q", err, stdout)
	}
	if len(a.Thumbnails) != 2 || len(a.Black) != 1 || len(a.Shots) != 3 {
		t.Errorf("report: %d thumbnails, %d black segments, %d shots", len(a.Thumbnails), len(a.Black), len(a.Shots))
	}
	if b, err := os.ReadFile(sheet); err != nil || len(b) < 1000 || b[0] != 0xFF || b[1] != 0xD8 {
		t.Errorf("contact sheet: %d bytes, %v", len(b), err)
	}
	if _, err := os.Stat(filepath.Join(work, "wf-sheet", "analysis.json")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(work, "wf-sheet", "archer")); !os.IsNotExist(err) {
		t.Errorf("partials left in the work store: %v", err)
	}
}

// Flags of one path given to the other are usage errors (exit 2) that name
// them; nothing is started and nothing written.
func TestArcherWorkflowUsageErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.mkv") // never opened: the flags are checked first
	out := filepath.Join(dir, "a.json")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"in-process flags on the workflow path", []string{"--workflow", "--threads", "4", "--fast-decode"}, []string{"--threads", "--fast-decode"}},
		{"--temporal implies the workflow path", []string{"--temporal", "127.0.0.1:1", "--chunk-frames", "50"}, []string{"--chunk-frames"}},
		{"workflow flags in process", []string{"--id", "x", "--chunk-seconds", "2"}, []string{"--id", "--chunk-seconds"}},
		{"--detach without a cluster", []string{"--workflow", "--detach"}, []string{"--detach", "--temporal"}},
		{"--detach with outputs", []string{"--temporal", "127.0.0.1:1", "--detach", "-o", out}, []string{"--output", "--detach"}},
		{"bad frame range", []string{"--workflow", "--frames", "9:3"}, []string{"--frames", "a:b"}},
		{"unknown analyzer", []string{"--workflow", "--analyzers", "shots,bogus"}, []string{"bogus"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"archer", "run", in, "--data-dir", filepath.Join(dir, "data")}, tc.args...)
			code, _, stderr := runCLI(t, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2: %s", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not name %s", stderr, w)
				}
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("usage errors left files behind: %v", entries)
	}
}

// --temporal submits to a cluster (here an embedded server with a worker in
// the test, as 'reel server' or 'reel worker' would run it): waiting, with
// --detach, and with a bad frame range the workflow rejects.
func TestArcherWorkflowCluster(t *testing.T) {
	ctx := context.Background()
	srv, c, dir := testCluster(t)

	in := archerClip(t)
	work := filepath.Join(dir, "work")
	common := []string{"--temporal", srv.Address, "--data-dir", filepath.Join(dir, "data"), "--work", work, "--analyzers", "shots,black"}
	out := filepath.Join(dir, "a.json")
	code, stdout, stderr := runCLI(t, append([]string{"archer", "run", in, "--id", "cl-wait", "-o", out}, common...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "submitted cl-wait to "+srv.Address) || !strings.Contains(stdout, "shots      3") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if a := readAnalysis(t, out); len(a.Boundaries) != 2 || a.End != 110 {
		t.Errorf("report: %d frames, boundaries %+v", a.End, a.Boundaries)
	}

	code, stdout, stderr = runCLI(t, append([]string{"archer", "run", in, "--id", "cl-detach", "--detach", "--json"}, common...)...)
	if code != 0 {
		t.Fatalf("--detach: exit %d: %s", code, stderr)
	}
	var sub map[string]string
	if err := json.Unmarshal([]byte(stdout), &sub); err != nil || sub["workflow_id"] != "cl-detach" || sub["analysis"] != "file://"+filepath.Join(work, "cl-detach", "analysis.json") {
		t.Fatalf("--detach --json: %v: %q", err, stdout)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var res workflows.AnalyzeResult
	if err := c.GetWorkflow(cctx, "cl-detach", "").Get(cctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Analysis != sub["analysis"] || res.Boundaries != 2 || res.Black != 1 {
		t.Errorf("detached job's result %+v", res)
	}

	code, _, stderr = runCLI(t, append([]string{"archer", "run", in, "-q", "--frames", "100:500", "-o", filepath.Join(dir, "bad.json")}, common...)...)
	if code != 1 || !strings.Contains(stderr, "[100,500) outside [0,110)") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Errorf("range past the end: exit %d, stderr %q", code, stderr)
	}
	missing := filepath.Join(dir, "nope.mkv")
	code, _, stderr = runCLI(t, append([]string{"archer", "run", missing, "-q", "-o", filepath.Join(dir, "bad.json")}, common...)...)
	if code != 1 || !strings.Contains(stderr, missing+": object not found") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Errorf("missing source: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.json")); !os.IsNotExist(err) {
		t.Errorf("a failed job wrote its report: %v", err)
	}
}
