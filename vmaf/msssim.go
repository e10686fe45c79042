package vmaf

import (
	"fmt"
	"math"

	"github.com/reelmedia/reel/media"
)

// msssimScales is the number of scales of Wang's MS-SSIM.
const msssimScales = 5

// msssimLPF is the 9×9 low-pass table of ms_ssim.c (9/7 biorthogonal
// wavelet) used to halve each scale. It is used as given: it is not exactly
// the outer product of the 1-D filter, both being rounded to 6 decimals.
var msssimLPF = [81]float32{
	0.000714, -0.000450, -0.002090, 0.007132, 0.016114, 0.007132, -0.002090, -0.000450, 0.000714,
	-0.000450, 0.000283, 0.001316, -0.004490, -0.010146, -0.004490, 0.001316, 0.000283, -0.000450,
	-0.002090, 0.001316, 0.006115, -0.020867, -0.047149, -0.020867, 0.006115, 0.001316, -0.002090,
	0.007132, -0.004490, -0.020867, 0.071207, 0.160885, 0.071207, -0.020867, -0.004490, 0.007132,
	0.016114, -0.010146, -0.047149, 0.160885, 0.363505, 0.160885, -0.047149, -0.010146, 0.016114,
	0.007132, -0.004490, -0.020867, 0.071207, 0.160885, 0.071207, -0.020867, -0.004490, 0.007132,
	-0.002090, 0.001316, 0.006115, -0.020867, -0.047149, -0.020867, 0.006115, 0.001316, -0.002090,
	-0.000450, 0.000283, 0.001316, -0.004490, -0.010146, -0.004490, 0.001316, 0.000283, -0.000450,
	0.000714, -0.000450, -0.002090, 0.007132, 0.016114, 0.007132, -0.002090, -0.000450, 0.000714,
}

// Per-scale exponents of luminance (alpha), contrast (beta) and structure
// (gamma): luminance enters only at the coarsest scale.
var (
	msssimAlpha = [msssimScales]float32{0, 0, 0, 0, 0.1333}
	msssimBeta  = [msssimScales]float32{0.0448, 0.2856, 0.3001, 0.2363, 0.1333}
	msssimGamma = [msssimScales]float32{0.0448, 0.2856, 0.3001, 0.2363, 0.1333}
)

// MSSSIMMinSize is the smallest width and height float_ms_ssim accepts:
// the fifth scale (1/16) must still hold the 11-tap window.
const MSSSIMMinSize = gaussLen << (msssimScales - 1)

// msssimFrame is libvmaf's float_ms_ssim of the luma planes: no automatic
// downscale, five scales each halved by msssimLPF (size w/2 + w&1), SSIM's
// terms at each, combined as Π l^α·c^β·s^γ in float64. With AVX-512 or
// AVX2 the scales whose α is 0 go through msssimCore, the others (and
// every scale without either) through ssimCore: the same floats either
// way.
func msssimFrame(ref, dis *media.Frame) (float64, error) {
	w, h := ref.Width, ref.Height
	// libvmaf's check: each of the five scales (halved rounding down) must
	// hold the window.
	for i, cw, ch := 0, w, h; i < msssimScales; i, cw, ch = i+1, cw/2, ch/2 {
		if cw < gaussLen || ch < gaussLen {
			return 0, fmt.Errorf("%dx%d is too small for MS-SSIM (needs at least %dx%d): %w", w, h, MSSSIMMinSize, MSSSIMMinSize, ErrFeatureInput)
		}
	}
	ws := wsPool.Get().(*workspace)
	defer ws.release()
	// The SIMD path reads 8-bit frames' first scale from their bytes.
	bytes := msssimSIMD() && ref.Format.BitDepth == 8 && msssimAlpha[0] == 0
	var refs, diss [msssimScales][]float32
	var rows [msssimScales][2]lumaRows
	var ws_, hs [msssimScales]int
	cw, ch := w, h
	for i := 0; i < msssimScales; i++ {
		if i > 0 || !bytes {
			refs[i], diss[i] = ws.get(cw*ch), ws.get(cw*ch)
		}
		rows[i] = [2]lumaRows{{f: refs[i], stride: cw}, {f: diss[i], stride: cw}}
		ws_[i], hs[i] = cw, ch
		cw, ch = cw/2+(cw&1), ch/2+(ch&1)
	}
	if bytes {
		rp, dp := ref.Planes[0], dis.Planes[0]
		rows[0] = [2]lumaRows{{b: rp.Pix, stride: rp.Stride}, {b: dp.Pix, stride: dp.Stride}}
	} else {
		lumaFloat(ref, refs[0])
		lumaFloat(dis, diss[0])
	}
	for i := 1; i < msssimScales; i++ {
		decimateLPF(ws, rows[i-1][0], ws_[i-1], hs[i-1], refs[i])
		decimateLPF(ws, rows[i-1][1], ws_[i-1], hs[i-1], diss[i])
	}
	ms := 1.0
	for i := 0; i < msssimScales; i++ {
		mark := ws.next
		var l, c, s float32
		if msssimAlpha[i] == 0 && msssimSIMD() {
			// l^0 is 1 whatever l is (math.Pow), so l is not computed.
			l = 1
			c, s = msssimCore(ws, rows[i][0], rows[i][1], ws_[i], hs[i])
		} else {
			_, l, c, s = ssimCore(ws, refs[i], diss[i], ws_[i], hs[i])
		}
		ws.next = mark // the core's buffers are free again for the next scale
		term := float64(math.Pow(float64(l), float64(msssimAlpha[i])) * math.Pow(float64(c), float64(msssimBeta[i])))
		ms *= float64(term * math.Pow(float64(s), float64(msssimGamma[i])))
		if math.IsInf(ms, 1) {
			return 0, fmt.Errorf("MS-SSIM is infinite: %w", ErrFeatureInput)
		}
	}
	return ms, nil
}

// decimateLPF is decimate(src, w, h, 2, msssimLPF[:], 9, dst) for a dst
// apart from src. Where there is a SIMD kernel, src is padded by 4 on each
// side with filterPixel's mirroring (so the border outputs read the samples
// filterPixel reads) and split into its even and odd columns (so the
// samples a tap reads for consecutive outputs are consecutive), a band of
// rows at a time; ssimDecimAVX512 (AVX-512) filters strips of 16 columns,
// ssimDecimAVX2 (AVX2 alone) strips of 8, and ssimRows the rest. Every
// output is the same float as filterPixel's, its 81 products summed in
// the same order.
func decimateLPF(ws *workspace, src lumaRows, w, h int, dst []float32) {
	if !ssimSIMD() || src.f == nil && !msssimSIMD() {
		mark := ws.next
		decimate(src.floats(ws, w, h), w, h, 2, msssimLPF[:], 9, dst)
		ws.next = mark
		return
	}
	const pad = 4
	sw, sh := w/2+(w&1), h/2+(h&1)
	pw, ph := w+2*pad, h+2*pad
	we, wo := (pw+1)/2, pw/2
	mark := ws.next
	defer func() { ws.next = mark }()
	// A band of padded rows at a time, split into even and odd columns and
	// filtered while in cache. The buffer holds the band and the 8 rows
	// before it (which the band's outputs also read): padded row r is row
	// r-r0+pad*2 of it.
	const band = 40 // a multiple of the decimation kernels' ten-row rotation
	const keep = 2 * pad
	rows := min(band, ph) + keep
	eo := ws.get(rows * (we + wo)) // even padded columns, then odd ones
	e, o := eo[:rows*we], eo[rows*we:]
	strips := decimStrips(sw)
	if cap(ws.decim) < strips*80 {
		ws.decim = make([]float64, strips*80)
	}
	var offs [81]int
	for r0 := 0; r0 < ph; r0 += band {
		r1 := min(r0+band, ph)
		if r0 > 0 {
			copy(e[:keep*we], e[band*we:(band+keep)*we])
			copy(o[:keep*wo], o[band*wo:(band+keep)*wo])
		}
		for py := r0; py < r1; py++ {
			b := py - r0 + keep
			e, o := e[b*we:b*we+we], o[b*wo:b*wo+wo]
			// Padded column 2x is in[2x-pad], mirrored at the borders:
			// the kernel takes the pairs from the first on, the loops the
			// rest.
			y := mirror(py-pad, h)
			if src.f == nil {
				in := src.b[y*src.stride:][:w]
				n := pad/2 + deinterleave8Kernel(e[pad/2:], o[pad/2:], in)
				for x := 0; x < pad/2; x++ {
					e[x], o[x] = float32(in[mirror(2*x-pad, w)]), float32(in[mirror(2*x+1-pad, w)])
				}
				for x := n; x < we; x++ {
					e[x] = float32(in[mirror(2*x-pad, w)])
				}
				for x := n; x < wo; x++ {
					o[x] = float32(in[mirror(2*x+1-pad, w)])
				}
				continue
			}
			in := src.f[y*w:][:w]
			n := pad/2 + deinterleaveKernel(e[pad/2:], o[pad/2:], in)
			for x := 0; x < pad/2; x++ {
				e[x], o[x] = in[mirror(2*x-pad, w)], in[mirror(2*x+1-pad, w)]
			}
			for x := n; x < we; x++ {
				e[x] = in[mirror(2*x-pad, w)]
			}
			for x := n; x < wo; x++ {
				o[x] = in[mirror(2*x+1-pad, w)]
			}
		}
		if strips > 0 {
			decimKernel(dst, e[keep*we:], o[keep*wo:], we, wo, sw, r0, r1, strips, ws.decim)
		}
		// The other columns of the output rows whose last padded row,
		// 2y+8, is in this band. Tap (v, u) of output (x, y) reads padded
		// (2y+v, 2x+u): even column x+u/2 for even u, odd column
		// x+(u-1)/2 for odd u.
		c0 := decimStrip() * strips
		if c0 == sw {
			continue
		}
		for y := max(0, (r0-8+1)/2); 2*y+8 < r1 && y < sh; y++ {
			for v := 0; v < 9; v++ {
				b := 2*y + v - r0 + keep
				for u := 0; u < 9; u += 2 {
					offs[v*9+u] = b*we + u/2
				}
				for u := 1; u < 9; u += 2 {
					offs[v*9+u] = rows*we + b*wo + (u-1)/2
				}
			}
			ssimRows(dst[y*sw+c0:y*sw+sw], eo[c0:], offs[:], msssimLPF[:])
		}
	}
}

// msssimBand is how many rows msssimCore filters at a time: a multiple of
// the window (vertStripsKernel's rotation) small enough for the five
// planes' band to stay in a core's cache.
const msssimBand = 2 * gaussLen

// msssimCore is ssimCore's contrast and structure means, the same float32
// values, computed a band of rows at a time through the kernels: the
// products of a row and the horizontal passes of the five images
// (horizKernel) go into five band buffers, the vertical passes
// (vertStripsKernel, ssimRows for the last columns) overwrite them in
// place, and msssimTermsKernel adds up the per-pixel terms of the finished
// rows in pixel order as ssimCore does.
//
// A buffer holds the band's rows y0 .. y1-1 after ten rows for the outputs
// y0-10 .. y0-1 that the band finishes (row y is buffer row y-y0+10).
func msssimCore(ws *workspace, ref, cmp lumaRows, w, h int) (cm, sm float32) {
	const keep = gaussLen - 1
	dw, dh := w-gaussLen+1, h-gaussLen+1
	rows := min(msssimBand, h) + keep
	var planes [5][]float32
	for q := range planes {
		planes[q] = ws.get(dw * rows)
	}
	aa, bb, ab, ones := ws.get(w), ws.get(w), ws.get(w), ws.get(w)
	for i := range ones {
		ones[i] = 1
	}
	af, bf := ws.get(w), ws.get(w) // 8-bit rows as floats, where the kernel does not run
	if len(ws.ones8) < w {
		ws.ones8 = make([]byte, w)
		for i := range ws.ones8 {
			ws.ones8[i] = 1
		}
	}
	ones8 := ws.ones8[:w]
	perPlane := vertStateLen(dw)
	if cap(ws.state) < 5*perPlane+horizBuf {
		ws.state = make([]float64, 5*perPlane+horizBuf)
	}
	hbuf := ws.state[5*perPlane : 5*perPlane+horizBuf]
	var hoffs, voffs [gaussLen]int
	for t := range hoffs {
		hoffs[t], voffs[t] = t, t*dw
	}
	const chunk = 256
	var cb, sb [chunk]float64
	var sums [2]float64
	next := 0 // the first output row whose terms are not summed yet
	done := 0 // the columns vertStripsKernel does
	for y0 := 0; y0 < h; y0 += msssimBand {
		y1 := min(y0+msssimBand, h)
		if y0 > 0 && done < dw {
			// The last columns of the previous band's last ten rows are
			// still to be filtered vertically, by ssimRows.
			for _, p := range planes {
				for r := 0; r < keep; r++ {
					copy(p[r*dw+done:r*dw+dw], p[(msssimBand+r)*dw+done:(msssimBand+r)*dw+dw])
				}
			}
		}
		for y := y0; y < y1; y++ {
			r := y - y0 + keep
			var a, b []float32
			if ref.f == nil {
				a8, b8 := ref.b[y*ref.stride:y*ref.stride+w], cmp.b[y*cmp.stride:y*cmp.stride+w]
				if horiz8Kernel(planes[0][r*dw:r*dw+dw], a8, ones8, hbuf) > 0 {
					horiz8Kernel(planes[1][r*dw:r*dw+dw], b8, ones8, hbuf)
					horiz8Kernel(planes[2][r*dw:r*dw+dw], a8, a8, hbuf)
					horiz8Kernel(planes[3][r*dw:r*dw+dw], b8, b8, hbuf)
					horiz8Kernel(planes[4][r*dw:r*dw+dw], a8, b8, hbuf)
					continue
				}
				for x := range af {
					af[x], bf[x] = float32(a8[x]), float32(b8[x])
				}
				a, b = af, bf
			} else {
				a, b = ref.f[y*w:y*w+w], cmp.f[y*w:y*w+w]
			}
			// The kernel forms the products as it reads the rows.
			if horizKernel(planes[0][r*dw:r*dw+dw], a, ones, hbuf) > 0 {
				horizKernel(planes[1][r*dw:r*dw+dw], b, ones, hbuf)
				horizKernel(planes[2][r*dw:r*dw+dw], a, a, hbuf)
				horizKernel(planes[3][r*dw:r*dw+dw], b, b, hbuf)
				horizKernel(planes[4][r*dw:r*dw+dw], a, b, hbuf)
				continue
			}
			for x := productsKernel(a, b, aa, bb, ab); x < w; x++ {
				aa[x], bb[x], ab[x] = a[x]*a[x], b[x]*b[x], a[x]*b[x]
			}
			for q, src := range [5][]float32{a, b, aa, bb, ab} {
				ssimRows(planes[q][r*dw:r*dw+dw], src, hoffs[:], gaussWindow[:])
			}
		}
		// Output rows next .. end-1 have all their input rows now.
		end := y1 - keep
		for q, p := range planes {
			done = vertStripsKernel(p[(next-y0+keep)*dw:], p[keep*dw:], dw, y0, y1, ws.state[q*perPlane:(q+1)*perPlane])
			if done == dw {
				continue
			}
			// In place, top row first: output row y is the last to read
			// input row y.
			for y := next; y < end; y++ {
				r := y - y0 + keep
				ssimRows(p[r*dw+done:r*dw+dw], p[r*dw+done:], voffs[:], gaussWindow[:])
			}
		}
		if end <= next {
			continue
		}
		i1 := (end - y0 + keep) * dw
		for i0 := (next - y0 + keep) * dw; i0 < i1; i0 += chunk {
			m := min(chunk, i1-i0)
			mu1, mu2 := planes[0][i0:i0+m], planes[1][i0:i0+m]
			sq1, sq2, s12 := planes[2][i0:i0+m], planes[3][i0:i0+m], planes[4][i0:i0+m]
			for j := msssimTermsKernel(mu1, mu2, sq1, sq2, s12, cb[:m], sb[:m], &sums); j < m; j++ {
				_, c, _, s := ssimPixel(mu1[j], mu2[j], sq1[j], sq2[j], s12[j])
				sums[0] += c
				sums[1] += float64(s)
			}
		}
		next = end
	}
	d := float64(dw * dh)
	return float32(sums[0] / d), float32(sums[1] / d)
}

// lumaRows is an image for msssimCore and decimateLPF: w float32 a row in
// f, or (the first scale of an 8-bit frame on the SIMD path) samples of
// the frame in b, stride bytes a row.
type lumaRows struct {
	f      []float32
	b      []byte
	stride int
}

// floats returns the image as w×h float32.
func (r lumaRows) floats(ws *workspace, w, h int) []float32 {
	if r.f != nil {
		return r.f
	}
	f := ws.get(w * h)
	for y := 0; y < h; y++ {
		for x, v := range r.b[y*r.stride : y*r.stride+w] {
			f[y*w+x] = float32(v)
		}
	}
	return f
}
