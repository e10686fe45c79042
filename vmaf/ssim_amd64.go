package vmaf

import "golang.org/x/sys/cpu"

// The float filters of SSIM and MS-SSIM (the Gaussian passes of convolve
// and MS-SSIM's 9×9 low-pass) have kernels in ssim_amd64.s that compute one
// output per lane, with the float32 products, float64 sums in tap order and
// final float32 rounding of the Go loops: vectorised across outputs, not
// across taps, so nothing is reassociated and every output is the same
// float. AVX-512 (8 outputs per register) where the CPU has it, AVX2 (4)
// otherwise. ssim_amd64_test.go holds them to the Go loops.

// ssimAVX512 and ssimAVX2 say which kernel runs; tests turn them off to
// compare with the Go loops.
var (
	ssimAVX512 = cpu.X86.HasAVX512F
	ssimAVX2   = cpu.X86.HasAVX2
)

// ssimRowsAVX512 and ssimRowsAVX2 set dst[i] = float32(Σ_t
// float64(base[offs[t]+i]·k[t])) for i below the count they return, the
// largest multiple of 8 (4 for AVX2) not above n.
//
//go:noescape
func ssimRowsAVX512(dst *float32, n int, base *float32, offs *int, k *float32, taps int) int

//go:noescape
func ssimRowsAVX2(dst *float32, n int, base *float32, offs *int, k *float32, taps int) int

// ssimSIMD reports whether ssimRows has a kernel to run.
func ssimSIMD() bool { return ssimAVX512 || ssimAVX2 }

// ssimRowsKernel runs the widest kernel the CPU has on the first outputs
// and returns how many it wrote. The caller has checked the bounds.
func ssimRowsKernel(dst, base []float32, offs []int, k []float32) int {
	switch {
	case ssimAVX512:
		return ssimRowsAVX512(&dst[0], len(dst), &base[0], &offs[0], &k[0], len(k))
	case ssimAVX2:
		return ssimRowsAVX2(&dst[0], len(dst), &base[0], &offs[0], &k[0], len(k))
	}
	return 0
}

// ssimTermsAVX2 computes ssimPixel for the first pixels, four at a time,
// and returns how many (the largest multiple of 4 not above n).
//
//go:noescape
func ssimTermsAVX2(n int, mu1, mu2, sq1, sq2, s12 *float32, k *ssimConsts, l, c, term *float64, s *float32) int

// ssimTermsKernel runs ssimTermsAVX2 where the CPU has it over the
// len(l) pixels of the slices and returns how many it did.
func ssimTermsKernel(mu1, mu2, sq1, sq2, s12 []float32, l, c, term []float64, s []float32) int {
	if !ssimAVX2 || len(l) == 0 {
		return 0
	}
	n := len(l)
	_, _, _, _, _, _, _ = mu1[n-1], mu2[n-1], sq1[n-1], sq2[n-1], s12[n-1], c[n-1], term[n-1]
	_ = s[n-1]
	return ssimTermsAVX2(n, &mu1[0], &mu2[0], &sq1[0], &sq2[0], &s12[0], &ssimKernelConsts, &l[0], &c[0], &term[0], &s[0])
}

// forceSSIMAVX2 makes SSIM and MS-SSIM run their kernels as on a CPU with
// AVX2 but not AVX-512, for tests and benchmarks on a CPU that has both,
// and returns the restore and whether the CPU has AVX2 at all. Not safe
// while a score is being computed.
func forceSSIMAVX2() (restore func(), ok bool) {
	a5, a2 := ssimAVX512, ssimAVX2
	ssimAVX512, ssimAVX2 = false, cpu.X86.HasAVX2
	return func() { ssimAVX512, ssimAVX2 = a5, a2 }, cpu.X86.HasAVX2
}
