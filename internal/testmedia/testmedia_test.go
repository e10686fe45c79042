package testmedia

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckSeeds(t *testing.T) {
	cases := []struct {
		args []string
		bad  string // the source named in the error; "" when seeded
	}{
		{[]string{"-f", "lavfi", "-i", "testsrc2=s=64x48:r=25"}, ""},
		{[]string{"-f", "lavfi", "-i", "gradients=s=64x48:r=25:speed=0.03"}, "gradients"},
		{[]string{"-f", "lavfi", "-i", "gradients=s=64x48:r=25:seed=7"}, "gradients"}, // colours still random
		{[]string{"-f", "lavfi", "-i", "gradients=s=64x48:r=25:seed=7:c0=red:c1=blue"}, ""},
		{[]string{"-f", "lavfi", "-i", "gradients=s=64x48:seed=7:n=3:c0=red:c1=blue"}, "gradients"},
		{[]string{"-f", "lavfi", "-i", "color=c=random:s=64x48"}, "color"},
		{[]string{"-f", "lavfi", "-i", "gradients"}, "gradients"},
		{[]string{"-f", "lavfi", "-i", "life=s=64x48:mold=10:life_color=#00ff00"}, "life"},
		{[]string{"-f", "lavfi", "-i", "life=s=64x48:random_seed=3"}, ""},
		{[]string{"-f", "lavfi", "-i", "cellauto=s=64x48:rule=110"}, "cellauto"},
		{[]string{"-f", "lavfi", "-i", "sierpinski=s=64x48"}, "sierpinski"},
		{[]string{"-f", "lavfi", "-i", "anoisesrc=d=1:seed=4"}, ""},
		{[]string{"-vf", "scale=32:24,noise=alls=20:allf=t"}, "noise"},
		{[]string{"-vf", "noise=alls=20:all_seed=5,format=yuv420p"}, ""},
		{[]string{"-filter_complex", "testsrc2=s=64x48[a];gradients=s=64x48:seed=1:c0=red:c1=blue[b];[a][b]concat[out]"}, ""},
		{[]string{"-filter_complex", "testsrc2=s=64x48[a];gradients=s=64x48[b];[a][b]concat[out]"}, "gradients"},
		{[]string{"-filter_complex", "[0]split[a][b];[b]cellauto=rule=30[c]"}, "cellauto"},
		{[]string{"-c:v", "libx264", "-x264-params", "keyint=25"}, ""},
	}
	for _, c := range cases {
		err := CheckSeeds(c.args)
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("%q: %v", c.args, err)
		case c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)):
			t.Errorf("%q: got %v, want an error naming %s", c.args, err, c.bad)
		}
	}
}

// TestFileIsDeterministic generates the same seeded clip into two empty
// caches and wants the same bytes: with a fixed seed and thread count, a
// command line names one file on every machine. It also checks that the
// cache key follows the command line.
func TestFileIsDeterministic(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg CLI not installed (make deps installs it)")
	}
	args := []string{"-f", "lavfi", "-i", "gradients=s=160x90:r=25:speed=0.05:seed=11:c0=0x3050a0:c1=0xe0c040", "-frames:v", "30",
		"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"}
	var files [][]byte
	var paths []string
	for i := 0; i < 2; i++ {
		t.Setenv(CacheEnv, t.TempDir())
		p := File(t, "det", "mp4", args...)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files, paths = append(files, b), append(paths, filepath.Base(p))
	}
	if paths[0] != paths[1] {
		t.Errorf("same command, different cache names: %s, %s", paths[0], paths[1])
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Errorf("the same seeded command made different files (%d and %d bytes)", len(files[0]), len(files[1]))
	}
	other := File(t, "det", "mp4", append(args[:len(args):len(args)], "-crf", "30")...)
	if filepath.Base(other) == paths[1] {
		t.Errorf("a different command line hit the same cache entry %s", other)
	}
}
