package encode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/testmedia"
)

// benchSource is 500 frames of 1280x720 testsrc2 at 25 fps (x264).
func benchSource(b *testing.B) string {
	return testmedia.File(b, "encode-src720p-500", "mp4", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
		"-frames:v", "500", "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-pix_fmt", "yuv420p")
}

// BenchmarkChunkEncode encodes the same 500-frame 720p clip with reel's
// EncodeRange and with the ffmpeg CLI, both as child processes (reel's is
// this test binary run again, see TestMain), so that each side's time and
// CPU include the same start-up, probe and decode. Both get the same x264
// parameters: ffmpegArgs makes the CLI's from the Profile with
// encoderOptions, as EncodeRange does. The order alternates between
// iterations, so that a change of load hits both sides alike, and each
// iteration fails unless the two H.264 bitstreams are identical (x264
// writes every parameter into an SEI, so this also checks the parameters).
// Metrics: go_fps, ffmpeg_fps, go/ffmpeg and the frames per CPU second of
// each.
func BenchmarkChunkEncode(b *testing.B) {
	src := benchSource(b)
	dir := b.TempDir()
	p := Profile{Codec: "x264", CRF: 23, Preset: "veryfast", GOP: 250}
	goOut, ffOut := filepath.Join(dir, "go.mp4"), filepath.Join(dir, "ff.mp4")
	goCmd := func() *exec.Cmd { return encodeChildCmd(b, src, goOut, p) }
	ffCmd := func() *exec.Cmd { return exec.Command("ffmpeg", ffmpegArgs(b, src, ffOut, p)...) }
	var goTime, ffTime, goCPU, ffCPU time.Duration
	const frames = 500
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			timeProcess(b, goCmd(), &goTime, &goCPU)
			timeProcess(b, ffCmd(), &ffTime, &ffCPU)
		} else {
			timeProcess(b, ffCmd(), &ffTime, &ffCPU)
			timeProcess(b, goCmd(), &goTime, &goCPU)
		}
		b.StopTimer()
		if n := videoFrames(b, goOut); n != frames {
			b.Fatalf("reel wrote %d frames, want %d", n, frames)
		}
		if gm, fm := videoMD5(b, goOut), videoMD5(b, ffOut); gm != fm {
			b.Fatalf("the H.264 bitstreams of reel and the ffmpeg CLI differ (md5 %s and %s): not the same parameters?\nreel:   %s\nffmpeg: %s",
				gm, fm, x264Settings(b, goOut), x264Settings(b, ffOut))
		}
		b.StartTimer()
	}
	b.StopTimer()
	goFPS := float64(frames*b.N) / goTime.Seconds()
	ffFPS := float64(frames*b.N) / ffTime.Seconds()
	b.ReportMetric(goFPS, "go_fps")
	b.ReportMetric(ffFPS, "ffmpeg_fps")
	b.ReportMetric(goFPS/ffFPS, "go/ffmpeg")
	b.ReportMetric(float64(frames*b.N)/goCPU.Seconds(), "go_frames/cpu_s")
	b.ReportMetric(float64(frames*b.N)/ffCPU.Seconds(), "ffmpeg_frames/cpu_s")
}

// encodeChildEnv set to 1 makes the test binary an EncodeRange process
// (TestMain, encodeChild) instead of running tests.
const encodeChildEnv = "REEL_ENCODE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(encodeChildEnv) == "1" {
		os.Exit(encodeChild(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// encodeChild encodes all of args[0] into args[1] with the JSON Profile
// args[2], as the ffmpeg CLI does in one process.
func encodeChild(args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "encode child: want SRC OUT PROFILE-JSON")
		return 2
	}
	var p Profile
	if err := json.Unmarshal([]byte(args[2]), &p); err != nil {
		fmt.Fprintln(os.Stderr, "encode child:", err)
		return 2
	}
	if _, err := EncodeRange(context.Background(), FileInput(args[0]), args[1], p, 0, 0, nil); err != nil {
		fmt.Fprintln(os.Stderr, "encode child:", err)
		return 1
	}
	return 0
}

// encodeChildCmd is this test binary run as an EncodeRange of src into out.
func encodeChildCmd(b *testing.B, src, out string, p Profile) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	pj, err := json.Marshal(p)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, src, out, string(pj))
	cmd.Env = append(os.Environ(), encodeChildEnv+"=1")
	return cmd
}

// ffmpegArgs are the ffmpeg CLI arguments that encode all of src into out
// as EncodeRange does with p: the same encoder, GOP, closed-GOP flag,
// thread count and encoderOptions.
func ffmpegArgs(b *testing.B, src, out string, p Profile) []string {
	cd, ok := findCodec(p.Codec)
	if !ok || p.GOP <= 0 {
		b.Fatalf("ffmpegArgs: want a known codec and a GOP, got %+v", p)
	}
	threads := strconv.Itoa(p.Threads) // 0 is auto for both
	args := []string{"-nostdin", "-v", "error", "-y", "-threads", threads, "-i", src, "-an",
		"-c:v", cd.encoder, "-g", strconv.Itoa(p.GOP), "-flags", "+cgop", "-threads", threads}
	opts := encoderOptions(cd, p, p.GOP)
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-"+k, opts[k])
	}
	return append(args, out)
}

// timeProcess runs cmd and adds its wall-clock and CPU time to wall and cpu.
func timeProcess(b *testing.B, cmd *exec.Cmd, wall, cpu *time.Duration) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", cmd, err, stderr.Bytes())
	}
	*wall += time.Since(t0)
	*cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// videoFrames is the number of video packets in path.
func videoFrames(b *testing.B, path string) int {
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
		"-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		b.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		b.Fatalf("ffprobe %s: %v", path, err)
	}
	return n
}

// x264Settings is the option string x264 writes into its SEI, which says
// where two encodes' parameters differ.
func x264Settings(b *testing.B, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	i := bytes.Index(data, []byte("x264 - core"))
	if i < 0 {
		return "(no x264 SEI)"
	}
	s := data[i:]
	if j := bytes.IndexByte(s, 0); j >= 0 {
		s = s[:j]
	}
	return string(s)
}

func videoMD5(b *testing.B, path string) string {
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v", "-c", "copy", "-f", "md5", "-").CombinedOutput()
	if err != nil {
		b.Fatalf("md5 %s: %v\n%s", path, err, out)
	}
	return strings.TrimSpace(string(out))
}

// BenchmarkConcat joins 100 chunks of 2 s (720p x264, 50 frames each) into
// one 200-second mp4 by stream copy. Metric: s/min_output, the seconds of
// work per minute of output.
func BenchmarkConcat(b *testing.B) {
	src := benchSource(b)
	dir := b.TempDir()
	ctx := context.Background()
	p := Profile{Codec: "x264", CRF: 23, Preset: "veryfast", GOP: 50}
	var distinct []string
	for i := 0; i < 10; i++ {
		path := filepath.Join(dir, fmt.Sprintf("encode-chunk2s-%d.mp4", i))
		if _, err := EncodeRange(ctx, FileInput(src), path, p, int64(i*50), int64(i*50+50), nil); err != nil {
			b.Fatal(err)
		}
		distinct = append(distinct, path)
	}
	chunks := make([]string, 100)
	for i := range chunks {
		chunks[i] = distinct[i%len(distinct)]
	}
	out := filepath.Join(b.TempDir(), "assembled.mp4")
	b.ResetTimer()
	var res *ConcatResult
	for i := 0; i < b.N; i++ {
		var err error
		res, err = Concat(ctx, chunks, out, ConcatOptions{ExpectFrames: 5000})
		if err != nil {
			b.Fatal(err)
		}
	}
	perMin := b.Elapsed().Seconds() / float64(b.N) / (res.Duration / 60)
	b.ReportMetric(perMin, "s/min_output")
	b.ReportMetric(float64(res.Bytes)/1e6, "MB_out")
}
