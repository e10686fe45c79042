//go:build !amd64

package vmaf

// Without the AVX2 kernels of vif_amd64.s the Go passes run everywhere;
// the stubs below are never called.
const vifAVX2 = false

type vifRounding struct {
	rndMu uint64
	shMu  uint
	rndSq uint64
	shSq  uint
}

func vifVert17AVX2(rows *[34][]uint16, n int, mu1, mu2, xx, yy, xy *uint32) {
	panic("vmaf: no AVX2 kernels")
}

func vifVertWide17AVX2(rows *[34][]uint16, n int, rnd *vifRounding, mu1, mu2, xx, yy, xy *uint32) {
	panic("vmaf: no AVX2 kernels")
}

func vifVertWide9AVX2(rows *[34][]uint16, n int, rnd *vifRounding, mu1, mu2, xx, yy, xy *uint32) {
	panic("vmaf: no AVX2 kernels")
}

func vifDecimateVert9AVX2(rows *[34][]uint16, n int, rnd uint32, sh uint, mu1, mu2 *uint32) {
	panic("vmaf: no AVX2 kernels")
}

func vifHoriz17AVX2(mu1, mu2, xx, yy, xy *uint32, n int, s1, s2, s12 *int32) {
	panic("vmaf: no AVX2 kernels")
}

func vifHoriz9AVX2(mu1, mu2, xx, yy, xy *uint32, n int, s1, s2, s12 *int32) {
	panic("vmaf: no AVX2 kernels")
}

// setKernels does nothing without the AVX2 kernels.
func setKernels(on bool) (restore func()) { return func() {} }

// Without vifstats_amd64.s vifStatsRow's Go loop takes every pixel.
const vifStatsSIMD = false

func vifStatsKernel(s1, s2, s12 []int32, egl float64, acc *vifAccum) int { return 0 }
