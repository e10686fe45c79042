package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// cliClip makes a 2-second 160x90 clip with audio for the CLI tests.
func cliClip(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.mp4")
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast",
		"-g", "10", "-c:a", "aac", "-shortest", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return p
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestProbeCommand(t *testing.T) {
	in := cliClip(t)
	code, out, errOut := runCLI(t, "probe", "--keyframes", in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"h264 160x90 yuv420p (8-bit)", "25/1", "frames      50", "keyframes   5: 0 10 20 30 40", "audio"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "probe", "--json", in)
	var info struct {
		Video struct {
			FrameCount int64 `json:"frame_count"`
			Width      int   `json:"width"`
		} `json:"video"`
		Streams []json.RawMessage `json:"streams"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info.Video.FrameCount != 50 || info.Video.Width != 160 || len(info.Streams) != 2 {
		t.Fatalf("probe --json: exit %d, %+v\n%s", code, info, out)
	}
	code, _, errOut = runCLI(t, "probe", filepath.Join(t.TempDir(), "missing.mp4"))
	if code != 1 || !strings.Contains(errOut, "missing.mp4") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
	if code, _, _ = runCLI(t, "probe"); code != 2 {
		t.Errorf("no argument: exit %d, want 2", code)
	}
}

func TestEncodeCommand(t *testing.T) {
	in := cliClip(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.mkv")
	code, stdout, errOut := runCLI(t, "encode", in, "-o", out, "--codec", "x265", "--preset", "ultrafast", "--size", "0x46",
		"--frames", "5:30", "--audio", "opus", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Frames int64  `json:"frames"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
		Codec  string `json:"codec"`
		Audio  string `json:"audio"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("json: %v\n%s", err, stdout)
	}
	if res.Frames != 25 || res.Width != 82 || res.Height != 46 || res.Codec != "x265" || res.Audio != "opus" {
		t.Errorf("result %+v", res)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
	// progress goes to stderr as plain lines when not a terminal
	code, stdout, errOut = runCLI(t, "encode", in, "-o", filepath.Join(dir, "b.mp4"), "--preset", "ultrafast")
	if code != 0 || !strings.Contains(stdout, "wrote ") || !strings.Contains(errOut, "encode 50/50 frames") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, errOut)
	}
	// bad requests
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"encode", in}, 2, "missing -o"},
		{[]string{"encode", in, "-o", filepath.Join(dir, "c.mp4"), "--size", "big"}, 2, "--size"},
		{[]string{"encode", in, "-o", filepath.Join(dir, "c.mp4"), "--frames", "9"}, 2, "--frames"},
		{[]string{"encode", in, "-o", filepath.Join(dir, "c.mp4"), "--frames", "900:950"}, 1, "outside the clip (0:50)"},
		{[]string{"encode", in, "-o", filepath.Join(dir, "c.mp4"), "--codec", "mpeg2"}, 1, "unknown codec"},
		{[]string{"encode", in, "-o", filepath.Join(dir, "nodir", "c.mp4")}, 1, "does not exist"},
	} {
		code, _, errOut := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "c.mp4")); err == nil {
		t.Error("failed encode left an output")
	}
}

// A directory OUTPUT without renditions is refused with what to add, and a
// local output that cannot be written is refused before anything runs, on
// both paths, with one line.
func TestEncodeRefusesOutputs(t *testing.T) {
	in := cliClip(t)
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	job := []string{"--rendition", "name=a,crf=30", "--data-dir", filepath.Join(dir, "data")}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a directory", []string{"-o", dir}, 2, "OUTPUT " + dir + " is a directory: to encode renditions into it add --rendition name=720p,size=0x720,crf=23 (once per rendition) or --ladder FILE; to encode one file, name it, e.g. -o " + filepath.Join(dir, "in.mp4")},
		{"a new directory", []string{"-o", filepath.Join(dir, "new") + "/"}, 2, "is a directory: to encode renditions into it add --rendition"},
		{"no extension", []string{"-o", filepath.Join(dir, "out")}, 2, "has no file extension: to encode renditions into it add --rendition"},
		{"a file under /proc", []string{"-o", "/proc/nope.mp4"}, 1, "output /proc/nope.mp4 is not writable: "},
		{"a job under /proc", append([]string{"-o", "/proc/nope/"}, job...), 1, "output /proc/nope is not writable: no such file or directory"},
		{"a job into /sys", append([]string{"-o", "/sys"}, job...), 1, "output /sys is not writable: permission denied"},
		{"a job's work under /proc", append([]string{"-o", filepath.Join(dir, "job"), "--work", "/proc/work"}, job...), 1, "output /proc/work is not writable: "},
		{"a file in a read-only directory", []string{"-o", filepath.Join(ro, "a.mp4")}, 1, "output " + filepath.Join(ro, "a.mp4") + " is not writable: permission denied"},
		{"a job in a read-only directory", append([]string{"-o", filepath.Join(ro, "job")}, job...), 1, "output " + filepath.Join(ro, "job") + " is not writable: permission denied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.Contains(c.name, "read-only") && os.Geteuid() == 0 {
				t.Skip("root writes into a read-only directory; /proc and /sys stand in")
			}
			code, stdout, stderr := runCLI(t, append([]string{"encode", in}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1+btoi(c.code == 2) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and one line with %q", code, stdout, stderr, c.code, c.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("a refused job started the embedded server")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("refused encodes left %v", entries)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
