package vmaf

import (
	"math"
	"math/bits"
)

// Integer VIF as libvmaf 3.2 computes it (feature/integer_vif.c): four
// scales, Q16 separable Gaussian filters with reflect-101 borders, and a
// log2 lookup table with 11 fractional bits. Every step is integer except
// the per-pixel gain g, which is float64 as in C, and the final per-scale
// ratio, which is float32.

//go:generate go run vif_unrolled_gen.go -o vif_unrolled.go

// vifFilters are the Q16 filter taps of each scale (each sums to 65536).
// vif_unrolled_gen.go reads them from this file to write vif_unrolled.go.
var vifFilters = [4][]uint32{
	{489, 935, 1640, 2640, 3896, 5274, 6547, 7455, 7784, 7455, 6547, 5274, 3896, 2640, 1640, 935, 489},
	{1244, 3663, 7925, 12590, 14692, 12590, 7925, 3663, 1244},
	{3571, 16004, 26386, 16004, 3571},
	{10904, 43728, 10904},
}

// defaultEnhnGainLimit is libvmaf's default vif_enhn_gain_limit and
// adm_enhn_gain_limit; the NEG model sets both to 1.
const defaultEnhnGainLimit = 100.0

// vifLog2Table holds round(log2f(i)·2048) for i in [32767, 65535], the
// table libvmaf's log_generate() builds. It is an array so that a uint16
// index needs no bounds check.
var vifLog2Table = func() (t [65536]uint16) {
	for i := 32767; i < 65536; i++ {
		t[i] = uint16(math.Round(float64(float32(math.Log2(float64(i))) * 2048)))
	}
	return t
}()

// vifLog2_32 is libvmaf's log2_32: the top 16 bits of x looked up, plus
// 2048 per dropped bit. x >= 2^18 here.
func vifLog2_32(x uint32) int64 {
	k := 16 - bits.LeadingZeros32(x)
	return int64(vifLog2Table[uint16(x>>uint(k))]) + 2048*int64(k)
}

// vifLog2_64 is libvmaf's log2_64 for x >= 2^17.
func vifLog2_64(x uint64) int64 {
	k := 48 - bits.LeadingZeros64(x)
	return int64(vifLog2Table[uint16(x>>uint(k))]) + 2048*int64(k)
}

// reflect101 maps an index outside [0, n) back inside by mirroring without
// repeating the edge sample: -k -> k and n-1+k -> n-1-k.
func reflect101(i, n int) int {
	if i < 0 {
		return -i
	}
	if i >= n {
		return 2*n - 2 - i
	}
	return i
}

// vifScale is the numerator and denominator of one scale, float32 as in C.
type vifScale struct {
	num, den float32
}

// score is the per-scale VIF value libvmaf reports: a float32 division.
func (s vifScale) score() float64 { return float64(s.num / s.den) }

// vifWorker holds the scratch buffers of one VIF computation. It is not
// safe for concurrent use; the scorer keeps one per worker goroutine.
type vifWorker struct {
	// Images of scales 1..3 (Q8 of the 8-bit sample), ping-ponged.
	ref, dis   [2][]uint16
	mu1, mu2   []uint32 // vertical pass, padded by 8 on each side
	xx, yy, xy []uint32
	acc1, acc2 []uint32 // vertical accumulators of decimate
	// Per-pixel sigma1, sigma2 and sigma12 of one row, from the AVX2
	// horizontal kernel.
	s1, s2, s12 []int32
	// loops selects the plain loops of statistic instead of the unrolled
	// passes of vif_unrolled.go; they compute the same integers, and
	// TestVIFUnrolledMatchesLoops holds them to it.
	loops bool
}

func (v *vifWorker) grow(w int) {
	n := w + 2*8
	if len(v.mu1) >= n {
		return
	}
	// 8 more than the padded row: the AVX2 horizontal kernel loads 8
	// elements where it uses the even ones only.
	v.mu1 = make([]uint32, n, n+8)
	v.mu2 = make([]uint32, n, n+8)
	v.xx = make([]uint32, n, n+8)
	v.yy = make([]uint32, n, n+8)
	v.xy = make([]uint32, n, n+8)
	v.s1 = make([]int32, w)
	v.s2 = make([]int32, w)
	v.s12 = make([]int32, w)
	v.acc1 = make([]uint32, w)
	v.acc2 = make([]uint32, w)
}

// compute returns the four VIF scales of ref against dis with the given
// enhancement gain limit.
func (v *vifWorker) compute(ref, dis *luma, egl float64) [4]vifScale {
	var out [4]vifScale
	w, h := ref.w, ref.h
	v.grow(w)
	// Scales 1 and 3 go to [1], scale 2 to [0], a quarter of the size.
	for i, n := range [2]int{(w / 4) * (h / 4), (w / 2) * (h / 2)} {
		if cap(v.ref[i]) < n {
			v.ref[i] = make([]uint16, n)
			v.dis[i] = make([]uint16, n)
		}
	}
	curRef, curDis := ref.pix, dis.pix
	for scale := 0; scale < 4; scale++ {
		if scale > 0 {
			nr, nd := v.ref[scale&1][:(w/2)*(h/2)], v.dis[scale&1][:(w/2)*(h/2)]
			v.decimate(curRef, curDis, nr, nd, w, h, scale, ref.bpc)
			curRef, curDis = nr, nd
			w, h = w/2, h/2
		}
		out[scale] = v.statistic(curRef, curDis, w, h, scale, ref.bpc, egl)
	}
	return out
}

// decimate filters the scale-1 images with the scale filter and keeps the
// samples at even rows and columns (libvmaf's subsample_rd_8/16 followed
// by decimate_and_pad). Only the kept samples are computed.
func (v *vifWorker) decimate(ref, dis, outRef, outDis []uint16, w, h, scale, bpc int) {
	f := vifFilters[scale]
	fw := len(f)
	fh := fw / 2
	var rnd uint32 = 1 << 15
	var sh uint = 16
	if scale == 1 {
		rnd, sh = 1<<(bpc-1), uint(bpc)
	}
	ow := w / 2
	mu1, mu2 := v.mu1[8-fh:], v.mu2[8-fh:]
	acc1, acc2 := v.acc1[:w], v.acc2[:w]
	for oi := 0; oi < h/2; oi++ {
		i := 2 * oi
		if !v.loops {
			var rows [34][]uint16
			for k := 0; k < fw; k++ {
				r := reflect101(i-fh+k, h)
				rows[k] = ref[r*w : r*w+w]
				rows[fw+k] = dis[r*w : r*w+w]
			}
			switch fw {
			case 9:
				n8 := 0
				if vifAVX2 {
					n8 = w &^ 7
				}
				if n8 > 0 {
					vifDecimateVert9AVX2(&rows, n8, rnd, sh, &mu1[fh], &mu2[fh])
					for k := range rows[:2*fw] {
						rows[k] = rows[k][n8:]
					}
				}
				vifDecimateVert9(&rows, w-n8, rnd, sh, mu1[fh+n8:], mu2[fh+n8:])
			case 5:
				vifDecimateVert5(&rows, w, rnd, sh, mu1[fh:], mu2[fh:])
			case 3:
				vifDecimateVert3(&rows, w, rnd, sh, mu1[fh:], mu2[fh:])
			}
		} else {
			clear(acc1)
			clear(acc2)
			for k := 0; k < fw; k++ {
				r := reflect101(i-fh+k, h)
				c := f[k]
				rr := ref[r*w:][:len(acc1)]
				dr := dis[r*w:][:len(acc1)]
				acc2 := acc2[:len(acc1)]
				for j := range acc1 {
					acc1[j] += c * uint32(rr[j])
					acc2[j] += c * uint32(dr[j])
				}
			}
			m1, m2 := mu1[fh:][:len(acc1)], mu2[fh:][:len(acc1)]
			acc2 := acc2[:len(acc1)]
			for j := range acc1 {
				m1[j] = (acc1[j] + rnd) >> sh
				m2[j] = (acc2[j] + rnd) >> sh
			}
		}
		for k := 1; k <= fh; k++ {
			mu1[fh-k] = mu1[fh+k]
			mu2[fh-k] = mu2[fh+k]
			mu1[fh+w-1+k] = mu1[fh+w-1-k]
			mu2[fh+w-1+k] = mu2[fh+w-1-k]
		}
		or := outRef[oi*ow:][:ow]
		od := outDis[oi*ow:][:ow]
		switch {
		case v.loops:
			for oj := range or {
				j := 2 * oj
				w1 := mu1[j:][:len(f)]
				w2 := mu2[j:][:len(f)]
				var a, b uint32
				for k, c := range f {
					a += c * w1[k]
					b += c * w2[k]
				}
				or[oj] = uint16((a + 32768) >> 16)
				od[oj] = uint16((b + 32768) >> 16)
			}
		case fw == 9:
			vifDecimateHoriz9(mu1, mu2, or, od)
		case fw == 5:
			vifDecimateHoriz5(mu1, mu2, or, od)
		case fw == 3:
			vifDecimateHoriz3(mu1, mu2, or, od)
		}
	}
}

// statistic computes one scale's numerator and denominator
// (vif_statistic_8/16).
func (v *vifWorker) statistic(ref, dis []uint16, w, h, scale, bpc int, egl float64) vifScale {
	f := vifFilters[scale]
	fw := len(f)
	fh := fw / 2
	var rndMu uint32 = 1 << 15
	var shMu uint = 16
	var rndSq uint64 = 1 << 15
	var shSq uint = 16
	if scale == 0 {
		rndMu, shMu = 1<<(bpc-1), uint(bpc)
		shSq = uint(2 * (bpc - 8))
		rndSq = 0
		if bpc > 8 {
			rndSq = 1 << (shSq - 1)
		}
	}
	const sigmaNsq = 65536 << 1
	var acc vifAccum

	off := 8 - fh
	mu1, mu2 := v.mu1[off:off+w+2*fh], v.mu2[off:off+w+2*fh]
	xx, yy, xy := v.xx[off:off+w+2*fh], v.yy[off:off+w+2*fh], v.xy[off:off+w+2*fh]
	var rr, dr [17][]uint16
	// For the 17- and 9-tap scales the AVX2 kernels take the columns up
	// to a multiple of 8 and the Go passes the rest.
	n8 := 0
	if vifAVX2 && !v.loops && (fw == 17 || fw == 9) {
		n8 = w &^ 7
	}
	rnd := vifRounding{rndMu: uint64(rndMu), shMu: shMu, rndSq: rndSq, shSq: shSq}
	for i := 0; i < h; i++ {
		for k := 0; k < fw; k++ {
			r := reflect101(i-fh+k, h)
			rr[k] = ref[r*w : r*w+w]
			dr[k] = dis[r*w : r*w+w]
		}
		// Vertical pass, one column at a time in registers. The filters
		// are symmetric, so taps k and fw-1-k share a multiply; integer
		// sums are exact, so the order does not change the result.
		cR, cD := rr[fh], dr[fh]
		cf := f[fh]
		var rows [34][]uint16
		copy(rows[:fw], rr[:fw])
		copy(rows[fw:], dr[:fw])
		if n8 > 0 {
			switch {
			case fw == 17 && bpc == 8:
				vifVert17AVX2(&rows, n8, &mu1[fh], &mu2[fh], &xx[fh], &yy[fh], &xy[fh])
			case fw == 17:
				vifVertWide17AVX2(&rows, n8, &rnd, &mu1[fh], &mu2[fh], &xx[fh], &yy[fh], &xy[fh])
			case fw == 9:
				vifVertWide9AVX2(&rows, n8, &rnd, &mu1[fh], &mu2[fh], &xx[fh], &yy[fh], &xy[fh])
			}
			for k := range rows[:2*fw] {
				rows[k] = rows[k][n8:]
			}
		}
		switch {
		case v.loops:
		case fw == 17:
			vifVert17(&rows, w-n8, rndMu, shMu, rndSq, shSq, mu1[fh+n8:], mu2[fh+n8:], xx[fh+n8:], yy[fh+n8:], xy[fh+n8:])
		case fw == 9:
			vifVert9(&rows, w-n8, rndMu, shMu, rndSq, shSq, mu1[fh+n8:], mu2[fh+n8:], xx[fh+n8:], yy[fh+n8:], xy[fh+n8:])
		case fw == 5:
			vifVert5(&rows, w, rndMu, shMu, rndSq, shSq, mu1[fh:], mu2[fh:], xx[fh:], yy[fh:], xy[fh:])
		case fw == 3:
			vifVert3(&rows, w, rndMu, shMu, rndSq, shSq, mu1[fh:], mu2[fh:], xx[fh:], yy[fh:], xy[fh:])
		}
		for j := 0; j < w && v.loops; j++ {
			x := uint32(cR[j])
			y := uint32(cD[j])
			m1 := cf * x
			m2 := cf * y
			sxx := uint64(cf) * uint64(x*x)
			syy := uint64(cf) * uint64(y*y)
			sxy := uint64(cf) * uint64(x*y)
			for k := 0; k < fh; k++ {
				xa, xb := uint32(rr[k][j]), uint32(rr[fw-1-k][j])
				ya, yb := uint32(dr[k][j]), uint32(dr[fw-1-k][j])
				c := f[k]
				m1 += c * (xa + xb)
				m2 += c * (ya + yb)
				c64 := uint64(c)
				sxx += c64 * (uint64(xa*xa) + uint64(xb*xb))
				syy += c64 * (uint64(ya*ya) + uint64(yb*yb))
				sxy += c64 * (uint64(xa*ya) + uint64(xb*yb))
			}
			mu1[fh+j] = (m1 + rndMu) >> shMu
			mu2[fh+j] = (m2 + rndMu) >> shMu
			xx[fh+j] = uint32((sxx + rndSq) >> shSq)
			yy[fh+j] = uint32((syy + rndSq) >> shSq)
			xy[fh+j] = uint32((sxy + rndSq) >> shSq)
		}
		for k := 1; k <= fh; k++ {
			l, r := fh-k, fh+k
			mu1[l], mu2[l], xx[l], yy[l], xy[l] = mu1[r], mu2[r], xx[r], yy[r], xy[r]
			l, r = fh+w-1+k, fh+w-1-k
			mu1[l], mu2[l], xx[l], yy[l], xy[l] = mu1[r], mu2[r], xx[r], yy[r], xy[r]
		}
		switch {
		case v.loops:
		case fw == 17:
			if n8 > 0 {
				vifHoriz17AVX2(&mu1[0], &mu2[0], &xx[0], &yy[0], &xy[0], n8, &v.s1[0], &v.s2[0], &v.s12[0])
				vifStatsRow(v.s1[:n8], v.s2[:n8], v.s12[:n8], egl, &acc)
			}
			vifHorizRow17(mu1[n8:], mu2[n8:], xx[n8:], yy[n8:], xy[n8:], w-n8, egl, &acc)
		case fw == 9:
			if n8 > 0 {
				vifHoriz9AVX2(&mu1[0], &mu2[0], &xx[0], &yy[0], &xy[0], n8, &v.s1[0], &v.s2[0], &v.s12[0])
				vifStatsRow(v.s1[:n8], v.s2[:n8], v.s12[:n8], egl, &acc)
			}
			vifHorizRow9(mu1[n8:], mu2[n8:], xx[n8:], yy[n8:], xy[n8:], w-n8, egl, &acc)
		case fw == 5:
			vifHorizRow5(mu1, mu2, xx, yy, xy, w, egl, &acc)
		case fw == 3:
			vifHorizRow3(mu1, mu2, xx, yy, xy, w, egl, &acc)
		}
		for j := 0; j < w && v.loops; j++ {
			m1, m2, sxx, syy, sxy := vifHoriz(f, mu1, mu2, xx, yy, xy, j)
			mu1sq := uint32((uint64(m1)*uint64(m1) + 1<<31) >> 32)
			mu2sq := uint32((uint64(m2)*uint64(m2) + 1<<31) >> 32)
			mu12 := uint32((uint64(m1)*uint64(m2) + 1<<31) >> 32)
			xxf := uint32((sxx + 32768) >> 16)
			yyf := uint32((syy + 32768) >> 16)
			xyf := uint32((sxy + 32768) >> 16)
			sigma1 := int32(xxf - mu1sq)
			sigma2 := int32(yyf - mu2sq)
			sigma12 := int32(xyf - mu12)
			if sigma2 < 0 {
				sigma2 = 0
			}
			if sigma1 < sigmaNsq {
				acc.numNonLog += int64(sigma2)
				acc.denNonLog++
				continue
			}
			acc.denLog += vifLog2_32(uint32(sigmaNsq+sigma1)) - 2048*17
			if sigma12 > 0 && sigma2 > 0 {
				acc.numLog += vifNumLog(sigma1, sigma2, sigma12, egl)
			}
		}
	}
	num := float64(acc.numLog)/2048.0 + (float64(acc.denNonLog) - (float64(acc.numNonLog)/16384.0)/65025.0)
	den := float64(acc.denLog)/2048.0 + float64(acc.denNonLog)
	return vifScale{num: float32(num), den: float32(den)}
}

// vifStatsRow adds the statistics of one row from its per-pixel sigmas
// (sigma2 before the clamp at 0), as the tail of vifHorizRow17 does.
func vifStatsRow(s1, s2, s12 []int32, egl float64, acc *vifAccum) {
	const sigmaNsq = 65536 << 1
	s2, s12 = s2[:len(s1)], s12[:len(s1)]
	if done := vifStatsKernel(s1, s2, s12, egl, acc); done > 0 {
		s1, s2, s12 = s1[done:], s2[done:], s12[done:]
	}
	a := *acc
	for j, sigma1 := range s1 {
		sigma2 := max(s2[j], 0)
		if sigma1 < sigmaNsq {
			a.numNonLog += int64(sigma2)
			a.denNonLog++
			continue
		}
		a.denLog += vifLog2_32(uint32(sigmaNsq+sigma1)) - 2048*17
		sigma12 := s12[j]
		if sigma12 <= 0 || sigma2 <= 0 {
			continue
		}
		// vifNumLog, inlined; n1 < 2³² so its log2_64 is log2_32.
		const eps = 65536 * 1.0e-10
		g := float64(sigma12) / (float64(sigma1) + eps)
		svSq := max(int32(float64(sigma2)-float64(g*float64(sigma12))), 0)
		g = min(g, egl)
		n1 := uint32(svSq) + sigmaNsq
		n2 := int64(float64(g*g)*float64(sigma1)) + int64(n1)
		a.numLog += vifLog2_64(uint64(n2)) - vifLog2_32(n1)
	}
	*acc = a
}

// vifAccum holds the four integer accumulators of one scale.
type vifAccum struct {
	numLog, denLog, numNonLog, denNonLog int64
}

// vifNumLog is the log-domain numerator contribution of one textured pixel.
// The float64 conversions around products keep the compiler from fusing
// them into FMAs, which C (built for baseline x86-64) does not do.
func vifNumLog(sigma1, sigma2, sigma12 int32, egl float64) int64 {
	const eps = 65536 * 1.0e-10
	const sigmaNsq = 65536 << 1
	g := float64(sigma12) / (float64(sigma1) + eps)
	svSq := int32(float64(sigma2) - float64(g*float64(sigma12)))
	if svSq < 0 {
		svSq = 0
	}
	if g > egl {
		g = egl
	}
	n1 := uint32(svSq) + sigmaNsq
	n2 := int64(float64(g*g)*float64(sigma1)) + int64(n1)
	return vifLog2_64(uint64(n2)) - vifLog2_64(uint64(n1))
}

// vifHoriz is the horizontal pass at output column j for any filter length.
func vifHoriz(f []uint32, mu1, mu2, xx, yy, xy []uint32, j int) (m1, m2 uint32, sxx, syy, sxy uint64) {
	fw := len(f)
	fh := fw / 2
	c := f[fh]
	m1 = c * mu1[j+fh]
	m2 = c * mu2[j+fh]
	sxx = uint64(c) * uint64(xx[j+fh])
	syy = uint64(c) * uint64(yy[j+fh])
	sxy = uint64(c) * uint64(xy[j+fh])
	for k := 0; k < fh; k++ {
		a, b := j+k, j+fw-1-k
		c := f[k]
		m1 += c * (mu1[a] + mu1[b])
		m2 += c * (mu2[a] + mu2[b])
		c64 := uint64(c)
		sxx += c64 * (uint64(xx[a]) + uint64(xx[b]))
		syy += c64 * (uint64(yy[a]) + uint64(yy[b]))
		sxy += c64 * (uint64(xy[a]) + uint64(xy[b]))
	}
	return
}
