package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/testmedia"
)

// BenchmarkEncodeJobPeakRSS is issue 15's end-to-end row as an operator
// meets it: `reel encode SRC -o DIR --rendition
// name=720p,size=1280x720,crf=23,preset=veryfast --metrics vmaf` with the
// embedded default (Temporal server and worker in the process, no config
// file), beside the shell script an operator would write (the ffmpeg CLI
// encodes the same rung; it decodes the source and the upscaled rendition
// to y4m at the source size; libvmaf's vmaf tool scores them with 2
// threads). Both run as children under GNU time, alternating which goes
// first. The source is a 1080p24 x264 mezzanine of $REEL_BENCH_SECONDS
// (default 20) seconds. Per run it reports:
//
//	peak-MiB, script-peak-MiB   peak RSS (the script's: its largest process)
//	floor-MiB                   peak RSS of `reel version` (see BenchmarkVMAFPeakRSS)
//	reel-s, script-s            wall seconds
//	cpu-s, script-cpu-s         user+system CPU seconds
//	script/reel                 script-s / reel-s (above 1: reel is faster)
//
// reel is $REEL_BIN, else built from this module; the vmaf tool is
// $REEL_LIBVMAF or vmaf on PATH (without one the benchmark skips):
//
//	REEL_LIBVMAF=/path/to/vmaf go test ./cmd/reel/internal/cli -run '^$' -bench EncodeJobPeakRSS -benchtime 2x
func BenchmarkEncodeJobPeakRSS(b *testing.B) {
	if _, err := os.Stat(timeTool); err != nil {
		b.Skip("no " + timeTool + " (apt-get install time): it measures each child's peak RSS")
	}
	tool := os.Getenv("REEL_LIBVMAF")
	if tool == "" {
		var err error
		if tool, err = exec.LookPath("vmaf"); err != nil {
			b.Skip("no libvmaf vmaf tool: set REEL_LIBVMAF or put vmaf on PATH; skipping the reel/script comparison")
		}
	}
	reel := benchReel(b)
	secs := 20
	if s := os.Getenv("REEL_BENCH_SECONDS"); s != "" {
		secs, _ = strconv.Atoi(s)
	}
	src := testmedia.File(b, "encodemem-src", "mp4", "-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=1920x1080:rate=24:duration=%d", secs),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", secs),
		"-c:v", "libx264", "-preset", "veryfast", "-g", "24", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest")
	b.Logf("source: 1920x1080 24 fps, %d s; reel: %s; libvmaf: %s", secs, reel, tool)
	floor, _ := childPeak(b, reel, "version")

	runReel := func() (peak int64, wall, cpu float64) {
		home := b.TempDir() // no config file, an empty data directory: the embedded default
		out := filepath.Join(home, "out")
		cmd := []string{"env", "HOME=" + home, "XDG_CONFIG_HOME=" + home, "XDG_DATA_HOME=" + home, "XDG_CACHE_HOME=" + home,
			reel, "encode", src, "-o", out + "/", "--rendition", "name=720p,size=1280x720,crf=23,preset=veryfast", "--metrics", "vmaf", "-q"}
		t0 := time.Now()
		p, c := childPeak(b, cmd[0], cmd[1:]...)
		return p, time.Since(t0).Seconds(), c.Seconds()
	}
	runScript := func() (peak int64, wall, cpu float64) {
		dir := b.TempDir()
		dist, ref, up := filepath.Join(dir, "dist.mp4"), filepath.Join(dir, "ref.y4m"), filepath.Join(dir, "dist.y4m")
		steps := []string{
			fmt.Sprintf("ffmpeg -nostdin -v error -i %q -an -vf scale=1280:720 -c:v libx264 -preset veryfast -crf 23 %q", src, dist),
			fmt.Sprintf("ffmpeg -nostdin -v error -i %q -an -f yuv4mpegpipe %q", src, ref),
			fmt.Sprintf("ffmpeg -nostdin -v error -i %q -vf scale=1920:1080:flags=bicubic -f yuv4mpegpipe %q", dist, up),
			fmt.Sprintf("%q -r %q -d %q --threads 2 --json -o %q -q", tool, ref, up, filepath.Join(dir, "vmaf.json")),
		}
		t0 := time.Now()
		p, c := childPeak(b, "bash", "-ec", strings.Join(steps, "\n"))
		return p, time.Since(t0).Seconds(), c.Seconds()
	}

	b.ResetTimer()
	var peak, sPeak int64
	var wall, cpu, sWall, sCPU float64
	for i := 0; i < b.N; i++ {
		order := []bool{true, false}
		if i%2 == 1 {
			order = []bool{false, true}
		}
		for _, isReel := range order {
			if isReel {
				p, w, c := runReel()
				peak, wall, cpu = max(peak, p), wall+w, cpu+c
			} else {
				p, w, c := runScript()
				sPeak, sWall, sCPU = max(sPeak, p), sWall+w, sCPU+c
			}
		}
	}
	const mib = 1 << 20
	n := float64(b.N)
	b.ReportMetric(float64(peak)/mib, "peak-MiB")
	b.ReportMetric(float64(sPeak)/mib, "script-peak-MiB")
	b.ReportMetric(float64(floor)/mib, "floor-MiB")
	b.ReportMetric(wall/n, "reel-s")
	b.ReportMetric(sWall/n, "script-s")
	b.ReportMetric(cpu/n, "cpu-s")
	b.ReportMetric(sCPU/n, "script-cpu-s")
	b.ReportMetric(sWall/wall, "script/reel")
}
