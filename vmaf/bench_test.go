package vmaf

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reelmedia/reel/media"
)

// Benchmarks at 1920x1080 8-bit 4:2:0, vmaf_v0.6.1 only, as the libvmaf
// oracle was timed (shared/vmaf-oracle-speed.md: 17.9 fps AVX2 and about
// 3.1 fps plain C on one core of this machine class). Run with
//
//	go test ./vmaf -run '^$' -bench 'VMAF1080p|Features1080p' -benchtime 20x
//
// "-go" variants run the Go loops without the AVX2 kernels (vif_amd64.go,
// adm_amd64.go, motion_amd64.go). On the shared 2-vCPU AMD EPYC VM, loaded,
// the kernels took threads=1 from about 3 to about 7-8.5 frames per
// CPU-second.

var (
	hdOnce       sync.Once
	hdRef, hdDis []*media.Frame
)

func hdFrames() ([]*media.Frame, []*media.Frame) {
	hdOnce.Do(func() {
		f := media.Format{Chroma: media.Chroma420, BitDepth: 8}
		hdRef = synthClip(1920, 1080, f, 4, 0)
		hdDis = synthClip(1920, 1080, f, 4, 2)
	})
	return hdRef, hdDis
}

func BenchmarkVMAF1080p(b *testing.B) {
	refs, diss := hdFrames()
	threads := []int{1}
	if n := runtime.GOMAXPROCS(0); n > 1 {
		threads = append(threads, n)
	}
	type variant struct {
		name    string
		threads int
		kernels bool
	}
	var variants []variant
	for _, th := range threads {
		variants = append(variants, variant{fmt.Sprintf("threads=%d", th), th, true})
	}
	// The Go loops alone, for the speed-up of the AVX2 kernels on the same
	// machine and load.
	variants = append(variants, variant{"threads=1-go", 1, false})
	for _, vr := range variants {
		b.Run(vr.name, func(b *testing.B) {
			defer setKernels(vr.kernels)()
			s, err := NewScorer(Options{Threads: vr.threads})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for i := 0; i < b.N; i++ {
				if err := s.Push(context.Background(), refs[i%len(refs)], diss[i%len(diss)]); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := s.Finish(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "fps")
			b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "frames/cpu-s")
		})
	}
}

// cpuTime is the process's user+system CPU time. The benchmarks report it
// per frame next to wall time because this machine is shared: CPU time is
// what the code costs, wall time also shows what the neighbours took.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFeatures1080p times each extractor on one core, for the profile
// breakdown.
func BenchmarkFeatures1080p(b *testing.B) {
	refs, diss := hdFrames()
	var r, d, p luma
	if err := lumaOf(refs[1], &r); err != nil {
		b.Fatal(err)
	}
	lumaOf(diss[1], &d)
	lumaOf(refs[0], &p)
	var vw vifWorker
	vl := vifWorker{loops: true}
	var aw admWorker
	var mw motionWorker
	var l luma
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"vif", func() { vw.compute(&r, &d, defaultEnhnGainLimit) }},
		{"vif-go", func() { defer setKernels(false)(); vw.compute(&r, &d, defaultEnhnGainLimit) }},
		{"vif-loops", func() { vl.compute(&r, &d, defaultEnhnGainLimit) }},
		{"adm", func() { aw.compute(&r, &d, defaultEnhnGainLimit) }},
		{"adm-go", func() { defer setKernels(false)(); aw.compute(&r, &d, defaultEnhnGainLimit) }},
		{"motion", func() { mw.sad(&p, &r) }},
		{"motion-go", func() { defer setKernels(false)(); mw.sad(&p, &r) }},
		{"copy", func() { lumaOf(refs[1], &l) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.fn() // allocate scratch buffers outside the timing
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				c.fn()
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkStream10k streams 10 000 frames of 64x48 and reports the peak
// live heap, to show memory stays bounded however long the stream.
func BenchmarkStream10k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		peak, perFrame := streamHeap(b, 10000, 64, 48, runtime.GOMAXPROCS(0))
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(perFrame, "retained-B/frame")
	}
}
