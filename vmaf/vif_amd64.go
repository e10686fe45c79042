package vmaf

import "golang.org/x/sys/cpu"

//go:generate go run vif_amd64_gen.go -o vif_amd64.s

// The VIF passes of the 17- and 9-tap scales have AVX2 kernels in
// vif_amd64.s (written by vif_amd64_gen.go), 8 columns at a time. They
// compute the same integers as the Go passes they stand in for:
//
//   - Every sum the Go code forms in uint32 (the means, mu = Σc·x, and the
//     products x·x) is formed in 32-bit lanes with VPADDD and VPMULLD,
//     which wrap modulo 2³² exactly as Go's uint32 does.
//   - Every sum the Go code forms in uint64 (the weighted second moments,
//     the squares of the means) is formed in 64-bit lanes with VPMULUDQ,
//     even and odd columns apart, and none can wrap: each is below
//     65536·(2³²-1). Rounding shifts and truncation to uint32 are the same
//     bit operations.
//   - vifVert17AVX2, for 8-bit samples only, keeps the second moments in
//     32-bit lanes too: there Σc·x·y <= 65536·255² = 4 261 478 400 < 2³²
//     and the Go code shifts by 0, so the uint64 sum is the uint32 one.
//
// The horizontal kernels stop at the per-pixel sigmas; the branchy
// log-domain part stays in Go (vifStatsRow). vif_amd64_test.go holds every
// kernel to the Go passes on random and extreme inputs, and whole frames
// with and without the kernels at 8, 10 and 12 bits.

// vifAVX2 reports whether the AVX2 kernels run; tests turn it off to
// compare.
var vifAVX2 = cpu.X86.HasAVX2

// vifRounding is the rounding of a vertical pass, laid out for the wide
// kernels: mu = (Σ + rndMu) >> shMu in uint32, moments (Σ + rndSq) >> shSq.
type vifRounding struct {
	rndMu uint64 // the kernels read its low 32 bits
	shMu  uint
	rndSq uint64
	shSq  uint
}

// vifVert17AVX2 is vifVert17 for 8-bit samples on the first n columns
// (n a multiple of 8). rows holds the 17 ref rows then the 17 dis rows.
//
//go:noescape
func vifVert17AVX2(rows *[34][]uint16, n int, mu1, mu2, xx, yy, xy *uint32)

// vifVertWide17AVX2 and vifVertWide9AVX2 are vifVert17 and vifVert9 for
// samples of any width on the first n columns (n a multiple of 8).
//
//go:noescape
func vifVertWide17AVX2(rows *[34][]uint16, n int, rnd *vifRounding, mu1, mu2, xx, yy, xy *uint32)

//go:noescape
func vifVertWide9AVX2(rows *[34][]uint16, n int, rnd *vifRounding, mu1, mu2, xx, yy, xy *uint32)

// vifDecimateVert9AVX2 is vifDecimateVert9 on the first n columns (n a
// multiple of 8).
//
//go:noescape
func vifDecimateVert9AVX2(rows *[34][]uint16, n int, rnd uint32, sh uint, mu1, mu2 *uint32)

// vifHoriz17AVX2 and vifHoriz9AVX2 filter the padded rows of a vertical
// pass horizontally for the first n output columns (n a multiple of 8)
// and write sigma1, sigma2 (before the clamp at 0) and sigma12. They read
// up to 8 elements past the padded row, which grow allocates.
//
//go:noescape
func vifHoriz17AVX2(mu1, mu2, xx, yy, xy *uint32, n int, s1, s2, s12 *int32)

//go:noescape
func vifHoriz9AVX2(mu1, mu2, xx, yy, xy *uint32, n int, s1, s2, s12 *int32)

// setKernels turns the SIMD kernels of VIF, ADM, motion and SSIM on (where the
// CPU has AVX2) or off, for tests and benchmarks that compare them with
// the Go loops, and returns a function that restores the previous state.
// Not safe while a score is being computed.
func setKernels(on bool) (restore func()) {
	v, a, a5, m, s5, s2, vs := vifAVX2, admAVX2, admAVX512, motionAVX2, ssimAVX512, ssimAVX2, vifStatsSIMD
	vifAVX2, admAVX2, motionAVX2 = on && cpu.X86.HasAVX2, on && cpu.X86.HasAVX2, on && cpu.X86.HasAVX2
	admAVX512 = on && cpu.X86.HasAVX512F && cpu.X86.HasAVX512CD && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512BW
	ssimAVX512, ssimAVX2 = on && cpu.X86.HasAVX512F, on && cpu.X86.HasAVX2
	vifStatsSIMD = on && cpu.X86.HasAVX512F && cpu.X86.HasAVX512CD && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL
	return func() {
		vifAVX2, admAVX2, admAVX512, motionAVX2, ssimAVX512, ssimAVX2, vifStatsSIMD = v, a, a5, m, s5, s2, vs
	}
}
