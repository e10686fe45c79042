//go:build !amd64

package vmaf

// Without ssim_amd64.s the Go loops of convolve and decimate run.
const (
	ssimAVX512 = false
	ssimAVX2   = false
)

func ssimSIMD() bool { return false }

func forceSSIMAVX2() (restore func(), ok bool) { return func() {}, false }

func ssimRowsKernel(dst, base []float32, offs []int, k []float32) int { return 0 }

func ssimTermsKernel(mu1, mu2, sq1, sq2, s12 []float32, l, c, term []float64, s []float32) int {
	return 0
}

// Without msssim_amd64.s and msssim_amd64_filters.s msssimFrame takes the
// ssimCore path.

func msssimSIMD() bool { return false }

func vertStripsKernel(dst, src []float32, stride, y0, y1 int, state []float64) int { return 0 }

func lumaBytesKernel(dst []float32, src []byte) int { return 0 }

func productsKernel(a, b, aa, bb, ab []float32) int { return 0 }

func msssimTermsKernel(mu1, mu2, sq1, sq2, s12 []float32, c, s []float64, sums *[2]float64) int {
	return 0
}

const horizBuf = 0

func horizKernel(dst, src, src2 []float32, buf []float64) int { return 0 }

func deinterleaveKernel(e, o, src []float32) int { return 0 }

func decimStrips(sw int) int { return 0 }

func decimStrip() int { return 16 }

func vertStateLen(stride int) int { return 0 }

func decimKernel(dst, e, o []float32, we, wo, sw, r0, r1, strips int, state []float64) {}

func horiz8Kernel(dst []float32, src, src2 []byte, buf []float64) int { return 0 }

func deinterleave8Kernel(e, o []float32, src []byte) int { return 0 }
