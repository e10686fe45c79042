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
	"github.com/reelmedia/reel/internal/testmedia"
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

// A damaged source under `reel encode --rendition ... --strict` fails the
// job at once with the core's typed message in one line; the same job
// without --strict encodes what is there and lists the problems: in the
// result (--json), in report.json, and one line each on stderr. Two kinds
// of damage: bytes flipped in an H.264 MP4 (the probe reads only the sample
// table, so the chunks' decoding finds it) and an AVI cut short (the probe
// finds it).
func TestJobStrictAndSourceProblems(t *testing.T) {
	dir := t.TempDir()
	clip := filepath.Join(dir, "clip.mp4")
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-frames:v", "75", "-c:v", "libx264", "-preset", "fast",
		"-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-pix_fmt", "yuv420p", clip)
	b, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 2; i < len(b)/2+3000; i += 7 {
		b[i] ^= 0x5a
	}
	flipped := filepath.Join(dir, "flipped.mp4")
	if err := os.WriteFile(flipped, b, 0o644); err != nil {
		t.Fatal(err)
	}
	avi := filepath.Join(dir, "full.avi")
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=160x96:rate=25", "-frames:v", "50", "-c:v", "cinepak", avi)
	if b, err = os.ReadFile(avi); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.avi")
	if err := os.WriteFile(cut, b[:len(b)*6/10], 0o644); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, src string
		refusal   string // the strict job's failure starts so: the core's message
		problem   string // in a problem line of the lenient job
	}{
		{"flipped", flipped, fmt.Sprintf("encode %q: ", "file://"+flipped), "source frames "},
		{"cut", cut, fmt.Sprintf("probe %q: the last packet is cut off", "file://"+cut), "truncated: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := func(id string, extra ...string) []string {
				return append([]string{"encode", c.src, "-o", filepath.Join(dir, id), "--id", id, "--data-dir", filepath.Join(dir, "data"),
					"--rendition", "name=a,crf=35,preset=ultrafast", "--chunk-seconds", "1", "--metrics", "none", "-q"}, extra...)
			}
			id := c.name + "-strict"
			code, stdout, stderr := runCLI(t, args(id, "--strict", "--json")...)
			want := "reel: job " + id + " failed: " + c.refusal
			if code != 1 || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("--strict: exit %d, stderr %q; want one line starting %q", code, stderr, want)
			}
			// Bad input: failed at once, not retried.
			var f jobFailure
			if err := json.Unmarshal([]byte(stdout), &f); err != nil {
				t.Fatalf("--json: %v: %q", err, stdout)
			}
			if !strings.HasPrefix(f.Error, c.refusal) || !strings.Contains(f.Chain, workflows.ErrorBadInput) {
				t.Errorf("--strict --json: %+v; want the core's message and a %s failure", f, workflows.ErrorBadInput)
			}

			id = c.name + "-json"
			code, stdout, stderr = runCLI(t, args(id, "--json")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var res workflows.Result
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatalf("%v: %q", err, stdout)
			}
			if !hasLine(res.Problems, c.problem) {
				t.Errorf("result problems %q lack %q", res.Problems, c.problem)
			}
			raw, err := os.ReadFile(filepath.Join(dir, id, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			var rep workflows.Report
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatal(err)
			}
			if !hasLine(rep.Problems, c.problem) || len(rep.Problems) < len(res.Problems) {
				t.Errorf("report.json problems %q, result's %q; want %q among them", rep.Problems, res.Problems, c.problem)
			}

			id = c.name + "-human"
			code, stdout, stderr = runCLI(t, args(id)...)
			if code != 0 || !strings.Contains(stdout, "report file://") {
				t.Fatalf("exit %d, stdout %q: %s", code, stdout, stderr)
			}
			// (Which frames the decoder flags as concealed varies between
			// runs with its threads, so the lines are not compared with the
			// JSON run's; TestPrintResultProblems checks the format.)
			var lines []string
			for _, l := range strings.Split(stderr, "\n") {
				if p, ok := strings.CutPrefix(l, "source problem: "); ok {
					lines = append(lines, p)
				}
			}
			if !hasLine(lines, c.problem) {
				t.Errorf("stderr has no source problem line with %q:\n%s", c.problem, stderr)
			}
		})
	}
}

// hasLine says whether one of lines contains s.
func hasLine(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// A job's result ends with its source's problems on stderr, one line each,
// and how many more report.json holds; --json carries them in the result.
func TestPrintResultProblems(t *testing.T) {
	res := workflows.Result{Job: "j", Report: "file:///out/report.json", Chunks: 2,
		Problems: []string{"truncated: the container lists 50 frames but the data ends after 29", "missing: source frames 25-49: 2 frames"}, ProblemsMore: 3}
	var stdout, stderr bytes.Buffer
	app := &App{Config: config.Default(), Stdout: &stdout, Stderr: &stderr}
	if err := printResult(app, res, false); err != nil {
		t.Fatal(err)
	}
	want := "source problem: truncated: the container lists 50 frames but the data ends after 29\n" +
		"source problem: missing: source frames 25-49: 2 frames\n" +
		"source problem: 3 more in file:///out/report.json\n"
	if stderr.String() != want || !strings.Contains(stdout.String(), "report file:///out/report.json") {
		t.Errorf("stdout %q, stderr %q; want stderr %q", stdout.String(), stderr.String(), want)
	}
	stdout.Reset()
	stderr.Reset()
	if err := printResult(app, res, true); err != nil {
		t.Fatal(err)
	}
	var back workflows.Result
	if err := json.Unmarshal(stdout.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Problems) != 2 || back.ProblemsMore != 3 || stderr.Len() != 0 {
		t.Errorf("--json: %s (stderr %q)", stdout.String(), stderr.String())
	}
}

// reel encode's job summary says per rendition what was done with the
// source's timing: a variable-rate phone-like MP4 keeps its timestamps
// ("vfr kept"), a constant-rate clip its rate; --json and report.json
// carry the same.
func TestEncodeSummaryTiming(t *testing.T) {
	dir := t.TempDir()
	cfr := filepath.Join(dir, "cfr.mp4")
	ffmpegCLI(t, "-f", "lavfi", "-i", "testsrc2=size=160x96:rate=25", "-frames:v", "30", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", cfr)
	for _, c := range []struct {
		name, src, want string
	}{
		{"vfr", testmedia.Corpus{}.VFRMP4(t), "vfr kept"},
		{"cfr", cfr, "constant rate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := func(id string, extra ...string) []string {
				return append([]string{"encode", c.src, "-o", filepath.Join(dir, id), "--id", id, "--data-dir", filepath.Join(dir, "data"),
					"--rendition", "name=a,preset=ultrafast", "--metrics", "none", "-q"}, extra...)
			}
			code, stdout, stderr := runCLI(t, args(c.name+"-human")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var line string
			for _, l := range strings.Split(stdout, "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "a ") {
					line = l
				}
			}
			if !strings.HasSuffix(line, ", "+c.want) {
				t.Errorf("rendition line %q does not end with %q:\n%s", line, ", "+c.want, stdout)
			}
			code, stdout, stderr = runCLI(t, args(c.name+"-json", "--json")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var res workflows.Result
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatalf("%v: %q", err, stdout)
			}
			if len(res.Renditions) != 1 || res.Renditions[0].Timing != c.want {
				t.Errorf("--json renditions %+v, want timing %q", res.Renditions, c.want)
			}
			raw, err := os.ReadFile(filepath.Join(dir, c.name+"-json", "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			var rep workflows.Report
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Renditions[0].Timing != c.want {
				t.Errorf("report.json timing %q, want %q", rep.Renditions[0].Timing, c.want)
			}
		})
	}
}
