package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/internal/testmedia"
)

// renderSeq writes n frames name.%04d.ext from start with the ffmpeg CLI.
func renderSeq(t *testing.T, dir, name, ext, pixFmt string, start, n int) {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=160x90:r=24", "-frames:v", fmt.Sprint(n),
		"-pix_fmt", pixFmt, "-start_number", fmt.Sprint(start), filepath.Join(dir, name+".%04d."+ext)).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
}

type renderJSON struct {
	Pattern string `json:"pattern"`
	Range   string `json:"range"`
	Missing []int  `json:"missing"`
	Result  struct {
		Path   string `json:"path"`
		Frames int    `json:"frames"`
		PixFmt string `json:"pix_fmt"`
		Audio  string `json:"audio"`
		QC     struct {
			Black  []int `json:"black"`
			Frozen []int `json:"frozen"`
		} `json:"qc"`
	} `json:"result"`
}

func renderRunJSON(t *testing.T, args ...string) renderJSON {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"render", "run", "--json"}, args...)...)
	var r renderJSON
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("render run %v: exit %d: %s\n%s", args, code, errOut, out)
	}
	return r
}

// movieFrames counts a movie's frames with ffprobe.
func movieFrames(t *testing.T, path string) int {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var n int
	fmt.Sscan(strings.TrimSpace(string(out)), &n)
	return n
}

func noMovies(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if ext := filepath.Ext(e.Name()); ext == ".mov" || ext == ".mp4" || ext == ".part" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestRenderRunPolicies: a DPX sequence from 1001 with frame 1004 missing
// fails by default naming it and leaves no movie; black and hold give the
// whole range.
func TestRenderRunPolicies(t *testing.T) {
	dir := t.TempDir()
	renderSeq(t, dir, "sh010_v003", "dpx", "gbrp10le", 1001, 8)
	os.Remove(filepath.Join(dir, "sh010_v003.1004.dpx"))
	out := filepath.Join(dir, "review.mov")

	code, _, errOut := runCLI(t, "render", "run", dir, "-o", out, "-q")
	if code != 1 || !strings.Contains(errOut, "missing frames 1004 (1 of 8") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("missing frame: exit %d, %q", code, errOut)
	}
	noMovies(t, dir)

	for _, pol := range []string{"black", "hold"} {
		r := renderRunJSON(t, filepath.Join(dir, "sh010_v003.####.dpx"), "-o", out, "--on-missing", pol)
		if r.Range != "1001-1008" || !slices.Equal(r.Missing, []int{1004}) || r.Result.Frames != 8 || r.Result.PixFmt != "yuv422p10le" {
			t.Errorf("%s: %+v", pol, r)
		}
		if n := movieFrames(t, out); n != 8 {
			t.Errorf("%s: the movie has %d frames, want 8", pol, n)
		}
	}
}

// TestRenderRunRangesAndDetect: a PNG sequence from 1 with a step, a
// directory holding two sequences, a pattern that matches nothing, a bad
// pattern and range.
func TestRenderRunRangesAndDetect(t *testing.T) {
	dir := t.TempDir()
	renderSeq(t, dir, "plate", "png", "rgb24", 1, 10)
	out := filepath.Join(dir, "r.mp4")
	r := renderRunJSON(t, filepath.Join(dir, "plate.%04d.png"), "-o", out, "--frames", "1-9x2", "--codec", "h264", "--slate", "--burnin", "default", "--shot", "sh010")
	if r.Range != "1-9x2" || r.Result.Frames != 6 || movieFrames(t, out) != 6 {
		t.Errorf("steps with a slate: %+v", r)
	}

	renderSeq(t, dir, "other", "png", "rgb24", 5, 2)
	code, _, errOut := runCLI(t, "render", "run", dir, "-o", filepath.Join(dir, "x.mov"), "-q")
	if code != 1 || !strings.Contains(errOut, "plate.%04d.png (1-10, 10 frames)") || !strings.Contains(errOut, "other.%04d.png (5-6, 2 frames)") {
		t.Errorf("two sequences: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCLI(t, "render", "run", filepath.Join(dir, "nothing.####.exr"), "-o", filepath.Join(dir, "x.mov"), "-q")
	if code != 1 || !strings.Contains(errOut, "nothing.%04d.exr") || !strings.Contains(errOut, "no frames") {
		t.Errorf("nothing matches: exit %d, %q", code, errOut)
	}
	for _, args := range [][]string{
		{filepath.Join(dir, "plate.####.####.png")},
		{filepath.Join(dir, "plate.####.png"), "--frames", "9-1"},
		{filepath.Join(dir, "plate.####.png"), "--burnin", "middle={frame}"},
		{filepath.Join(dir, "plate.####.png"), "--on-missing", "skip"},
	} {
		code, _, errOut := runCLI(t, append([]string{"render", "run", "-o", filepath.Join(dir, "x.mov"), "-q"}, args...)...)
		if code != 1 || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
	if code, _, _ := runCLI(t, "render", "run", dir); code != 2 {
		t.Errorf("no -o: exit %d, want 2", code)
	}
	noMoviesExcept(t, dir, "r.mp4")
}

func noMoviesExcept(t *testing.T, dir, keep string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if ext := filepath.Ext(e.Name()); (ext == ".mov" || ext == ".mp4" || ext == ".part") && e.Name() != keep {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestRenderRunQC: a black EXR frame and a duplicated one are listed; with
// --qc-strict the render fails and leaves no movie.
func TestRenderRunQC(t *testing.T) {
	dir := t.TempDir()
	for n := 1001; n <= 1005; n++ {
		v := float32(n-1000) / 10
		if n == 1003 {
			v = 0
		}
		if n == 1005 {
			v = 0.4 // as 1004
		}
		if err := testmedia.WriteEXR(filepath.Join(dir, fmt.Sprintf("c.%04d.exr", n)), 64, 32, true, func(x, y int) [3]float32 { return [3]float32{v, v, v} }); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "qc.mov")
	r := renderRunJSON(t, filepath.Join(dir, "c.@@@@.exr"), "-o", out)
	if !slices.Equal(r.Result.QC.Black, []int{1003}) || !slices.Equal(r.Result.QC.Frozen, []int{1005}) {
		t.Errorf("QC %+v", r.Result.QC)
	}
	code, stdout, _ := runCLI(t, "render", "run", filepath.Join(dir, "c.@@@@.exr"), "-o", out)
	if code != 0 || !strings.Contains(stdout, "qc        black 1003; frozen 1005") {
		t.Errorf("summary: exit %d\n%s", code, stdout)
	}
	os.Remove(out)
	code, _, errOut := runCLI(t, "render", "run", filepath.Join(dir, "c.@@@@.exr"), "-o", out, "--qc-strict", "-q")
	if code != 1 || !strings.Contains(errOut, "black 1003; frozen 1005") {
		t.Errorf("--qc-strict: exit %d, %q", code, errOut)
	}
	noMovies(t, dir)
}

// TestRenderRunS3: the frames in a bucket, read through mezzfs.
func TestRenderRunS3(t *testing.T) {
	srv := s3test.Start(t)
	mezzS3Env(t, srv)
	dir := t.TempDir()
	renderSeq(t, dir, "sh020", "tif", "rgb48le", 1001, 4)
	for n := 1001; n <= 1004; n++ {
		name := fmt.Sprintf("sh020.%04d.tif", n)
		if err := srv.PutFile(context.Background(), "renders/sh020/v001/"+name, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	srv.Put(context.Background(), "renders/sh020/v001/deeper/sh020.2000.tif", []byte("not in the directory"))
	out := filepath.Join(dir, "s3.mov")
	r := renderRunJSON(t, srv.URL("renders/sh020/v001/"), "-o", out)
	if r.Range != "1001-1004" || r.Result.Frames != 4 || !strings.HasPrefix(r.Pattern, "s3://") {
		t.Errorf("%+v", r)
	}
	srv.Put(context.Background(), "renders/sh020/v001/sh020.1003.tif", nil)
	code, _, errOut := runCLI(t, "render", "run", srv.URL("renders/sh020/v001/sh020.####.tif"), "-o", filepath.Join(dir, "bad.mov"), "-q")
	if code != 1 || !strings.Contains(errOut, "sh020.1003.tif") || !strings.Contains(errOut, "empty") {
		t.Errorf("zero-byte frame in S3: exit %d, %q", code, errOut)
	}
}
