package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/reelmedia/reel/archer"
	"github.com/reelmedia/reel/encode"
)

// analyzeClip makes 110 frames at 192x108: a moving pattern, a hard cut to
// 30 black frames, a hard cut to colour bars.
func analyzeClip(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg CLI not installed")
	}
	out := filepath.Join(t.TempDir(), "clip.mkv")
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-filter_complex",
		"testsrc2=s=192x108:r=25,trim=end_frame=40[a];color=c=black:s=192x108:r=25,trim=end_frame=30[b];"+
			"smptehdbars=s=192x108:r=25,trim=end_frame=40[c];[a][b][c]concat=n=3:v=1:a=0,setpts=N/25/TB,format=yuv420p[out]",
		"-map", "[out]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", "25", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	return out
}

// analyzeEnv is a test environment with AnalyzeWorkflow and the real
// archer activities (real FFmpeg decoding, real OpenCV).
func analyzeEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := ts.NewTestWorkflowEnvironment()
	env.SetTestTimeout(5 * time.Minute)
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	RegisterAnalyze(env)
	env.RegisterActivity(&ArcherActivities{Threads: 2, DecodeThreads: 1}) // one-thread decoders, as NewWorker sets on a busy worker
	return env
}

func runAnalyze(t *testing.T, req AnalyzeRequest) (AnalyzeResult, error) {
	t.Helper()
	env := analyzeEnv(t)
	env.ExecuteWorkflow(AnalyzeWorkflow, req)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var res AnalyzeResult
	if err := env.GetWorkflowError(); err != nil {
		return res, err
	}
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res, nil
}

func TestAnalyzeWorkflow(t *testing.T) {
	clip := analyzeClip(t)
	dir := t.TempDir()
	cfg := archer.Config{BlackMinDuration: 0.5}
	// chunks of one second (25 frames): five chunks, two boundaries and the
	// black segment straddling chunk edges
	res, err := runAnalyze(t, AnalyzeRequest{Job: "chunked", Source: clip, Work: "file://" + dir + "/work", Output: "file://" + dir + "/out", Config: cfg, ChunkSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Chunks != 5 || res.Frames != 110 || res.Boundaries != 2 || res.Shots != 3 || res.Black != 1 {
		t.Errorf("result %+v: want 5 chunks, 110 frames, 2 boundaries, 3 shots, 1 black segment", res)
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "work", "chunked", "archer", "partial-*.json"))
	if len(parts) != 5 {
		t.Errorf("%d partials in the work store, want 5", len(parts))
	}
	// Chunks are cut at the source's keyframes; each after the first is
	// decoded from its own first frame (no context frame before it).
	pi, err := encode.Probe(context.Background(), encode.FileInput(clip), encode.ProbeOptions{Keyframes: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range parts {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var p archer.Partial
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		if p.Start > 0 && (!p.NoContext || !slices.Contains(pi.Keyframes, p.Start)) {
			t.Errorf("partial [%d,%d): no_context %v; keyframes %v", p.Start, p.End, p.NoContext, pi.Keyframes)
		}
	}
	chunked, err := os.ReadFile(filepath.Join(dir, "out", "chunked", "analysis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var a archer.Analysis
	if err := json.Unmarshal(chunked, &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Boundaries) != 2 || a.Boundaries[0].Frame != 40 || a.Boundaries[1].Frame != 70 || a.Black[0].Start != 40 || a.Black[0].End != 70 {
		t.Errorf("analysis: boundaries %+v, black %+v", a.Boundaries, a.Black)
	}
	if st, err := os.Stat(filepath.Join(dir, "out", "chunked", "contact-sheet.jpg")); err != nil || st.Size() < 500 || res.ContactSheet == "" {
		t.Errorf("contact sheet: %v %v", st, err)
	}

	// one chunk gives the same analysis
	if _, err := runAnalyze(t, AnalyzeRequest{Job: "whole", Source: clip, Work: "file://" + dir + "/work", Output: "file://" + dir + "/out", Config: cfg, ChunkSeconds: 100}); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(filepath.Join(dir, "out", "whole", "analysis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(whole) != string(chunked) {
		t.Error("analysis.json of 5 chunks differs from that of 1 chunk")
	}
}

// A run recorded before keyframe chunks (GetVersion gives DefaultVersion)
// still plans fixed chunks, each reading its context frame, and reaches the
// same analysis.
func TestAnalyzeWorkflowBeforeKeyframeChunks(t *testing.T) {
	clip := analyzeClip(t)
	dir := t.TempDir()
	cfg := archer.Config{BlackMinDuration: 0.5}
	run := func(job string, old bool) []byte {
		t.Helper()
		env := analyzeEnv(t)
		if old {
			env.OnGetVersion(versionAnalyzeKeyframeChunks, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
		}
		env.ExecuteWorkflow(AnalyzeWorkflow, AnalyzeRequest{Job: job, Source: clip, Work: "file://" + dir + "/work", Output: "file://" + dir + "/out", Config: cfg, ChunkSeconds: 1})
		if err := env.GetWorkflowError(); err != nil || !env.IsWorkflowCompleted() {
			t.Fatalf("%s: %v", job, err)
		}
		parts, _ := filepath.Glob(filepath.Join(dir, "work", job, "archer", "partial-*.json"))
		for _, f := range parts {
			b, _ := os.ReadFile(f)
			var p archer.Partial
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			if p.NoContext == old && p.Start > 0 {
				t.Errorf("%s: partial [%d,%d) no_context %v", job, p.Start, p.End, p.NoContext)
			}
		}
		b, err := os.ReadFile(filepath.Join(dir, "out", job, "analysis.json"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if string(run("fixed", true)) != string(run("keyframes", false)) {
		t.Error("the fixed chunks' analysis.json differs from the keyframe chunks'")
	}
}

func TestAnalyzeWorkflowBadInput(t *testing.T) {
	clip := analyzeClip(t)
	dir := t.TempDir()
	cases := []struct {
		name string
		req  AnalyzeRequest
		want string
	}{
		{"missing source", AnalyzeRequest{Source: filepath.Join(dir, "nope.mkv")}, "nope.mkv"},
		{"not media", AnalyzeRequest{Source: "analyze_test.go"}, "analyze_test.go"},
		{"unknown analyzer", AnalyzeRequest{Source: clip, Config: archer.Config{Analyzers: []string{"shots,bogus"}}}, "bogus"},
		{"missing cascade", AnalyzeRequest{Source: clip, Config: archer.Config{Analyzers: []string{"faces"}, Cascade: filepath.Join(dir, "none.xml")}}, "face cascade not found"},
		{"range past the end", AnalyzeRequest{Source: clip, Start: 100, End: 500}, "outside"},
		{"no output", AnalyzeRequest{Source: clip, Output: "-"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Work, req.Output = "file://"+dir+"/work", "file://"+dir+"/out"
			if tc.req.Output == "-" {
				req.Output = ""
			}
			_, err := runAnalyze(t, req)
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) || ae.Type() != ErrorBadInput || !ae.NonRetryable() || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v; want a non-retryable %s error naming %q", err, ErrorBadInput, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		entries, _ := os.ReadDir(filepath.Join(dir, "out"))
		if len(entries) != 0 {
			t.Errorf("failed analyses wrote output: %v", entries)
		}
	}
}
