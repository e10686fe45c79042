package vmaf

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"github.com/reelmedia/reel/media"
)

// SSIM and MS-SSIM follow libvmaf's float_ssim and float_ms_ssim (ssim.c,
// ms_ssim.c and the iqa/ helpers) operation by operation, because both are
// float32 pipelines whose last digits depend on where values are rounded:
//
//   - products of two float32 values are float32 and are then added into a
//     float64 sum (convolution, decimation);
//   - every explicit float32(...) or float64(...) conversion below marks a
//     rounding the C code makes, and also stops the compiler from fusing a
//     multiply and an add (C's build does not contract to FMA).
//
// See shared/vmaf-spec.md sections 9 and 10.

// gaussWindow is the separable 11-tap Gaussian window of iqa's
// g_gaussian_window_h/v (the 2-D table in the same header is not used).
var gaussWindow = [11]float32{
	0.001028, 0.007599, 0.036001, 0.109361, 0.213006, 0.266012,
	0.213006, 0.109361, 0.036001, 0.007599, 0.001028,
}

const gaussLen = len(gaussWindow)

// SSIM constants of _iqa_ssim with its default arguments, in float32:
// C1 = (K1·L)², C2 = (K2·L)², C3 = C2/2 with K1 = 0.01, K2 = 0.03, L = 255.
var (
	ssimC1 = sq32(float32(0.01) * 255)
	ssimC2 = sq32(float32(0.03) * 255)
	ssimC3 = ssimC2 / 2
)

func sq32(x float32) float32 { return x * x }

// workspace holds the float buffers of one SSIM or MS-SSIM computation. It is
// reused through wsPool so that scoring a long clip does not allocate tens
// of megabytes per frame.
type workspace struct {
	bufs  [][]float32
	next  int
	state []float64 // msssimCore's pending vertical sums
	decim []float64 // decimateLPF's pending sums
	ones8 []byte    // msssimCore's row of 8-bit ones
}

var wsPool = sync.Pool{New: func() any { return new(workspace) }}

// get returns a buffer of n floats from the workspace (contents undefined).
func (ws *workspace) get(n int) []float32 {
	if ws.next == len(ws.bufs) {
		ws.bufs = append(ws.bufs, nil)
	}
	b := ws.bufs[ws.next]
	if cap(b) < n {
		b = make([]float32, n)
		ws.bufs[ws.next] = b
	}
	ws.next++
	return b[:n]
}

func (ws *workspace) release() {
	ws.next = 0
	wsPool.Put(ws)
}

// lumaFloat converts the luma plane to float32 on the 8-bit scale as
// libvmaf's picture_copy does: 10-bit samples are divided by 4, 12-bit by
// 16, 16-bit by 256.
func lumaFloat(f *media.Frame, dst []float32) {
	p := f.Planes[0]
	w, h := f.Width, f.Height
	if f.Format.BitDepth == 8 {
		for y := 0; y < h; y++ {
			row := p.Pix[y*p.Stride : y*p.Stride+w]
			out := dst[y*w : y*w+w]
			for x := lumaBytesKernel(out, row); x < w; x++ {
				out[x] = float32(row[x])
			}
		}
		return
	}
	var div float32
	switch f.Format.BitDepth {
	case 10:
		div = 4
	case 12:
		div = 16
	default:
		div = 256
	}
	for y := 0; y < h; y++ {
		row := p.Pix[y*p.Stride : y*p.Stride+2*w]
		out := dst[y*w : y*w+w]
		for x := range out {
			out[x] = float32(binary.LittleEndian.Uint16(row[2*x:])) / div
		}
	}
}

// ssimFrame is libvmaf's float_ssim of the luma planes.
func ssimFrame(ref, dis *media.Frame) (float64, error) {
	w, h := ref.Width, ref.Height
	// Auto scale: max(1, round(min(w,h)/256)) with iqa's _round (round half up).
	scale := 1
	if r := iqaRound(float32(min(w, h)) / 256); r > 1 {
		scale = r
	}
	sw, sh := w, h
	if scale > 1 {
		sw, sh = w/scale+(w&1), h/scale+(h&1)
	}
	if sw < gaussLen || sh < gaussLen {
		return 0, fmt.Errorf("%dx%d is too small for SSIM (needs %d samples after a 1/%d downscale): %w", w, h, gaussLen, scale, ErrFeatureInput)
	}
	ws := wsPool.Get().(*workspace)
	defer ws.release()
	rf, df := ws.get(w*h), ws.get(w*h)
	lumaFloat(ref, rf)
	lumaFloat(dis, df)
	if scale > 1 {
		// A scale×scale box filter, every weight float32(1/scale²), sampled
		// at every scale-th pixel, in place as libvmaf does.
		k := make([]float32, scale*scale)
		wt := float32(1) / float32(scale*scale)
		for i := range k {
			k[i] = wt
		}
		decimate(rf, w, h, scale, k, scale, rf)
		decimate(df, w, h, scale, k, scale, df)
		w, h = sw, sh
	}
	s, _, _, _ := ssimCore(ws, rf[:w*h], df[:w*h], w, h)
	return float64(s), nil
}

// iqaRound is iqa's _round: add one when the fraction is at least 0.5.
func iqaRound(a float32) int {
	sign := -1
	if a > 0 {
		sign = 1
	}
	i := int(a)
	if float64(a-float32(i)) >= 0.5 {
		return i + sign
	}
	return i
}

// decimate is iqa's _iqa_decimate: output (x, y) is the kernel (kw×kw,
// row-major, centred with taps -kw/2 .. kw/2 - (1 if kw is even)) applied at
// input (x·factor, y·factor), mirroring at the borders with edge repeat.
// The output is (w/factor + w&1) × (h/factor + h&1). dst may be src: the C
// code decimates in place, and so does this, reading what it has not yet
// overwritten exactly as the C code does.
func decimate(src []float32, w, h, factor int, k []float32, kw int, dst []float32) {
	sw, sh := w/factor+(w&1), h/factor+(h&1)
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			dst[y*sw+x] = filterPixel(src, w, h, x*factor, y*factor, k, kw)
		}
	}
}

// filterPixel is iqa's _iqa_filter_pixel with kscale 1 and KBND_SYMMETRIC
// borders.
func filterPixel(img []float32, w, h, x, y int, k []float32, kw int) float32 {
	uc := kw / 2
	even := 0
	if kw&1 == 0 {
		even = 1
	}
	var sum float64
	ko := 0
	if kw == 9 && x >= uc && y >= uc && x < w-uc && y < h-uc {
		// MS-SSIM's 9×9 low-pass away from the borders, written out.
		for v := -4; v <= 4; v++ {
			p := img[(y+v)*w+x-4 : (y+v)*w+x+5 : (y+v)*w+x+5]
			kr := k[ko : ko+9 : ko+9]
			sum += float64(p[0] * kr[0])
			sum += float64(p[1] * kr[1])
			sum += float64(p[2] * kr[2])
			sum += float64(p[3] * kr[3])
			sum += float64(p[4] * kr[4])
			sum += float64(p[5] * kr[5])
			sum += float64(p[6] * kr[6])
			sum += float64(p[7] * kr[7])
			sum += float64(p[8] * kr[8])
			ko += 9
		}
		return float32(sum)
	}
	if x >= uc && y >= uc && x < w-uc && y < h-uc {
		for v := -uc; v <= uc-even; v++ {
			row := img[(y+v)*w+x-uc : (y+v)*w+x+uc-even+1]
			for _, p := range row {
				sum += float64(p * k[ko])
				ko++
			}
		}
		return float32(sum)
	}
	for v := -uc; v <= uc-even; v++ {
		yy := mirror(y+v, h)
		for u := -uc; u <= uc-even; u++ {
			sum += float64(img[yy*w+mirror(x+u, w)] * k[ko])
			ko++
		}
	}
	return float32(sum)
}

// mirror is KBND_SYMMETRIC: -1 maps to 0, n maps to n-1 (one reflection).
func mirror(i, n int) int {
	if i < 0 {
		return -1 - i
	}
	if i >= n {
		return 2*n - i - 1
	}
	return i
}

// convolve is iqa's _iqa_convolve with IQA_CONVOLVE_1D and the Gaussian
// window: a "valid" separable filter whose output is (w-10)×(h-10), written
// to dst (which may be img). tmp must hold w*h floats.
//
// Each output is a float64 sum, left to right over the 11 taps, of float32
// products, rounded to float32 after each pass; the taps are written out
// because this is where SSIM spends its time.
func convolve(img []float32, w, h int, dst, tmp []float32) {
	const uc = gaussLen / 2
	dw, dh := w-gaussLen+1, h-gaussLen+1
	if ssimSIMD() {
		// The same sums through the kernel: the horizontal taps are
		// neighbouring samples, the vertical ones rows w apart.
		var hoffs, voffs [gaussLen]int
		for t := range hoffs {
			hoffs[t], voffs[t] = t, t*w
		}
		for y := 0; y < h; y++ {
			ssimRows(tmp[y*w+uc:y*w+uc+dw], img[y*w:], hoffs[:], gaussWindow[:])
		}
		for y := 0; y < dh; y++ {
			ssimRows(dst[y*dw:y*dw+dw], tmp[y*w+uc:], voffs[:], gaussWindow[:])
		}
		return
	}
	k0, k1, k2, k3, k4, k5 := gaussWindow[0], gaussWindow[1], gaussWindow[2], gaussWindow[3], gaussWindow[4], gaussWindow[5]
	k6, k7, k8, k9, k10 := gaussWindow[6], gaussWindow[7], gaussWindow[8], gaussWindow[9], gaussWindow[10]
	// Horizontal pass over every row; tmp keeps img's layout (columns uc..uc+dw-1).
	for y := 0; y < h; y++ {
		row := img[y*w : y*w+w]
		out := tmp[y*w+uc : y*w+uc+dw]
		for x := range out {
			p := row[x : x+gaussLen : x+gaussLen]
			out[x] = float32(float64(p[0]*k0) + float64(p[1]*k1) + float64(p[2]*k2) + float64(p[3]*k3) +
				float64(p[4]*k4) + float64(p[5]*k5) + float64(p[6]*k6) + float64(p[7]*k7) +
				float64(p[8]*k8) + float64(p[9]*k9) + float64(p[10]*k10))
		}
	}
	// Vertical pass, a row of outputs at a time.
	for y := 0; y < dh; y++ {
		r := func(v int) []float32 { return tmp[(y+v)*w+uc : (y+v)*w+uc+dw] }
		r0, r1, r2, r3, r4, r5 := r(0), r(1), r(2), r(3), r(4), r(5)
		r6, r7, r8, r9, r10 := r(6), r(7), r(8), r(9), r(10)
		out := dst[y*dw : y*dw+dw]
		// Equal lengths let the compiler drop the bounds checks below.
		r0, r1, r2, r3, r4, r5 = r0[:len(out)], r1[:len(out)], r2[:len(out)], r3[:len(out)], r4[:len(out)], r5[:len(out)]
		r6, r7, r8, r9, r10 = r6[:len(out)], r7[:len(out)], r8[:len(out)], r9[:len(out)], r10[:len(out)]
		for x := range out {
			out[x] = float32(float64(r0[x]*k0) + float64(r1[x]*k1) + float64(r2[x]*k2) + float64(r3[x]*k3) +
				float64(r4[x]*k4) + float64(r5[x]*k5) + float64(r6[x]*k6) + float64(r7[x]*k7) +
				float64(r8[x]*k8) + float64(r9[x]*k9) + float64(r10[x]*k10))
		}
	}
}

// ssimRows sets dst[i] = float32(Σ_t float64(base[offs[t]+i]·k[t])) for
// every i in dst, the sum taken from zero in tap order as iqa's loops do:
// one filter tap per source row offs[t]. The SIMD kernel (ssim_amd64.s)
// writes what it can and the loop below the rest, or all of it where there
// is no kernel or an offset would read outside base.
func ssimRows(dst, base []float32, offs []int, k []float32) {
	done := 0
	if len(dst) > 0 && len(k) > 0 && len(offs) == len(k) && ssimSIMD() {
		inside := true
		for _, o := range offs {
			if o < 0 || o+len(dst) > len(base) {
				inside = false
				break
			}
		}
		if inside {
			done = ssimRowsKernel(dst, base, offs, k)
		}
	}
	for i := done; i < len(dst); i++ {
		var sum float64
		for t, o := range offs {
			sum += float64(base[o+i] * k[t])
		}
		dst[i] = float32(sum)
	}
}

// ssimCore is iqa's _iqa_ssim with default arguments on w×h float images:
// it returns the mean SSIM and the means of its luminance, contrast and
// structure terms, each rounded to float32 as the C code returns them.
// ref and cmp are left unchanged.
func ssimCore(ws *workspace, ref, cmp []float32, w, h int) (ssim, lm, cm, sm float32) {
	n := w * h
	tmp := ws.get(n)
	refMu, cmpMu := ws.get(n), ws.get(n)
	refSq, cmpSq, both := ws.get(n), ws.get(n), ws.get(n)
	convolve(ref, w, h, refMu, tmp)
	convolve(cmp, w, h, cmpMu, tmp)
	for i := 0; i < n; i++ {
		r, c := ref[i], cmp[i]
		refSq[i] = r * r
		cmpSq[i] = c * c
		both[i] = r * c
	}
	convolve(refSq, w, h, refSq, tmp)
	convolve(cmpSq, w, h, cmpSq, tmp)
	convolve(both, w, h, both, tmp)
	w, h = w-gaussLen+1, h-gaussLen+1
	n = w * h

	// The per-pixel terms in chunks (through ssimTermsKernel where there is
	// one), then their sums in pixel order: the float64 sums are sequential
	// and are not vectorised.
	const chunk = 256
	var lb, cb, tb [chunk]float64
	var sb [chunk]float32
	var ssimSum, lSum, cSum, sSum float64
	for i0 := 0; i0 < n; i0 += chunk {
		m := min(chunk, n-i0)
		mu1, mu2 := refMu[i0:i0+m], cmpMu[i0:i0+m]
		sq1, sq2, s12 := refSq[i0:i0+m], cmpSq[i0:i0+m], both[i0:i0+m]
		done := ssimTermsKernel(mu1, mu2, sq1, sq2, s12, lb[:m], cb[:m], tb[:m], sb[:m])
		for j := done; j < m; j++ {
			lb[j], cb[j], tb[j], sb[j] = ssimPixel(mu1[j], mu2[j], sq1[j], sq2[j], s12[j])
		}
		for j := 0; j < m; j++ {
			ssimSum += tb[j]
			lSum += lb[j]
			cSum += cb[j]
			sSum += float64(sb[j])
		}
	}
	d := float64(n)
	return float32(ssimSum / d), float32(lSum / d), float32(cSum / d), float32(sSum / d)
}

// ssimPixel is the SSIM of one pixel from its window means and moments:
// the luminance and contrast terms l and c (float64 in the C code), the
// structure term s (float32) and l·c·s, the pixel's SSIM.
func ssimPixel(mu1, mu2, sq1, sq2, both float32) (l, c, lcs float64, s float32) {
	c1, c2, c3 := ssimC1, ssimC2, ssimC3
	s1 := sq1 - float32(mu1*mu1)
	s2 := sq2 - float32(mu2*mu2)
	if 0 > s1 {
		s1 = 0
	}
	if 0 > s2 {
		s2 = 0
	}
	s12 := both - float32(mu1*mu2)

	sr := float32(math.Sqrt(float64(s1 * s2)))
	lNum := float64(float64(2.0*float64(mu1))*float64(mu2)) + float64(c1)
	lDen := float32(float32(mu1*mu1)+float32(mu2*mu2)) + c1
	l = lNum / float64(lDen)
	cNum := float64(2.0*float64(sr)) + float64(c2)
	cDen := float32(s1+s2) + c2
	c = cNum / float64(cDen)
	if s12 < 0 && sr <= 0 {
		s12 = 0
	}
	s = (s12 + c3) / (sr + c3)
	return l, c, float64(float64(l*c) * float64(s)), s
}

// ssimConsts are SSIM's constants laid out for ssimTermsAVX2, each
// repeated across a register.
type ssimConsts struct {
	two, c1, c2   [4]float64
	c1f, c2f, c3f [4]float32
}

var ssimKernelConsts = ssimConsts{
	two: [4]float64{2, 2, 2, 2},
	c1:  [4]float64{float64(ssimC1), float64(ssimC1), float64(ssimC1), float64(ssimC1)},
	c2:  [4]float64{float64(ssimC2), float64(ssimC2), float64(ssimC2), float64(ssimC2)},
	c1f: [4]float32{ssimC1, ssimC1, ssimC1, ssimC1},
	c2f: [4]float32{ssimC2, ssimC2, ssimC2, ssimC2},
	c3f: [4]float32{ssimC3, ssimC3, ssimC3, ssimC3},
}
