package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/testmedia"
)

// BenchmarkVMAFPeakRSS is issue 15's memory figure: the peak resident set
// (GNU time's "Maximum resident set size") of `reel vmaf` on 48 frames of
// 1080p 8-bit 4:2:0, raw .y4m and x264 .mp4 (decoded in process), at 1 and
// 2 threads, beside libvmaf's vmaf tool on the same .y4m pair with the
// same threads. The two run one after the other, alternating which goes
// first. It reports, per run:
//
//	peak-MiB          reel's peak RSS
//	floor-MiB         the peak RSS of `reel version`: what mapping the
//	                  binary and its shared libraries costs before any
//	                  frame (mostly file pages; see docs/architecture.md,
//	                  Memory)
//	libvmaf-peak-MiB  the vmaf tool's peak RSS (.y4m only)
//	x-libvmaf         peak-MiB / libvmaf-peak-MiB
//	cpu-s, libvmaf-cpu-s  user+system CPU seconds of each child
//
// reel is $REEL_BIN, else built from this module into a temporary
// directory. The vmaf tool is $REEL_LIBVMAF or vmaf on PATH; without one
// the libvmaf figures are left out and the log says so. Run briefly:
//
//	REEL_LIBVMAF=/path/to/vmaf go test ./cmd/reel/internal/cli -run '^$' -bench VMAFPeakRSS -benchtime 2x
func BenchmarkVMAFPeakRSS(b *testing.B) {
	if _, err := os.Stat(timeTool); err != nil {
		b.Skip("no " + timeTool + " (apt-get install time): it measures each child's peak RSS")
	}
	reel := benchReel(b)
	tool := os.Getenv("REEL_LIBVMAF")
	if tool == "" {
		if p, err := exec.LookPath("vmaf"); err == nil {
			tool = p
		}
	}
	if tool == "" {
		b.Log("no libvmaf vmaf tool: set REEL_LIBVMAF or put vmaf on PATH; reporting reel's figures alone")
	}
	floor, _ := childPeak(b, reel, "version")

	const frames = 48
	src := "testsrc2=size=1920x1080:rate=24,noise=alls=10:allf=t:all_seed=3,format=yuv420p"
	in := []string{"-f", "lavfi", "-i", src, "-frames:v", strconv.Itoa(frames)}
	dis := append(in[:4:4], "-vf", "gblur=sigma=1.2,noise=alls=6:allf=t:all_seed=4,format=yuv420p", "-frames:v", strconv.Itoa(frames))
	x264 := func(crf string) []string { return []string{"-c:v", "libx264", "-preset", "veryfast", "-crf", crf} }
	inputs := []struct {
		name     string
		ref, dis string
	}{
		{"y4m", testmedia.File(b, "vmafmem-ref", "y4m", in...), testmedia.File(b, "vmafmem-dis", "y4m", dis...)},
		{"mp4", testmedia.File(b, "vmafmem-ref", "mp4", append(in, x264("12")...)...), testmedia.File(b, "vmafmem-dis", "mp4", append(dis, x264("28")...)...)},
	}
	for _, input := range inputs {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", input.name, threads), func(b *testing.B) {
				th := strconv.Itoa(threads)
				reelArgs := []string{"vmaf", "-r", input.ref, "-d", input.dis, "--threads", th, "-q", "--json"}
				libArgs := []string{"-r", input.ref, "-d", input.dis, "--threads", th, "-q", "--json", "-o", os.DevNull}
				withLib := tool != "" && input.name == "y4m"
				var peak, libPeak int64
				var cpu, libCPU time.Duration
				for i := 0; i < b.N; i++ {
					runReel := func() {
						p, c := childPeak(b, reel, reelArgs...)
						peak, cpu = max(peak, p), cpu+c
					}
					runLib := func() {
						p, c := childPeak(b, tool, libArgs...)
						libPeak, libCPU = max(libPeak, p), libCPU+c
					}
					switch {
					case !withLib:
						runReel()
					case i%2 == 0:
						runReel()
						runLib()
					default:
						runLib()
						runReel()
					}
				}
				const mib = 1 << 20
				b.ReportMetric(float64(peak)/mib, "peak-MiB")
				b.ReportMetric(float64(floor)/mib, "floor-MiB")
				b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
				if withLib {
					b.ReportMetric(float64(libPeak)/mib, "libvmaf-peak-MiB")
					b.ReportMetric(float64(peak)/float64(libPeak), "x-libvmaf")
					b.ReportMetric(libCPU.Seconds()/float64(b.N), "libvmaf-cpu-s")
				}
			})
		}
	}
}

// benchReel is the reel binary the child-process benchmarks run:
// $REEL_BIN, else one built from this module into a temporary directory.
func benchReel(b *testing.B) string {
	b.Helper()
	if reel := os.Getenv("REEL_BIN"); reel != "" {
		return reel
	}
	reel := filepath.Join(b.TempDir(), "reel")
	cmd := exec.Command("go", "build", "-o", reel, "github.com/reelmedia/reel/cmd/reel")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return reel
}

// childPeak runs name with args under /usr/bin/time and returns its peak
// RSS in bytes (time's %M) and its user+system CPU time. Not this process's
// own rusage of the child: Linux gives a child the high-water mark of the
// memory it was cloned from (Go starts children with CLONE_VM), so every
// child would seem at least as big as this test binary; time's child is
// cloned from time.
func childPeak(b *testing.B, name string, args ...string) (int64, time.Duration) {
	b.Helper()
	out := filepath.Join(b.TempDir(), "rss")
	cmd := exec.Command(timeTool, append([]string{"-f", "%M %U %S", "-o", out, name}, args...)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s %v: %v\n%s", name, args, err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	var kib int64
	var user, sys float64
	if _, err := fmt.Sscan(string(data), &kib, &user, &sys); err != nil {
		b.Fatalf("%s: %q: %v", timeTool, data, err)
	}
	return kib * 1024, time.Duration((user + sys) * float64(time.Second))
}

// timeTool is GNU time (Debian's time package), which reports its child's
// peak RSS.
const timeTool = "/usr/bin/time"
