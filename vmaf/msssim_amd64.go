package vmaf

// MS-SSIM's kernels (msssim_amd64.s, and msssim_amd64_filters.s written by
// msssim_amd64_gen.go) run with AVX-512, or with AVX2 alone through the
// AVX2 versions of the three filters (ssimHorizAVX2, ssimHoriz8AVX2,
// ssimVertAVX2, ssimDecimAVX2: 4 float64 lanes where AVX-512 has 8, the
// same products added in the same order) and of the even/odd split;
// without either msssimFrame takes the ssimCore path.
// Each computes exactly the floats of the Go loops it replaces, and
// msssim_amd64_test.go holds it to them output by output:
//
//   - ssimHorizAVX512 and ssimVertAVX512 are convolve's two passes: each
//     output is float32(0 + float64(p0·k0) + ... + float64(p10·k10)), the
//     float32 products widened exactly and added in tap order. The window
//     is symmetric (k[t] == k[10-t]), so each input's product with each of
//     the six distinct weights is computed once and added to the two sums
//     that use it: the horizontal pass through a buffer of widened
//     products, the vertical one walking down 16-column strips with the
//     eleven pending sums in registers. Sharing a product changes neither
//     its value nor the order in which any sum adds its terms.
//   - ssimDecimAVX512 is decimate's 9×9 low-pass, sharing the products of
//     the table's equal rows v and 8-v the same way.
//   - msssimTermsAVX2 is ssimPixel's contrast and structure terms and
//     ssimCore's sums of them, in pixel order.
//   - the small ones convert bytes, form products and split even and odd
//     columns; ssimHoriz8AVX512 and deinterleave8AVX512 read an 8-bit
//     frame's samples directly (a byte is an exact float32). Of them only
//     the even/odd split (deinterleaveAVX2, deinterleave8AVX2) has an
//     AVX2 version: the others run where the AVX2 filters do not.
//
//go:generate go run msssim_amd64_gen.go -o msssim_amd64_filters.s

//go:noescape
func ssimVertAVX512(dst, src *float32, stride, y0, y1, strips int, k *float32, state *float64)

// ssimVertAVX2 is ssimVertAVX512 on strips of 4 columns.
//
//go:noescape
func ssimVertAVX2(dst, src *float32, stride, y0, y1, strips int, k *float32, state *float64)

// ssimHorizAVX2 and ssimHoriz8AVX2 are ssimHorizAVX512 and
// ssimHoriz8AVX512 with AVX2 alone, the same buf.
//
//go:noescape
func ssimHorizAVX2(dst, src, src2 *float32, n int, k *float32, buf *float64) int

//go:noescape
func ssimHoriz8AVX2(dst *float32, src, src2 *byte, n int, k *float32, buf *float64) int

// ssimDecimAVX2 is ssimDecimAVX512 on strips of 8 outputs.
//
//go:noescape
func ssimDecimAVX2(dst, e, o *float32, estride, ostride, dstride, r0, r1, strips int, k *float32, state *float64)

// ssimHorizAVX512 is the horizontal pass the same way: the products of
// horizChunk+10 inputs with the six weights widened once into buf, then
// each output summed from them in tap order.
//
//go:noescape
func ssimHorizAVX512(dst, src, src2 *float32, n int, k *float32, buf *float64) int

// horizChunk is how many outputs ssimHorizAVX512 makes from one pass of
// products (horizSmall for what is left), horizRow the length of its product rows in buf (as in
// msssim_amd64_gen.go).
const (
	horizChunk = 256
	horizSmall = 64
	horizRow   = horizChunk + 16
	horizBuf   = 6 * horizRow
)

// horizKernel sets dst to the horizontal Gaussian pass of the products
// src[i]·src2[i] (src2 all ones for src alone; len(dst)+10 floats each) and
// returns len(dst), or 0 where it has nothing to run (no AVX-512 or AVX2,
// or a row shorter than a small chunk). buf holds horizBuf floats.
func horizKernel(dst, src, src2 []float32, buf []float64) int {
	n := len(dst)
	if !msssimSIMD() || n < horizSmall || len(src) < n+gaussLen-1 || len(src2) < n+gaussLen-1 || len(buf) < horizBuf {
		return 0
	}
	kernel := ssimHorizAVX2
	if ssimAVX512 {
		kernel = ssimHorizAVX512
	}
	if done := kernel(&dst[0], &src[0], &src2[0], n, &gaussWindow[0], &buf[0]); done < n {
		// A last small chunk that ends at n, writing again some outputs
		// with the values they have.
		x0 := n - horizSmall
		kernel(&dst[x0], &src[x0], &src2[x0], horizSmall, &gaussWindow[0], &buf[0])
	}
	return n
}

//go:noescape
func lumaBytesAVX512(dst *float32, src *byte, n int) int

//go:noescape
func ssimProductsAVX512(n int, a, b, aa, bb, ab *float32) int

//go:noescape
func msssimTermsAVX2(n int, mu1, mu2, sq1, sq2, s12 *float32, k *ssimConsts, c, s *float64, sums *[2]float64) int

// msssimSIMD reports whether msssimFrame has its filter kernels to run
// (AVX-512, or AVX2 alone).
func msssimSIMD() bool { return ssimAVX512 || ssimAVX2 }

// vertStrip is how many columns a strip of vertStripsKernel has: 16 with
// AVX-512, 4 with AVX2 alone.
func vertStrip() int {
	if ssimAVX512 {
		return 16
	}
	return 4
}

// vertStateLen is how many float64 vertStripsKernel's state needs for
// rows of stride floats, enough for either kernel.
func vertStateLen(stride int) int { return (stride / 4) * 11 * 4 }

// vertStripsKernel runs the vertical pass over input rows y0 (a multiple
// of 11) to y1 of the first columns (whole strips) of a plane (rows of stride
// floats): src starts at input row y0, dst at the first output row the band
// finishes, max(y0-10, 0), and may be the same memory (output row y
// replaces input row y, which no later output reads). state carries the
// pending sums from one band of rows to the next. It returns how many
// columns it did.
func vertStripsKernel(dst, src []float32, stride, y0, y1 int, state []float64) int {
	if !msssimSIMD() {
		return 0
	}
	strips := stride / vertStrip()
	outs := y1 - (gaussLen - 1) - max(y0-(gaussLen-1), 0) // output rows stored
	if strips == 0 || y0%gaussLen != 0 || y1 <= y0 || len(src) < stride*(y1-y0) ||
		(outs > 0 && len(dst) < stride*outs) || len(dst) == 0 || len(state) < strips*vertStrip()*11 {
		return 0
	}
	if ssimAVX512 {
		ssimVertAVX512(&dst[0], &src[0], stride, y0, y1, strips, &gaussWindow[0], &state[0])
	} else {
		ssimVertAVX2(&dst[0], &src[0], stride, y0, y1, strips, &gaussWindow[0], &state[0])
	}
	return strips * vertStrip()
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
// pixels (s widened to float64), adds them to sums and returns how many
// pixels it did.
func msssimTermsKernel(mu1, mu2, sq1, sq2, s12 []float32, c, s []float64, sums *[2]float64) int {
	n := len(c)
	if !ssimAVX2 || n == 0 {
		return 0
	}
	_, _, _, _, _, _ = mu1[n-1], mu2[n-1], sq1[n-1], sq2[n-1], s12[n-1], s[n-1]
	return msssimTermsAVX2(n, &mu1[0], &mu2[0], &sq1[0], &sq2[0], &s12[0], &ssimKernelConsts, &c[0], &s[0], sums)
}

//go:noescape
func deinterleaveAVX512(e, o, src *float32, n int, idx *[32]int32) int

var deinterleaveIdx = [32]int32{
	0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30,
	1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31,
}

// deinterleaveKernel sets e[i], o[i] to src[2i], src[2i+1] for the first
// pairs and returns how many it did.
func deinterleaveKernel(e, o, src []float32) int {
	n := min(len(e), len(o), len(src)/2)
	switch {
	case n == 0:
		return 0
	case ssimAVX512:
		return deinterleaveAVX512(&e[0], &o[0], &src[0], n, &deinterleaveIdx)
	case ssimAVX2:
		return deinterleaveAVX2(&e[0], &o[0], &src[0], n)
	}
	return 0
}

// deinterleaveAVX2 and deinterleave8AVX2 are deinterleaveAVX512 and
// deinterleave8AVX512 with AVX2 alone, 8 pairs at a time.
//
//go:noescape
func deinterleaveAVX2(e, o, src *float32, n int) int

//go:noescape
func deinterleave8AVX2(e, o *float32, src *byte, n int) int

// ssimDecimAVX512 is MS-SSIM's low-pass decimation the same way: rows v
// and 8-v of msssimLPF are the same floats, so each padded row's products
// with a row of the table are computed once for the one or two output rows
// that read them (generated, see msssim_amd64_gen.go).
//
//go:noescape
func ssimDecimAVX512(dst, e, o *float32, estride, ostride, dstride, r0, r1, strips int, k *float32, state *float64)

// decimStrip is how many output columns a strip of decimKernel has: 16
// with AVX-512, 8 with AVX2 alone.
func decimStrip() int {
	if ssimAVX512 {
		return 16
	}
	return 8
}

// decimStrips is how many strips of decimStrip() output columns
// decimKernel does, or 0 where it has nothing to run.
func decimStrips(sw int) int {
	if !msssimSIMD() {
		return 0
	}
	return sw / decimStrip()
}

// decimKernel runs ssimDecimAVX512 (ssimDecimAVX2) over padded rows r0 (a
// multiple of 10) to r1 of the even and odd column planes, e and o
// starting at row r0 (rows of we and wo floats), into dst (sw floats a
// row), for the first decimStrip()·strips columns. state holds 80 float64
// a strip.
func decimKernel(dst, e, o []float32, we, wo, sw, r0, r1, strips int, state []float64) {
	cols := decimStrip() * strips
	if strips == 0 || r0%10 != 0 || r1 <= r0 || len(e) < (r1-r0)*we || len(o) < (r1-r0)*wo ||
		cols+3 > wo || cols+4 > we || len(state) < strips*80 {
		panic("vmaf: decimKernel arguments out of range")
	}
	y := max(r0-8, 0) / 2
	if (r1-1-8)/2 >= 0 && len(dst) < ((r1-1-8)/2+1)*sw {
		panic("vmaf: decimKernel output out of range")
	}
	if ssimAVX512 {
		ssimDecimAVX512(&dst[y*sw], &e[0], &o[0], we, wo, sw, r0, r1, strips, &msssimLPF[0], &state[0])
	} else {
		ssimDecimAVX2(&dst[y*sw], &e[0], &o[0], we, wo, sw, r0, r1, strips, &msssimLPF[0], &state[0])
	}
}

//go:noescape
func ssimHoriz8AVX512(dst *float32, src, src2 *byte, n int, k *float32, buf *float64) int

// horiz8Kernel is horizKernel on rows of 8-bit samples.
func horiz8Kernel(dst []float32, src, src2 []byte, buf []float64) int {
	n := len(dst)
	if !msssimSIMD() || n < horizSmall || len(src) < n+gaussLen-1 || len(src2) < n+gaussLen-1 || len(buf) < horizBuf {
		return 0
	}
	kernel := ssimHoriz8AVX2
	if ssimAVX512 {
		kernel = ssimHoriz8AVX512
	}
	if done := kernel(&dst[0], &src[0], &src2[0], n, &gaussWindow[0], &buf[0]); done < n {
		x0 := n - horizSmall
		kernel(&dst[x0], &src[x0], &src2[x0], horizSmall, &gaussWindow[0], &buf[0])
	}
	return n
}

//go:noescape
func deinterleave8AVX512(e, o *float32, src *byte, n int, idx *[32]int32) int

// deinterleave8Kernel is deinterleaveKernel from 8-bit samples.
func deinterleave8Kernel(e, o []float32, src []byte) int {
	n := min(len(e), len(o), len(src)/2)
	switch {
	case n == 0:
		return 0
	case ssimAVX512:
		return deinterleave8AVX512(&e[0], &o[0], &src[0], n, &deinterleaveIdx)
	case ssimAVX2:
		return deinterleave8AVX2(&e[0], &o[0], &src[0], n)
	}
	return 0
}
