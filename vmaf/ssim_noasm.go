//go:build !amd64

package vmaf

// Without ssim_amd64.s the Go loops of convolve and decimate run.
const (
	ssimAVX512 = false
	ssimAVX2   = false
)

func ssimSIMD() bool { return false }

func ssimRowsKernel(dst, base []float32, offs []int, k []float32) int { return 0 }

func ssimTermsKernel(mu1, mu2, sq1, sq2, s12 []float32, l, c, term []float64, s []float32) int {
	return 0
}
