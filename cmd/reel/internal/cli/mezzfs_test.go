package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/config"
	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

// mezzRun runs reel with args and returns stdout, stderr and the exit code.
func mezzRun(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// mezzS3Env points reel's configuration at srv through REEL_* variables.
func mezzS3Env(t *testing.T, srv *s3test.Server) {
	t.Setenv("REEL_S3_ENDPOINT", srv.Endpoint)
	t.Setenv("REEL_S3_PATH_STYLE", "true")
	t.Setenv("REEL_S3_ACCESS_KEY", srv.AccessKey)
	t.Setenv("REEL_S3_SECRET_KEY", srv.SecretKey)
	t.Setenv("REEL_MEZZFS_BLOCK_SIZE", "65536")
}

func mezzData(n int) []byte {
	r := rand.New(rand.NewPCG(42, 42))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestMezzfsStatCatLs(t *testing.T) {
	srv := s3test.Start(t)
	mezzS3Env(t, srv)
	data := mezzData(300_001)
	if err := srv.Put(context.Background(), "mezz/a.bin", data); err != nil {
		t.Fatal(err)
	}
	url := srv.URL("mezz/a.bin")

	out, stderr, code := mezzRun(t, "mezzfs", "stat", "--json", url)
	var inf mezzfs.Info
	if code != 0 || json.Unmarshal([]byte(out), &inf) != nil || inf.Size != int64(len(data)) || inf.ETag == "" {
		t.Fatalf("stat: code %d out %q err %q", code, out, stderr)
	}

	for _, tc := range []struct {
		rng  string
		a, b int
	}{{"", 0, len(data)}, {"10-19", 10, 20}, {"299990-", 299990, len(data)}, {"-5", len(data) - 5, len(data)}, {"0-999999", 0, len(data)}} {
		args := []string{"mezzfs", "cat", url}
		if tc.rng != "" {
			args = append(args, "--range", tc.rng)
		}
		out, stderr, code := mezzRun(t, args...)
		if code != 0 || out != string(data[tc.a:tc.b]) {
			t.Fatalf("cat --range %q: code %d, %d bytes, stderr %q", tc.rng, code, len(out), stderr)
		}
	}
	for _, bad := range []string{"x", "5-2", "-", "400000-"} {
		if _, stderr, code := mezzRun(t, "mezzfs", "cat", url, "--range", bad); code != 2 {
			t.Errorf("cat --range %q: code %d (%s), want usage error", bad, code, stderr)
		}
	}

	missing := srv.URL("mezz/none.bin")
	_, stderr, code = mezzRun(t, "mezzfs", "cat", missing)
	if code != 1 || !strings.Contains(stderr, missing) || !strings.Contains(stderr, "not found") {
		t.Fatalf("cat missing: code %d stderr %q", code, stderr)
	}

	out, _, code = mezzRun(t, "mezzfs", "ls", "--json", srv.URL("mezz/"))
	var entries []mezzfs.Entry
	if code != 0 || json.Unmarshal([]byte(out), &entries) != nil || len(entries) != 1 || entries[0].Name != "a.bin" {
		t.Fatalf("ls: code %d out %q", code, out)
	}
}

func TestOpenSourceURLs(t *testing.T) {
	srv := s3test.Start(t)
	mezzS3Env(t, srv)
	data := mezzData(200_000)
	srv.Put(context.Background(), "in.bin", data)
	path := filepath.Join(t.TempDir(), "in.bin")
	os.WriteFile(path, data, 0o644)
	hs := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(path))))
	defer hs.Close()

	app := &App{Config: config.Default(), Stdout: io.Discard, Stderr: io.Discard}
	app.Config.S3 = config.S3{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
	for _, arg := range []string{srv.URL("in.bin"), "file://" + path, path, hs.URL + "/in.bin"} {
		src, err := app.openSource(context.Background(), arg)
		if err != nil {
			t.Fatalf("openSource(%s): %v", arg, err)
		}
		got := make([]byte, src.Size)
		if n, err := src.R.ReadAt(got, 0); n != len(data) || (err != nil && err != io.EOF) || sha256.Sum256(got) != sha256.Sum256(data) {
			t.Fatalf("%s: read %d, %v", arg, n, err)
		}
		if err := src.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := app.openSource(context.Background(), srv.URL("nope")); !errors.Is(err, mezzfs.ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}
}

func TestMezzfsReplay(t *testing.T) {
	srv := s3test.Start(t)
	mezzS3Env(t, srv)
	data := mezzData(1 << 20)
	srv.Put(context.Background(), "r.bin", data)
	url := srv.URL("r.bin")
	log := filepath.Join(t.TempDir(), "reads.jsonl")
	t.Setenv("REEL_MEZZFS_ACCESS_LOG", log)
	if _, stderr, code := mezzRun(t, "mezzfs", "cat", url, "--range", "0-99999"); code != 0 {
		t.Fatal(stderr)
	}
	t.Setenv("REEL_MEZZFS_ACCESS_LOG", "")

	out, stderr, code := mezzRun(t, "mezzfs", "replay", log, "--against", url, "--block-size", "16KiB", "--read-ahead", "0", "--json")
	if code != 0 {
		t.Fatalf("replay: %d %s", code, stderr)
	}
	var res struct {
		Summary mezzfs.Summary
		Replay  *mezzfs.ReplayResult
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Summary.BytesRequested != 100_000 || res.Summary.BytesFetched != 100_000 || res.Replay == nil ||
		res.Replay.BytesRequested != 100_000 || res.Replay.Stats.Fetches != 7 {
		t.Fatalf("replay result %s", out)
	}
	out, _, code = mezzRun(t, "mezzfs", "replay", log)
	if code != 0 || !strings.Contains(out, "sequential") || !strings.Contains(out, "hottest ranges") {
		t.Fatalf("replay text: %s", out)
	}
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte("{not json\n"), 0o644)
	if _, stderr, code := mezzRun(t, "mezzfs", "replay", bad); code != 1 || !strings.Contains(stderr, "bad.jsonl:1") {
		t.Fatalf("bad log: %d %s", code, stderr)
	}
}

func TestMezzfsMountUnmount(t *testing.T) {
	if _, err := os.Stat("/dev/fuse"); err != nil || os.Geteuid() != 0 {
		t.Skip("needs /dev/fuse and root")
	}
	srv := s3test.Start(t)
	mezzS3Env(t, srv)
	data := mezzData(2 << 20)
	srv.Put(context.Background(), "m/dir/x.bin", data)
	mnt := t.TempDir()
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- Main([]string{"mezzfs", "mount", srv.URL("m/"), mnt}, strings.NewReader(""), io.Discard, &stderr)
	}()
	target := filepath.Join(mnt, "dir", "x.bin")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(target); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mount did not appear: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	got, err := os.ReadFile(target)
	if err != nil || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("read through mount: %v", err)
	}
	// The file shows the object's Last-Modified, not the Unix epoch.
	info, err := mezzfs.NewStorage(mezzfs.Config{S3: mezzfs.S3Config{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}}).Stat(context.Background(), srv.URL("m/dir/x.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(target); err != nil || info.ModTime.IsZero() || !st.ModTime().Equal(info.ModTime) {
		t.Errorf("mtime through the mount %v (%v), want the object's Last-Modified %v", st.ModTime(), err, info.ModTime)
	}
	if _, errOut, code := mezzRun(t, "mezzfs", "unmount", mnt); code != 0 {
		t.Fatalf("unmount: %s", errOut)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("mount exited %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("mount did not exit after unmount")
	}
	if b, _ := os.ReadFile("/proc/mounts"); strings.Contains(string(b), " "+mnt+" ") {
		t.Fatal("still mounted")
	}
	if !strings.Contains(stderr.String(), "unmounted") {
		t.Fatalf("stderr %q", stderr.String())
	}
}

// TestProbeS3 is the point of openSource's URLs: FFmpeg reads a mezzanine
// in object storage by byte range, with no local copy.
func TestProbeS3(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatal("ffmpeg CLI not found; run scripts/deps.sh")
	}
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	gen := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	srv := s3test.Start(t)
	mezzS3Env(t, srv)
	if err := srv.PutFile(context.Background(), "clips/clip.mp4", clip); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := mezzRun(t, "probe", "--json", srv.URL("clips/clip.mp4"))
	if code != 0 {
		t.Fatalf("reel probe s3://: code %d: %s", code, stderr)
	}
	var info struct {
		Streams []struct {
			Type       string `json:"type"`
			FrameCount int64  `json:"frame_count"`
		} `json:"streams"`
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"frame_count": 50`) {
		t.Fatalf("probe output lacks 50 frames:\n%s", out)
	}
}

// TestWorkerKeepsAccessLog: the worker's activities get their storage from
// the same configuration mapping as the commands, so mezzfs.access_log
// records what a worker reads too.
func TestWorkerKeepsAccessLog(t *testing.T) {
	clip := cliClip(t)
	logPath := filepath.Join(t.TempDir(), "reads.jsonl")
	app := &App{Config: config.Default(), Stdout: io.Discard, Stderr: io.Discard}
	app.Config.DataDir = t.TempDir()
	app.Config.Mezzfs.AccessLog = logPath
	acts, err := app.activities()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acts.Probe(context.Background(), clip, workflows.ProbeOptions{}); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	if err := app.closeStorage(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := mezzfs.ReadLog(f, logPath)
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	for _, r := range recs {
		if r.Op == mezzfs.OpRead && strings.HasSuffix(r.URL, "/in.mp4") {
			reads++
		}
	}
	if reads == 0 {
		t.Fatalf("the worker's probe of %s left no reads in the access log (%d records)", clip, len(recs))
	}
}
