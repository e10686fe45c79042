package cli

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/reelmedia/reel/workflows"
)

// threeTrackClip is 2 s of video with three AAC tracks tagged eng, fra, deu.
func threeTrackClip(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.mkv")
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000",
		"-f", "lavfi", "-i", "sine=frequency=880:sample_rate=48000", "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3:a", "-t", "2",
		"-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra", "-metadata:s:a:2", "language=deu",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-c:a", "aac", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return p
}

// audioLangs lists the language tags of path's audio streams.
func audioLangs(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream_tags=language", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// reel probe names each audio stream's language; reel encode keeps the
// track --audio-lang or --audio-track names, or all of them with copy-all,
// and names the languages there are when asked for one that is not.
func TestEncodeAudioTracks(t *testing.T) {
	in := threeTrackClip(t)
	code, out, errOut := runCLI(t, "probe", in)
	if code != 0 {
		t.Fatalf("probe: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"language eng", "language fra", "language deu"} {
		if !strings.Contains(out, want) {
			t.Errorf("probe output lacks %q:\n%s", want, out)
		}
	}
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--audio", "copy-all"}, "eng fra deu"},
		{[]string{"--audio-lang", "fra"}, "fra"},
		{[]string{"--audio-track", "2"}, "deu"},
		{nil, "eng"},
	} {
		o := filepath.Join(dir, strings.Join(append([]string{"out"}, c.args...), "")+".mkv")
		args := append([]string{"encode", in, "-o", o, "-q", "--preset", "ultrafast"}, c.args...)
		if code, _, errOut := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if got := audioLangs(t, o); got != c.want {
			t.Errorf("%v: audio languages %q, want %q", c.args, got, c.want)
		}
	}
	code, _, errOut = runCLI(t, "encode", in, "-o", filepath.Join(dir, "spa.mkv"), "-q", "--audio-lang", "spa")
	if code != 1 || !strings.Contains(errOut, "0 eng, 1 fra, 2 deu") {
		t.Errorf("--audio-lang spa: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "encode", in, "-o", filepath.Join(dir, "both.mkv"), "-q", "--audio-lang", "fra", "--audio-track", "1")
	if code != 2 {
		t.Errorf("--audio-lang with --audio-track: exit %d, stderr %q", code, errOut)
	}
}

// --audio, --audio-track and --audio-lang make the job's AudioPolicy on
// both commands that build a job.
func TestAudioJobFlags(t *testing.T) {
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
			cmd.Flags().StringVar(&ef.audio, "audio", "copy", "")
			addWorkflowEncodeFlags(cmd, &wf)
			return cmd, &wf.jobFlags
		},
	}
	for name, newCmd := range commands {
		for _, c := range []struct {
			args []string
			want workflows.AudioPolicy
		}{
			{[]string{"--audio", "copy-all"}, workflows.AudioPolicy{Mode: "copy-all"}},
			{[]string{"--audio-track", "2"}, workflows.AudioPolicy{Mode: "copy", Track: 2}},
			{[]string{"--audio-lang", "fra"}, workflows.AudioPolicy{Mode: "copy", Language: "fra"}},
		} {
			cmd, jf := newCmd()
			if err := cmd.ParseFlags(append([]string{"--rendition", "name=a"}, c.args...)); err != nil {
				t.Fatal(err)
			}
			job, err := jf.job(cmd, "in.mp4", t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if job.Audio.Mode == "" {
				job.Audio.Mode = "copy"
			}
			if job.Audio != c.want {
				t.Errorf("%s %v: %+v, want %+v", name, c.args, job.Audio, c.want)
			}
		}
	}
	code, _, stderr := runCLI(t, "submit", "in.mp4", "-o", t.TempDir(), "--rendition", "name=a", "--audio", "copy-all", "--audio-lang", "fra")
	if code != 2 || !strings.Contains(stderr, "copy-all") {
		t.Errorf("copy-all with a language: exit %d, stderr %q", code, stderr)
	}
}
