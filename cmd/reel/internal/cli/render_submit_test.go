package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/internal/testmedia"
)

// submitSeq writes n EXR half frames sh010.%04d.exr from 1001, each
// different, except frame nan (one NaN pixel) and frozen (a copy of the
// frame before it).
func submitSeq(t *testing.T, dir string, n, nan, frozen int) {
	t.Helper()
	const w, h = 96, 54
	for i := 0; i < n; i++ {
		num := 1001 + i
		k := i
		if num == frozen {
			k = i - 1
		}
		err := testmedia.WriteEXR(filepath.Join(dir, fmt.Sprintf("sh010.%04d.exr", num)), w, h, true, func(x, y int) [3]float32 {
			if num == nan && x == 3 && y == 4 {
				return [3]float32{float32(math.NaN()), 0, 0}
			}
			v := float32((x+5*k)%w) / float32(w)
			return [3]float32{v, float32(y) / h, 1 - v}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

type renderQCJSON struct {
	NaN    []int `json:"nan"`
	Frozen []int `json:"frozen"`
	Black  []int `json:"black"`
}

type renderJobJSON struct {
	Job    string `json:"job"`
	Chunks int    `json:"chunks"`
	Result struct {
		Path   string       `json:"path"`
		Frames int          `json:"frames"`
		Slate  bool         `json:"slate"`
		Audio  string       `json:"audio"`
		QC     renderQCJSON `json:"qc"`
	} `json:"result"`
}

// TestRenderSubmitSameAsRun: reel render submit on the embedded server
// makes the movie reel render run makes, frame for frame (and byte for
// byte for ProRes), for ProRes with a slate and burn-ins and for H.264 in
// chunks of a GOP, with the same QC: a NaN frame, and a frozen frame that
// is the first of a chunk (its twin the last of the chunk before).
func TestRenderSubmitSameAsRun(t *testing.T) {
	srv, _, dir := testCluster(t)
	seqDir := filepath.Join(dir, "seq")
	os.Mkdir(seqDir, 0o755)
	// 30 frames; chunks of 12 with the slate: frames 1001-1011, 1012-1023, 1024-1030
	submitSeq(t, seqDir, 30, 1005, 1012)
	pattern := filepath.Join(seqDir, "sh010.####.exr")
	// a sound longer than the 31 frames: trimmed, after a frame of silence
	// under the slate, when the pieces are joined
	wav := filepath.Join(dir, "sound.wav")
	ffmpegCLI(t, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2", wav)
	common := []string{"--audio", wav, "--slate", "--shot", "sh010", "--version", "v003", "--artist", "ana", "--date", "2026-12-07",
		"--burnin", "default", "--threads", "1",
		// render run's picture options reach the pieces too: a 4:3 frame
		// letterboxes the 16:9 frames, a half-opaque 2.39 mask, a chosen
		// slate thumbnail
		"--size", "96x72", "--mask", "2.39:0.5", "--slate-frame", "1020"}
	for _, c := range []struct{ codec, ext string }{{"prores", ".mov"}, {"h264", ".mp4"}} {
		t.Run(c.codec, func(t *testing.T) {
			runOut := filepath.Join(dir, "run-"+c.codec+c.ext)
			subOut := filepath.Join(dir, "submit-"+c.codec+c.ext)
			want := renderRunJSON(t, append([]string{pattern, "-o", runOut, "--codec", c.codec}, common...)...)
			args := append([]string{"render", "submit", pattern, "-o", subOut, "--codec", c.codec, "--chunk-frames", "12", "--wait", "--json",
				"--temporal", srv.Address, "--id", "render-" + c.codec}, common...)
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("render submit: exit %d: %s", code, stderr)
			}
			var got renderJobJSON
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("render submit --json: %v: %s", err, stdout)
			}
			if got.Chunks != 3 || got.Result.Frames != 31 || !got.Result.Slate || got.Result.Path != subOut ||
				got.Result.Audio == "" || got.Result.Audio != want.Result.Audio {
				t.Errorf("result %+v", got)
			}
			if !slices.Equal(got.Result.QC.NaN, []int{1005}) || !slices.Equal(got.Result.QC.Frozen, []int{1012}) ||
				!slices.Equal(want.Result.QC.Frozen, got.Result.QC.Frozen) || len(got.Result.QC.Black) != 0 {
				t.Errorf("QC: submit %+v, run %+v", got.Result.QC, want.Result.QC)
			}
			runSums, subSums := testmedia.FrameMD5s(t, runOut), testmedia.FrameMD5s(t, subOut)
			if len(runSums) != 31 || !slices.Equal(runSums, subSums) {
				for i := range max(len(runSums), len(subSums)) {
					if i >= len(runSums) || i >= len(subSums) || runSums[i] != subSums[i] {
						t.Errorf("frame %d differs (run %d frames, submit %d)", i, len(runSums), len(subSums))
						break
					}
				}
			}
			a, _ := os.ReadFile(runOut)
			b, _ := os.ReadFile(subOut)
			t.Logf("%s: run %d bytes, submit %d bytes, identical: %v", c.codec, len(a), len(b), bytes.Equal(a, b))
			if c.codec == "prores" && !bytes.Equal(a, b) {
				t.Errorf("the ProRes movies differ in bytes")
			}
			if _, err := os.Stat(subOut + ".work"); !os.IsNotExist(err) {
				t.Errorf("the pieces were left behind: %v", err)
			}
		})
	}
}

// TestRenderSubmitBadFrame: a truncated frame fails the job with one line
// naming the file, and leaves no movie and no pieces.
func TestRenderSubmitBadFrame(t *testing.T) {
	srv, _, dir := testCluster(t)
	seqDir := filepath.Join(dir, "seq")
	os.Mkdir(seqDir, 0o755)
	submitSeq(t, seqDir, 20, 0, 0)
	bad := filepath.Join(seqDir, "sh010.1017.exr")
	b, _ := os.ReadFile(bad)
	os.WriteFile(bad, b[:len(b)/2], 0o644)
	outDir := filepath.Join(dir, "out")
	os.Mkdir(outDir, 0o755)
	out := filepath.Join(outDir, "review.mov")
	code, _, stderr := runCLI(t, "render", "submit", seqDir, "-o", out, "--chunk-frames", "8", "--wait", "-q", "--temporal", srv.Address, "--id", "render-bad")
	if code != 1 || !strings.Contains(stderr, "sh010.1017.exr") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	ents, _ := os.ReadDir(outDir)
	for _, e := range ents {
		t.Errorf("left behind: %s", e.Name())
	}
}

// TestRenderSubmitNoWait: without --wait the job ID is printed and the job
// runs on; reel status shows it like an encode job, with its chunks.
func TestRenderSubmitNoWait(t *testing.T) {
	srv, c, dir := testCluster(t)
	seqDir := filepath.Join(dir, "seq")
	os.Mkdir(seqDir, 0o755)
	submitSeq(t, seqDir, 10, 0, 0)
	out := filepath.Join(dir, "review.mov")
	code, stdout, stderr := runCLI(t, "render", "submit", seqDir, "-o", out, "--chunk-frames", "4", "--temporal", srv.Address, "--id", "render-nowait")
	if code != 0 || strings.TrimSpace(stdout) != "render-nowait" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	ctx := context.Background()
	if err := c.GetWorkflow(ctx, "render-nowait", "").Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := movieFrames(t, out); n != 10 {
		t.Errorf("the movie has %d frames, want 10", n)
	}
	code, stdout, _ = runCLI(t, "status", "render-nowait", "--chunks", "--temporal", srv.Address)
	if code != 0 || !strings.Contains(stdout, "phase   done") || !strings.Contains(stdout, "review") || !strings.Contains(stdout, "3/3 chunks") ||
		strings.Count(stdout, "review/") != 3 {
		t.Errorf("status: exit %d:\n%s", code, stdout)
	}
}

// TestRenderSubmitQCStrict: --qc-strict fails the job on the merged QC,
// a frozen frame across a chunk boundary included, naming the frames, and
// writes no movie.
func TestRenderSubmitQCStrict(t *testing.T) {
	srv, _, dir := testCluster(t)
	seqDir := filepath.Join(dir, "seq")
	os.Mkdir(seqDir, 0o755)
	submitSeq(t, seqDir, 10, 0, 1005) // chunks of 4: 1005 starts the second
	outDir := filepath.Join(dir, "out")
	os.Mkdir(outDir, 0o755)
	code, _, stderr := runCLI(t, "render", "submit", seqDir, "-o", filepath.Join(outDir, "review.mov"), "--chunk-frames", "4", "--qc-strict",
		"--wait", "-q", "--temporal", srv.Address, "--id", "render-strict")
	if code != 1 || !strings.Contains(stderr, "frozen 1005") || !strings.Contains(stderr, "no movie written") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	ents, _ := os.ReadDir(outDir)
	for _, e := range ents {
		t.Errorf("left behind: %s", e.Name())
	}
}

// TestRenderSubmitS3NeedsWork: an s3:// output needs --work (the
// pieces' shared directory); submit says so in one line before dialling.
func TestRenderSubmitS3NeedsWork(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "s3://bucket/m.mov"}, "give --work DIR"},
	} {
		args := append([]string{"render", "submit", filepath.Join(dir, "sh.####.exr"), "--temporal", "127.0.0.1:1"}, c.args...)
		code, _, stderr := runCLI(t, args...)
		if code == 0 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, %q; want one line with %q", c.args, code, stderr, c.want)
		}
	}
}

// TestRenderSubmitToS3: with -o s3://, its sound read from S3 too, the
// workers join the pieces in the shared work directory and store the movie
// in one Put: the object equals render run's local movie byte for byte
// (ProRes, PCM sound). A failed render stores nothing.
func TestRenderSubmitToS3(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s3srv := s3test.Start(t)
	srv, err := devserver.Start(ctx, devserver.Config{LogFile: filepath.Join(dir, "temporal.log")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Worker.Concurrency = 2
	cfg.S3 = config.S3{Endpoint: s3srv.Endpoint, Region: s3srv.Region, PathStyle: true, AccessKey: s3srv.AccessKey, SecretKey: s3srv.SecretKey}
	var logs bytes.Buffer
	app := &App{Config: cfg, Stdout: &logs, Stderr: &logs}
	c, err := app.dialTemporal(ctx, srv.Address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	acts, err := app.activities()
	if err != nil {
		t.Fatal(err)
	}
	stop, err := app.startLocalWorker(c, acts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	seqDir := filepath.Join(dir, "seq")
	os.Mkdir(seqDir, 0o755)
	submitSeq(t, seqDir, 20, 0, 0)
	pattern := filepath.Join(seqDir, "sh010.####.exr")
	wav := filepath.Join(dir, "sound.wav")
	ffmpegCLI(t, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1", wav)
	if err := s3srv.PutFile(ctx, "in/sound.wav", wav); err != nil {
		t.Fatal(err)
	}
	common := []string{"--slate", "--burnin", "default", "--threads", "1", "--date", "2026-12-07"}
	runOut := filepath.Join(dir, "run.mov")
	renderRunJSON(t, append([]string{pattern, "-o", runOut, "--audio", wav}, common...)...)

	s3env := []string{"--temporal", srv.Address, "--chunk-frames", "8", "--wait", "--json", "--work", filepath.Join(dir, "work"), "--audio", s3srv.URL("in/sound.wav")}
	args := append(append([]string{"render", "submit", pattern, "-o", s3srv.URL("review/sh010.mov"), "--id", "render-s3"}, s3env...), common...)
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("render submit: exit %d: %s\n%s", code, stderr, logs.String())
	}
	var got renderJobJSON
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.Result.Path != s3srv.URL("review/sh010.mov") || got.Chunks != 3 {
		t.Errorf("result %+v (%v)", got, err)
	}
	st, err := app.storage()
	if err != nil {
		t.Fatal(err)
	}
	readURL := func(u string) []byte {
		obj, err := st.Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		b := make([]byte, obj.Size())
		if _, err := obj.ReadAt(b, 0); err != nil {
			t.Fatal(err)
		}
		return b
	}
	want, err := os.ReadFile(runOut)
	if err != nil {
		t.Fatal(err)
	}
	if b := readURL(s3srv.URL("review/sh010.mov")); !bytes.Equal(b, want) {
		t.Errorf("the stored movie (%d bytes) differs from render run's (%d bytes)", len(b), len(want))
	}

	// A truncated frame: the job fails and the bucket gets no movie.
	bad := filepath.Join(seqDir, "sh010.1015.exr")
	data, _ := os.ReadFile(bad)
	if err := os.WriteFile(bad, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	args = append(append([]string{"render", "submit", pattern, "-o", s3srv.URL("review/bad.mov"), "--id", "render-s3-bad"}, s3env...), common...)
	if code, _, stderr := runCLI(t, args...); code == 0 || !strings.Contains(stderr, "sh010.1015.exr") {
		t.Errorf("a truncated frame: exit %d, %q", code, stderr)
	}
	if _, err := st.Open(ctx, s3srv.URL("review/bad.mov")); err == nil {
		t.Error("a failed render stored a movie")
	}
}
