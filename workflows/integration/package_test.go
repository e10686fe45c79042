package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/reelmedia/reel/internal/devserver"
	"github.com/reelmedia/reel/internal/s3test"
	"github.com/reelmedia/reel/mezzfs"
	"github.com/reelmedia/reel/workflows"
)

const (
	packFPS     = 25
	packSeconds = 7
	packFrames  = packFPS * packSeconds // 175: three 2 s segments and a 1 s tail
	packSegment = 2.0
)

// packageJob is three x264 rungs with the source's audio, packaged as HLS
// and DASH in 2 s segments, unscored (the package is what is tested). The
// 3 s chunk target and r180's 30-frame GOP would put keyframes off the
// segment boundaries (chunks at 0, 75, 150; a keyframe at 30) if packaging
// did not cut chunks on whole segments and make the GOPs divide them.
func packageJob(source, output string) workflows.Job {
	r := func(name string, w, h int) workflows.Rendition {
		return workflows.Rendition{Name: name, Width: w, Height: h, Codec: "x264", CRF: 30, Preset: "veryfast", Threads: 1}
	}
	job := workflows.Job{
		Source:     source,
		Output:     output,
		Renditions: []workflows.Rendition{r("r240", 320, 240), r("r180", 240, 180), r("r120", 160, 120)},
		Chunking:   workflows.ChunkPolicy{TargetSeconds: 3},
		Quality:    workflows.QualityPolicy{Metrics: []string{"none"}},
		Timeouts:   workflows.ActivityTiming{HeartbeatSeconds: 10},
		Package:    workflows.PackagePolicy{Formats: []string{"hls", "dash"}, SegmentSeconds: packSegment},
	}
	job.Renditions[1].GOP = 30
	return job
}

// A job with --package hls,dash to a local directory: the ffmpeg CLI reads
// the HLS master and the DASH MPD and decodes every rung to the source's
// frame count; every rung has a keyframe on each 2 s boundary; segments
// last 2 s within a frame; the report's BANDWIDTH is the master's.
func TestPackageJobFile(t *testing.T) {
	_, c := startServer(t, devserver.Config{})
	startWorker(t, c, &workflows.Activities{TempDir: t.TempDir(), Threads: 1})
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mp4")
	makeClip(t, src, 320, 240, packFPS, packSeconds, true)
	outDir := filepath.Join(dir, "out")
	res := runJob(t, c, "itest-package-file", packageJob(src, fileURL(outDir)))

	if res.Package == nil || res.Package.URL != fileURL(filepath.Join(outDir, "package")) || res.Package.HLS == "" || res.Package.DASH == "" {
		t.Fatalf("result's package %+v", res.Package)
	}
	out, err := mezzfs.NewFileStore(outDir)
	if err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, out)
	for _, r := range rep.Renditions {
		if r.Profile.GOP != packFPS*packSegment {
			t.Errorf("%s: GOP %d, want one segment (%d frames)", r.Name, r.Profile.GOP, int(packFPS*packSegment))
		}
	}
	checkPackage(t, filepath.Join(outDir, "package"), rep)
	t.Logf("package: %d files, %d bytes in %.2f s", rep.Package.Files, rep.Package.Bytes, rep.Package.Seconds)
	for _, v := range rep.Package.Video {
		t.Logf("  %s %s %dx%d: %d segments (%.3f-%.3f s), BANDWIDTH %d, AVERAGE-BANDWIDTH %d", v.Rendition, v.ID, v.Width, v.Height,
			v.Segments, v.ShortestSegment, v.LongestSegment, v.Bandwidth, v.AverageBandwidth)
	}
	for _, a := range rep.Package.Audio {
		t.Logf("  %s %s %q: %d segments, %.0f b/s", a.ID, a.Codec, a.Language, a.Segments, a.AverageBitrate)
	}
	if entries, _ := os.ReadDir(outDir); len(entries) != 5 { // 3 rungs, report.json, package/
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("output directory holds %v", names)
	}
}

// The same job with its outputs in S3 (versitygw): the package is uploaded
// under <output>/package/; the ffmpeg CLI plays it over HTTP from
// versitygw (the prefix made public-read), and the downloaded copy passes
// the same checks as a local package.
func TestPackageJobS3(t *testing.T) {
	s3srv := s3test.Start(t)
	_, c := startServer(t, devserver.Config{})
	storage := mezzfs.NewStorage(mezzfs.Config{S3: mezzfs.S3Config{Endpoint: s3srv.Endpoint, Region: s3srv.Region, PathStyle: true, AccessKey: s3srv.AccessKey, SecretKey: s3srv.SecretKey}})
	startWorker(t, c, &workflows.Activities{TempDir: t.TempDir(), Threads: 1, Storage: storage})
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mp4")
	makeClip(t, src, 320, 240, packFPS, packSeconds, true)
	ctx := context.Background()
	if err := s3srv.PutFile(ctx, "mezz/src.mp4", src); err != nil {
		t.Fatal(err)
	}
	job := packageJob(s3srv.URL("mezz/src.mp4"), s3srv.URL("jobs/pkg"))
	job.Work = s3srv.URL("work")
	res := runJob(t, c, "itest-package-s3", job)
	if res.Package == nil || res.Package.URL != s3srv.URL("jobs/pkg/package") || res.Package.HLS != s3srv.URL("jobs/pkg/package/master.m3u8") {
		t.Fatalf("result's package %+v", res.Package)
	}
	out, err := storage.Store(ctx, s3srv.URL("jobs/pkg"))
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "package")
	keys := listKeys(t, out, "package/")
	if len(keys) != res.Package.Files {
		t.Errorf("%d objects under package/, the result says %d", len(keys), res.Package.Files)
	}
	for _, k := range keys {
		if _, err := out.Get(ctx, k, filepath.Join(local, strings.TrimPrefix(k, "package/"))); err != nil {
			t.Fatal(err)
		}
	}
	checkPackage(t, local, readReport(t, out))

	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` +
		s3srv.Bucket + `/jobs/pkg/package/*"]}]}`
	if _, err := s3srv.Client().PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &s3srv.Bucket, Policy: &policy}); err != nil {
		t.Fatal(err)
	}
	playPackage(t, s3srv.Endpoint+"/"+s3srv.Bucket+"/jobs/pkg/package")
}

// A rung whose keyframes miss a segment boundary is refused naming the rung
// and the frame, and no manifest (nothing at all in S3) is written, by the
// Package activity on a local and on an S3 output.
func TestPackageRefusesMisalignedRung(t *testing.T) {
	s3srv := s3test.Start(t)
	storage := mezzfs.NewStorage(mezzfs.Config{S3: mezzfs.S3Config{Endpoint: s3srv.Endpoint, Region: s3srv.Region, PathStyle: true, AccessKey: s3srv.AccessKey, SecretKey: s3srv.SecretKey}})
	acts := &workflows.Activities{TempDir: t.TempDir(), Threads: 1, Storage: storage}
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.mp4"), filepath.Join(dir, "bad.mp4")
	makeGOPClip(t, good, 50) // keyframes every 2 s
	makeGOPClip(t, bad, 30)  // keyframes at 0, 30, 60: none at frame 50
	ctx := context.Background()
	for _, out := range []string{fileURL(filepath.Join(dir, "out")), s3srv.URL("jobs/bad")} {
		st, err := storage.Store(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{good, bad} {
			if _, err := st.Put(ctx, filepath.Base(f), f); err != nil {
				t.Fatal(err)
			}
		}
		_, err = acts.Package(ctx, workflows.PackageTask{
			Job: "itest-misaligned", Output: out, Renditions: []string{"good", "bad"}, Keys: []string{"good.mp4", "bad.mp4"},
			Package: workflows.PackagePolicy{Formats: []string{"hls", "dash"}, SegmentSeconds: packSegment},
		})
		if err == nil || !strings.Contains(err.Error(), "rung v1 ("+st.URL("bad.mp4")+") has no keyframe at frame 50") {
			t.Errorf("%s: misaligned rung: %v", out, err)
		}
		if left := listKeys(t, st, "package/"); len(left) != 0 {
			t.Errorf("%s: written despite the misaligned rung: %v", out, left)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "package")); !os.IsNotExist(err) {
		t.Errorf("local package directory: %v", err)
	}
}

// makeGOPClip writes a 320x240 x264 clip of packFrames frames with AAC
// audio and a keyframe every gop frames exactly.
func makeGOPClip(t *testing.T, path string, gop int) {
	t.Helper()
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=320x240:rate=%d:duration=%d", packFPS, packSeconds),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", packSeconds), "-c:a", "aac",
		"-c:v", "libx264", "-preset", "veryfast", "-g", fmt.Sprint(gop), "-keyint_min", fmt.Sprint(gop), "-sc_threshold", "0",
		"-pix_fmt", "yuv420p", "-threads", "1", "-shortest", path}
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
}

// checkPackage plays a job's package in dir with the ffmpeg CLI and checks
// it against the report.
func checkPackage(t *testing.T, dir string, rep workflows.Report) {
	t.Helper()
	p := rep.Package
	if p == nil || len(p.Video) != 3 || len(p.Audio) != 1 {
		t.Fatalf("report's package %+v", p)
	}
	for i, v := range p.Video {
		r := rep.Renditions[i]
		if v.Rendition != r.Name || v.Width != r.Profile.Width || v.Height != r.Profile.Height || v.Segments != 4 {
			t.Errorf("package track %d: %+v, rendition %s %dx%d", i, v, r.Name, r.Profile.Width, r.Profile.Height)
		}
	}

	playPackage(t, dir)

	// Each rung's media playlist: segments of 2 s within a frame but the
	// last, and a keyframe on every boundary as ffprobe sees the packets.
	master, err := os.ReadFile(filepath.Join(dir, "master.m3u8"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range p.Video {
		playlist := filepath.Join(dir, v.Playlist)
		durs := extinf(t, playlist)
		if len(durs) != 4 {
			t.Fatalf("%s: %d segments, want 4", v.Playlist, len(durs))
		}
		for i, d := range durs[:len(durs)-1] {
			if math.Abs(d-packSegment) > 1.0/packFPS {
				t.Errorf("%s: segment %d lasts %.4f s, want %.1f s within a frame", v.Playlist, i+1, d, packSegment)
			}
		}
		keys, first := keyframeTimes(t, playlist)
		for b := first; b < first+packSeconds; b += packSegment {
			if !slices.ContainsFunc(keys, func(k float64) bool { return math.Abs(k-b) < 0.5/packFPS }) {
				t.Errorf("%s: no keyframe at %.1f s (keyframes at %v)", v.Playlist, b, keys)
			}
		}
		// The report's BANDWIDTH is the master's, and a real bound: at
		// least the peak segment's video bitrate.
		want := fmt.Sprintf("BANDWIDTH=%d,AVERAGE-BANDWIDTH=%d,", v.Bandwidth, v.AverageBandwidth)
		if !bytes.Contains(master, []byte(want)) {
			t.Errorf("master.m3u8 has no variant with %s:\n%s", want, master)
		}
		if float64(v.Bandwidth) < v.PeakBitrate || v.Bandwidth == 0 {
			t.Errorf("%s: BANDWIDTH %d under its peak %f", v.ID, v.Bandwidth, v.PeakBitrate)
		}
	}
}

// playPackage has the ffmpeg CLI read every rung through the master
// playlist and through the MPD at base (a directory or an http:// URL),
// each decoding to the source's frames, and the audio.
func playPackage(t *testing.T, base string) {
	t.Helper()
	for _, manifest := range []string{"master.m3u8", "manifest.mpd"} {
		path := base + "/" + manifest
		var sizes [][2]int
		for _, s := range probeStreams(t, path) {
			if s.Type != "video" {
				continue
			}
			sizes = append(sizes, [2]int{s.Width, s.Height})
			if n := countFrames(t, path, fmt.Sprintf("0:%d", s.Index)); n != packFrames {
				t.Errorf("%s: the %dx%d rung decodes to %d frames, the source has %d", manifest, s.Width, s.Height, n, packFrames)
			}
		}
		slices.SortFunc(sizes, func(a, b [2]int) int { return b[0] - a[0] })
		if !slices.Equal(sizes, [][2]int{{320, 240}, {240, 180}, {160, 120}}) {
			t.Errorf("%s: video streams %v", manifest, sizes)
		}
		if n := countFrames(t, path, "0:a:0"); n == 0 {
			t.Errorf("%s: no audio decoded", manifest)
		}
	}
}

type probedStream struct {
	Index         int
	Type          string `json:"codec_type"`
	Width, Height int
}

func probeStreams(t *testing.T, path string) []probedStream {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=index,codec_type,width,height", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p struct{ Streams []probedStream }
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p.Streams
}

// countFrames decodes one stream with the ffmpeg CLI and counts its frames.
func countFrames(t *testing.T, path, stream string) int {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", stream, "-f", "framecrc", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg -i %s -map %s: %v\n%s", path, stream, err, stderr.String())
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n
}

var extinfLine = regexp.MustCompile(`(?m)^#EXTINF:([0-9.]+),`)

// extinf returns the segment durations of an HLS media playlist.
func extinf(t *testing.T, path string) []float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d []float64
	for _, m := range extinfLine.FindAllStringSubmatch(string(b), -1) {
		f, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		d = append(d, f)
	}
	return d
}

// keyframeTimes lists the presentation times of the keyframes ffprobe
// finds reading a media playlist, and the earliest time of any frame
// (FFmpeg's HLS reader shifts the stream by the B-frame delay, the same for
// every rung).
func keyframeTimes(t *testing.T, path string) ([]float64, float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var keys []float64
	first := math.Inf(1)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatalf("ffprobe line %q: %v", line, err)
		}
		first = math.Min(first, v)
		if strings.HasPrefix(f[1], "K") {
			keys = append(keys, v)
		}
	}
	return keys, first
}

// A copy-all job keeps both of the source's audio languages in the
// package: two HLS audio renditions and two DASH adaptation sets, each
// decoded by the ffmpeg CLI through the master playlist.
func TestPackageJobAllAudioTracks(t *testing.T) {
	_, c := startServer(t, devserver.Config{})
	startWorker(t, c, &workflows.Activities{TempDir: t.TempDir(), Threads: 1})
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mp4")
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=320x240:rate=%d:duration=4", packFPS),
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4",
		"-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000:duration=4",
		"-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:a", "aac", "-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fra",
		"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-pix_fmt", "yuv420p", "-threads", "1", "-shortest", src}
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	job := packageJob(src, fileURL(filepath.Join(dir, "out")))
	job.Renditions = job.Renditions[1:]
	job.Audio.Mode = workflows.AudioCopyAll
	res := runJob(t, c, "itest-package-audio", job)
	p := res.Package
	if p == nil || len(p.Audio) != 2 || p.Audio[0].Language != "eng" || p.Audio[1].Language != "fra" {
		t.Fatalf("package audio %+v", p)
	}
	master := filepath.Join(dir, "out", "package", "master.m3u8")
	for i := range 2 {
		// about 4 s of 1024-sample AAC frames at 48 kHz
		if n := countFrames(t, master, fmt.Sprintf("0:a:%d", i)); n < 185 || n > 191 {
			t.Errorf("audio %d: %d frames, want about 188", i, n)
		}
	}
	var langs []string
	for _, s := range probeStreamLanguages(t, filepath.Join(dir, "out", "package", "manifest.mpd")) {
		langs = append(langs, s)
	}
	if !slices.Equal(langs, []string{"eng", "fra"}) {
		t.Errorf("MPD audio languages %v", langs)
	}
}

// probeStreamLanguages lists the language tags of the audio streams ffprobe
// finds in path.
func probeStreamLanguages(t *testing.T, path string) []string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream_tags=language", "-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	return strings.Fields(string(out))
}

// An AC-3 track that --audio copy would copy into the renditions is
// converted to AAC when packaging, since the package's audio is AAC.
func TestPackageJobConvertsAudio(t *testing.T) {
	_, c := startServer(t, devserver.Config{})
	startWorker(t, c, &workflows.Activities{TempDir: t.TempDir(), Threads: 1})
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mp4")
	args := []string{"-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=320x240:rate=%d:duration=4", packFPS),
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4", "-c:a", "ac3",
		"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-pix_fmt", "yuv420p", "-threads", "1", "-shortest", src}
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	job := packageJob(src, fileURL(filepath.Join(dir, "out")))
	job.Renditions = job.Renditions[2:]
	res := runJob(t, c, "itest-package-ac3", job)
	if p := res.Package; p == nil || len(p.Audio) != 1 || !strings.HasPrefix(p.Audio[0].Codec, "mp4a.40.") {
		t.Fatalf("package audio %+v", p)
	}
}
