package vmaf

// MS-SSIM's kernels (msssim_amd64.s, and msssim_vert_amd64.s written by
// msssim_amd64_gen.go) need AVX-512; without it msssimFrame takes the
// ssimCore path, with ssim_amd64.s's AVX2 kernels where there are some.
//
// ssimVertAVX512 is convolve's vertical pass with the same floats: each
// output is float32(0 + float64(r0·k0) + ... + float64(r10·k10)), the
// float32 products widened exactly and added in tap order. It computes
// each input's product with each distinct weight once (the window is
// symmetric: k[t] == k[10-t], so six products, not eleven) and adds it to
// the two sums that use it, walking down 16-column strips with the eleven
// pending sums in registers. Sharing a product changes neither its value
// nor the order in which any sum adds its terms.
//
//go:generate go run msssim_amd64_gen.go -o msssim_vert_amd64.s

//go:noescape
func ssimVertAVX512(dst, src *float32, stride, y0, y1, strips int, k *float32, state *float64)

//go:noescape
func lumaBytesAVX512(dst *float32, src *byte, n int) int

//go:noescape
func ssimProductsAVX512(n int, a, b, aa, bb, ab *float32) int

//go:noescape
func msssimTermsAVX2(n int, mu1, mu2, sq1, sq2, s12 *float32, k *ssimConsts, c *float64, s *float32, sums *[2]float64) int

// msssimSIMD reports whether msssimFrame has its AVX-512 kernels to run.
func msssimSIMD() bool { return ssimAVX512 }

// vertStripsKernel runs the vertical pass over input rows y0 (a multiple
// of 11) to y1 of the first 16·strips columns of the plane p (rows of
// stride floats), in place: output row y replaces input row y, which no
// later output reads. state carries the pending sums from one band of rows
// to the next. It returns how many columns it did.
func vertStripsKernel(p []float32, stride, y0, y1 int, state []float64) int {
	strips := stride / 16
	if !ssimAVX512 || strips == 0 || y0%gaussLen != 0 || y1 <= y0 || len(p) < stride*y1 || len(state) < strips*22*8 {
		return 0
	}
	out := max(y0-(gaussLen-1), 0)
	ssimVertAVX512(&p[out*stride], &p[y0*stride], stride, y0, y1, strips, &gaussWindow[0], &state[0])
	return strips * 16
}

// lumaBytesKernel converts the first bytes of src to dst and returns how
// many.
func lumaBytesKernel(dst []float32, src []byte) int {
	n := min(len(dst), len(src))
	if !ssimAVX512 || n == 0 {
		return 0
	}
	return lumaBytesAVX512(&dst[0], &src[0], n)
}

// productsKernel sets the first aa, bb, ab to a·a, b·b, a·b and returns how
// many. All slices have the same length.
func productsKernel(a, b, aa, bb, ab []float32) int {
	n := len(a)
	if !ssimAVX512 || n == 0 {
		return 0
	}
	_, _, _, _ = b[n-1], aa[n-1], bb[n-1], ab[n-1]
	return ssimProductsAVX512(n, &a[0], &b[0], &aa[0], &bb[0], &ab[0])
}

// msssimTermsKernel computes the contrast and structure terms of the first
// pixels, adds them to sums and returns how many pixels it did.
func msssimTermsKernel(mu1, mu2, sq1, sq2, s12 []float32, c []float64, s []float32, sums *[2]float64) int {
	n := len(c)
	if !ssimAVX2 || n == 0 {
		return 0
	}
	_, _, _, _, _, _ = mu1[n-1], mu2[n-1], sq1[n-1], sq2[n-1], s12[n-1], s[n-1]
	return msssimTermsAVX2(n, &mu1[0], &mu2[0], &sq1[0], &sq2[0], &s12[0], &ssimKernelConsts, &c[0], &s[0], sums)
}
