package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reelmedia/reel/internal/s3test"
)

// TestRenderRunExtras: --size with letterbox, --mask, --slate with
// --slate-frame and --audio (a WAV, muxed as PCM) through the CLI, and
// bad values of the new flags.
func TestRenderRunExtras(t *testing.T) {
	dir := t.TempDir()
	renderSeq(t, dir, "sh030", "png", "rgb24", 1001, 12)
	wav := filepath.Join(dir, "sound.wav")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=2", wav).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	out := filepath.Join(dir, "review.mov")
	code, stdout, errOut := runCLI(t, "render", "run", filepath.Join(dir, "sh030.####.png"), "-o", out, "--json", "--size", "160x120",
		"--mask", "2.39:0.5", "--slate", "--slate-frame", "1004", "--audio", wav)
	var r struct {
		Result struct {
			Width, Height, Frames int
			Audio                 string
		}
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &r) != nil {
		t.Fatalf("exit %d: %s\n%s", code, errOut, stdout)
	}
	if r.Result.Width != 160 || r.Result.Height != 120 || r.Result.Frames != 13 || r.Result.Audio != "pcm_s24le" {
		t.Errorf("%+v", r.Result)
	}
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,duration", "-of", "csv=p=0", out).Output()
	if err != nil || !strings.Contains(string(probe), "pcm_s24le,0.541667") {
		t.Errorf("probe: %v %s (want a 13/24 s PCM track)", err, probe)
	}
	for _, args := range [][]string{
		{"--fit", "zoom"},
		{"--mask", "wide"},
		{"--mask", "2.39:2"},
		{"--slate-frame", "1004"},
		{"--slate", "--slate-frame", "2000"},
		{"--audio", filepath.Join(dir, "none.wav")},
	} {
		code, _, errOut := runCLI(t, append([]string{"render", "run", filepath.Join(dir, "sh030.####.png"), "-o", filepath.Join(dir, "x.mov"), "-q"}, args...)...)
		if code != 1 || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
	noMoviesExcept(t, dir, "review.mov")
}

// TestRenderRunS3Output: -o s3://bucket/key.mov stores the movie there
// (its sound read from S3 too, --audio s3://...); a
// failed render stores nothing at the key.
func TestRenderRunS3Output(t *testing.T) {
	srv := s3test.Start(t)
	mezzS3Env(t, srv)
	dir := t.TempDir()
	renderSeq(t, dir, "sh040", "png", "rgb24", 1001, 6)
	ctx := context.Background()
	wav := filepath.Join(dir, "mix.wav")
	if out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=1", wav).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	if err := srv.PutFile(ctx, "sound/mix.wav", wav); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := runCLI(t, "render", "run", filepath.Join(dir, "sh040.####.png"), "-o", srv.URL("reviews/sh040_v001.mov"),
		"--audio", srv.URL("sound/mix.wav"), "--json")
	var r struct{ Result struct{ Path, Audio string } }
	if code != 0 || json.Unmarshal([]byte(stdout), &r) != nil {
		t.Fatalf("exit %d: %s\n%s", code, errOut, stdout)
	}
	if r.Result.Path != srv.URL("reviews/sh040_v001.mov") || r.Result.Audio != "pcm_s24le" {
		t.Errorf("%+v", r.Result)
	}
	key := "reviews/sh040_v001.mov"
	obj, err := srv.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: &srv.Bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(dir, "got.mov")
	f, _ := os.Create(local)
	_, err = f.ReadFrom(obj.Body)
	obj.Body.Close()
	f.Close()
	if err != nil || movieFrames(t, local) != 6 {
		t.Fatalf("stored movie: %v, %d frames", err, movieFrames(t, local))
	}

	os.WriteFile(filepath.Join(dir, "sh040.1003.png"), nil, 0o644)
	code, _, errOut = runCLI(t, "render", "run", filepath.Join(dir, "sh040.####.png"), "-o", srv.URL("reviews/bad.mov"), "-q")
	if code != 1 || !strings.Contains(errOut, "sh040.1003.png") {
		t.Errorf("zero-byte frame: exit %d, %q", code, errOut)
	}
	bad := "reviews/bad.mov"
	if _, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: &srv.Bucket, Key: &bad}); err == nil {
		t.Errorf("a failed render stored %s", bad)
	}
	list, err := srv.Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &srv.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list.Contents {
		if *o.Key != key && *o.Key != "sound/mix.wav" {
			t.Errorf("left in the bucket: %s", *o.Key)
		}
	}
}
