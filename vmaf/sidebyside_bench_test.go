package vmaf

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/reelmedia/reel/internal/testmedia"
	"github.com/reelmedia/reel/media"
)

// BenchmarkSideBySide times reel against libvmaf's vmaf tool on the same
// 1080p clips, 8- and 10-bit, at 1 and 2 threads, one right after the
// other so both see the same machine and load:
//
//	reel          Score on the decoded frames (in memory: decoding is not
//	              timed; libvmaf's y4m reading, a copy, is)
//	libvmaf       the vmaf tool with its best SIMD path (AVX-512 where the
//	              CPU has it)
//	libvmaf-avx2  the same limited to AVX2 (--cpumask 48)
//
// Each reports fps (wall) and frames/cpu-s (user+system CPU of this
// process, or of the vmaf child). The vmaf tool is $REEL_LIBVMAF or vmaf on
// PATH; libvmaf is not packaged in Debian 12, so build 3.2.0 from its
// source outside the repository. Without it the benchmark skips and says
// so. Run briefly:
//
//	REEL_LIBVMAF=/path/to/vmaf go test ./vmaf -run '^$' -bench SideBySide -benchtime 2x
func BenchmarkSideBySide(b *testing.B) {
	tool := os.Getenv("REEL_LIBVMAF")
	if tool == "" {
		p, err := exec.LookPath("vmaf")
		if err != nil {
			b.Skip("no libvmaf vmaf tool: set REEL_LIBVMAF or put vmaf on PATH; skipping the reel/libvmaf side-by-side figures")
		}
		tool = p
	}
	const frames = 24
	for _, depth := range []int{8, 10} {
		pix := "yuv420p"
		if depth == 10 {
			pix = "yuv420p10le"
		}
		src := "testsrc2=size=1920x1080:rate=24,noise=alls=10:allf=t:all_seed=3,format=" + pix
		in := []string{"-f", "lavfi", "-i", src, "-frames:v", strconv.Itoa(frames), "-strict", "-1"}
		ref := testmedia.File(b, fmt.Sprintf("sbs-ref-%d", depth), "y4m", in...)
		dis := testmedia.File(b, fmt.Sprintf("sbs-dis-%d", depth), "y4m",
			append(in[:4:4], "-vf", "gblur=sigma=1.2,noise=alls=6:allf=t:all_seed=4,format="+pix, "-frames:v", strconv.Itoa(frames), "-strict", "-1")...)
		format := media.Format{Chroma: media.Chroma420, BitDepth: depth}
		refs := readAll(b, ref, 1920, 1080, format)
		diss := readAll(b, dis, 1920, 1080, format)
		for _, threads := range []int{1, 2} {
			name := fmt.Sprintf("%dbit/threads=%d", depth, threads)
			b.Run(name+"/reel", func(b *testing.B) {
				start, cpu0 := time.Now(), cpuTime()
				for i := 0; i < b.N; i++ {
					if _, err := Score(context.Background(), &sliceReader{frames: refs}, &sliceReader{frames: diss}, Options{Threads: threads}); err != nil {
						b.Fatal(err)
					}
				}
				report(b, frames*b.N, time.Since(start), cpuTime()-cpu0)
			})
			for _, lv := range []struct{ name, mask string }{{"libvmaf", ""}, {"libvmaf-avx2", "48"}} {
				b.Run(name+"/"+lv.name, func(b *testing.B) {
					args := []string{"-r", ref, "-d", dis, "--threads", strconv.Itoa(threads), "-q", "--json", "-o", os.DevNull}
					if lv.mask != "" {
						args = append(args, "--cpumask", lv.mask)
					}
					var wall, cpu time.Duration
					for i := 0; i < b.N; i++ {
						cmd := exec.Command(tool, args...)
						start := time.Now()
						if out, err := cmd.CombinedOutput(); err != nil {
							b.Fatalf("%s: %v\n%s", tool, err, out)
						}
						wall += time.Since(start)
						cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
					}
					report(b, frames*b.N, wall, cpu)
				})
			}
		}
	}
}

func report(b *testing.B, frames int, wall, cpu time.Duration) {
	b.ReportMetric(float64(frames)/wall.Seconds(), "fps")
	if cpu > 0 {
		b.ReportMetric(float64(frames)/cpu.Seconds(), "frames/cpu-s")
	}
}
