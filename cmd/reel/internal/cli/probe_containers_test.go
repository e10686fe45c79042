package cli

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// reel probe shows a source's timecode and that an edit list was applied:
// an MP4 with a timecode cut at 0.4 s by stream copy (an edit list hides
// the first 10 of its 50 frames).
func TestProbeCommandTimecodeEditList(t *testing.T) {
	dir := t.TempDir()
	src, cut := filepath.Join(dir, "src.mp4"), filepath.Join(dir, "cut.mp4")
	for _, args := range [][]string{
		{"-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25", "-frames:v", "50", "-c:v", "libx264", "-preset", "ultrafast",
			"-bf", "2", "-g", "25", "-threads", "1", "-timecode", "01:00:00:00", src},
		{"-ss", "0.4", "-i", src, "-c", "copy", cut},
	} {
		if out, err := exec.Command("ffmpeg", append([]string{"-nostdin", "-v", "error", "-y"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg %v: %v\n%s", args, err, out)
		}
	}
	code, out, errOut := runCLI(t, "probe", cut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"frames      40", "edit list   applied", "timecode    01:00:00:00"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "probe", "--json", cut)
	var info struct {
		Video struct {
			FrameCount int64  `json:"frame_count"`
			Timecode   string `json:"timecode"`
			EditList   bool   `json:"edit_list"`
		} `json:"video"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info.Video.FrameCount != 40 || info.Video.Timecode != "01:00:00:00" || !info.Video.EditList {
		t.Fatalf("probe --json: exit %d, %+v\n%s", code, info, out)
	}
}
