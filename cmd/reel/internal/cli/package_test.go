package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/pack"
)

// packRung is a 6 s, 24 fps x264 rung with AAC audio, a keyframe every
// keyEvery seconds.
func packRung(t *testing.T, w, h, keyEvery int) string {
	t.Helper()
	return testmedia.File(t, fmt.Sprintf("cli-pack-%dx%d-k%d", w, h, keyEvery), "mp4",
		"-f", "lavfi", "-i", "testsrc2=s=320x180:r=24:d=6",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=6",
		"-vf", fmt.Sprintf("scale=%d:%d", w, h), "-pix_fmt", "yuv420p",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-x264-params", "scenecut=0",
		"-force_key_frames", fmt.Sprintf("expr:gte(t,n_forced*%d)", keyEvery),
		"-c:a", "aac", "-b:a", "64k", "-shortest")
}

func TestPackageCommand(t *testing.T) {
	a, b := packRung(t, 320, 180, 2), packRung(t, 160, 90, 2)
	out := filepath.Join(t.TempDir(), "pkg")
	code, stdout, errOut := runCLI(t, "package", "--json", "--segment", "2s", a, b, "-o", "file://"+out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res pack.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Video) != 2 || len(res.Audio) != 1 || len(res.Video[0].Segments) != 3 || res.Video[1].Source != b {
		t.Fatalf("result %+v", res)
	}
	for _, f := range []string{"master.m3u8", "manifest.mpd", "v1/seg-00003.m4s", "a0/media.m3u8"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}

	bad := packRung(t, 160, 90, 3) // keyframes at 0 and 3 s: none at 4 s (frame 96), the default segment end
	code, _, errOut = runCLI(t, "package", a, bad, "-o", filepath.Join(t.TempDir(), "bad"))
	if code != 1 || !strings.Contains(errOut, "no keyframe at frame 96") || !strings.Contains(errOut, bad) {
		t.Errorf("misaligned: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "package", a, "-o", "s3://bucket/pkg"); code != 2 || !strings.Contains(errOut, "package locally") {
		t.Errorf("s3 output: exit %d, %q", code, errOut)
	}
}
