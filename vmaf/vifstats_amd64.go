package vmaf

import "golang.org/x/sys/cpu"

// vifStatsAVX512 is vifStatsRow on n pixels (n a multiple of 8), 8 at a
// time, in vifstats_amd64.s. Each lane computes the integers and float64
// values of the Go loop with the same IEEE operations: the float64
// division and products (no FMA), truncation to int32 (VCVTTPD2DQ) and
// int64 (VCVTTPD2QQ), and libvmaf's log2 as a leading-zero count
// (VPLZCNTD/Q), a shift and a table gather. The branches become lane
// masks. It needs AVX-512 F, CD, DQ and VL; vifstats_amd64_test.go holds it
// to the Go loop.
//
//go:noescape
func vifStatsAVX512(s1, s2, s12 *int32, n int, egl float64, tab *uint32, out *vifStatsOut)

// vifStatsOut receives the kernel's per-lane sums.
type vifStatsOut struct {
	numLog, denLog, numNonLog [8]int64
	denNonLog                 int64
}

// vifStatsSIMD says whether the kernel runs; tests turn it off to compare.
var vifStatsSIMD = cpu.X86.HasAVX512F && cpu.X86.HasAVX512CD && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL

// vifLog2Table32 is vifLog2Table[32768:] widened to 32 bits for the
// kernel's gathers (the 16-bit entries cannot be gathered).
var vifLog2Table32 = func() (t [32768]uint32) {
	for i := range t {
		t[i] = uint32(vifLog2Table[32768+i])
	}
	return t
}()

// vifStatsKernel adds the statistics of the first n&^7 pixels to acc with
// the kernel, where it runs, and returns how many pixels it took.
func vifStatsKernel(s1, s2, s12 []int32, egl float64, acc *vifAccum) int {
	n := len(s1) &^ 7
	if !vifStatsSIMD || n == 0 {
		return 0
	}
	_, _ = s2[n-1], s12[n-1]
	var out vifStatsOut
	vifStatsAVX512(&s1[0], &s2[0], &s12[0], n, egl, &vifLog2Table32[0], &out)
	for l := 0; l < 8; l++ {
		acc.numLog += out.numLog[l]
		acc.denLog += out.denLog[l]
		acc.numNonLog += out.numNonLog[l]
	}
	acc.denNonLog += out.denNonLog
	return n
}
