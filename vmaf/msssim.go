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
// terms at each, combined as Π l^α·c^β·s^γ in float64.
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
	var refs, diss [msssimScales][]float32
	var ws_, hs [msssimScales]int
	cw, ch := w, h
	for i := 0; i < msssimScales; i++ {
		refs[i], diss[i] = ws.get(cw*ch), ws.get(cw*ch)
		ws_[i], hs[i] = cw, ch
		cw, ch = cw/2+(cw&1), ch/2+(ch&1)
	}
	lumaFloat(ref, refs[0])
	lumaFloat(dis, diss[0])
	for i := 1; i < msssimScales; i++ {
		decimateLPF(ws, refs[i-1], ws_[i-1], hs[i-1], refs[i])
		decimateLPF(ws, diss[i-1], ws_[i-1], hs[i-1], diss[i])
	}
	ms := 1.0
	for i := 0; i < msssimScales; i++ {
		mark := ws.next
		_, l, c, s := ssimCore(ws, refs[i], diss[i], ws_[i], hs[i])
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
// apart from src. Where there is a SIMD kernel, the interior (outputs whose
// 9×9 window lies inside the image) goes through ssimRows: src is first
// split into its even and odd columns, so the samples a tap reads for
// consecutive outputs are consecutive. Every output is the same float as
// filterPixel's, summed in the same order; the border stays on filterPixel.
func decimateLPF(ws *workspace, src []float32, w, h int, dst []float32) {
	if !ssimSIMD() {
		decimate(src, w, h, 2, msssimLPF[:], 9, dst)
		return
	}
	const uc = 4
	sw, sh := w/2+(w&1), h/2+(h&1)
	we, wo := (w+1)/2, w/2
	mark := ws.next
	defer func() { ws.next = mark }()
	eo := ws.get(h * (we + wo)) // even columns, then odd columns
	for y := 0; y < h; y++ {
		row := src[y*w : y*w+w]
		e, o := eo[y*we:y*we+we], eo[h*we+y*wo:h*we+y*wo+wo]
		for x := range o {
			e[x], o[x] = row[2*x], row[2*x+1]
		}
		if w&1 == 1 {
			e[we-1] = row[w-1]
		}
	}
	// Output x is interior when uc <= 2x < w-uc, that is 2 <= x <= x1.
	x1 := (w - uc - 1) / 2
	var offs [81]int
	for y := 0; y < sh; y++ {
		out := dst[y*sw : y*sw+sw]
		iy := 2 * y
		if iy < uc || iy >= h-uc || x1 < 2 {
			for x := range out {
				out[x] = filterPixel(src, w, h, 2*x, iy, msssimLPF[:], 9)
			}
			continue
		}
		// Tap (v, u) of output x reads column 2x+u-4: even column x+u/2-2
		// for even u, odd column x+(u-1)/2-2 for odd u; offsets for x = 2.
		for v := 0; v < 9; v++ {
			r := iy + v - uc
			for u := 0; u < 9; u += 2 {
				offs[v*9+u] = r*we + u/2
			}
			for u := 1; u < 9; u += 2 {
				offs[v*9+u] = h*we + r*wo + (u-1)/2
			}
		}
		for x := 0; x < 2; x++ {
			out[x] = filterPixel(src, w, h, 2*x, iy, msssimLPF[:], 9)
		}
		ssimRows(out[2:x1+1], eo, offs[:], msssimLPF[:])
		for x := x1 + 1; x < sw; x++ {
			out[x] = filterPixel(src, w, h, 2*x, iy, msssimLPF[:], 9)
		}
	}
}
