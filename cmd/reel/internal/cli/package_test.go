package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/mezzfs"
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
	if code, _, errOut := runCLI(t, "package", a, "-o", "http://host/pkg"); code != 2 || !strings.Contains(errOut, "want a local directory, a file:// URL or an s3://bucket/prefix") {
		t.Errorf("http output: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "package", a, "-o", out, "--formats", "smooth"); code != 2 || !strings.Contains(errOut, `package format "smooth"`) {
		t.Errorf("--formats smooth: exit %d, %q", code, errOut)
	}
}

// reel package -o s3://... uploads the same files a local package has,
// replacing an older package there (its leftover segments removed), and
// --formats hls leaves out the MPD.
func TestPackageCommandS3(t *testing.T) {
	srv := s3test.Start(t)
	mezzS3Env(t, srv)
	ctx := context.Background()
	a, b := packRung(t, 320, 180, 2), packRung(t, 160, 90, 2)
	local := filepath.Join(t.TempDir(), "pkg")
	if code, _, errOut := runCLI(t, "package", "--segment", "2s", a, b, "-o", local); code != 0 {
		t.Fatalf("local: exit %d: %s", code, errOut)
	}
	for _, k := range []string{"title/pkg/v0/seg-00099.m4s", "title/pkg/master.m3u8"} {
		if err := srv.Put(ctx, k, []byte("an older package")); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, errOut := runCLI(t, "package", "--json", "--segment", "2s", a, b, "-o", srv.URL("title/pkg/"))
	if code != 0 {
		t.Fatalf("s3: exit %d: %s", code, errOut)
	}
	var res pack.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.Dir != srv.URL("title/pkg") || len(res.Video) != 2 || res.Video[0].Bandwidth == 0 {
		t.Errorf("result %+v", res)
	}
	st, err := mezzfs.NewStorage(mezzfs.Config{S3: mezzfs.S3Config{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}}).Store(ctx, srv.URL("title/pkg"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	filepath.WalkDir(local, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(local, p)
			want = append(want, filepath.ToSlash(rel))
		}
		return err
	})
	var got []string
	for _, o := range objs {
		got = append(got, o.Key)
		w, err := os.ReadFile(filepath.Join(local, filepath.FromSlash(o.Key)))
		if err != nil {
			t.Errorf("%s: not in the local package: %v", o.Key, err)
			continue
		}
		if g, err := st.GetBytes(ctx, o.Key); err != nil || !bytes.Equal(g, w) {
			t.Errorf("%s: differs from the local package (%v)", o.Key, err)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("objects %v\nwant %v", got, want)
	}

	code, stdout, errOut = runCLI(t, "package", "--formats", "hls", a, b, "-o", srv.URL("title/hls"))
	if code != 0 || !strings.Contains(stdout, "hls      master.m3u8") || strings.Contains(stdout, "dash") {
		t.Fatalf("--formats hls: exit %d: %s%s", code, stdout, errOut)
	}
	if _, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: &srv.Bucket, Key: ptr("title/hls/manifest.mpd")}); err == nil {
		t.Error("--formats hls uploaded an MPD")
	}
}

func ptr[T any](v T) *T { return &v }
