package vmaf

import (
	"encoding/binary"
	"math"

	"github.com/reelmedia/reel/media"
)

var psnrNames = [3]string{"psnr_y", "psnr_cb", "psnr_cr"}

// psnrFrame computes libvmaf's "psnr" feature (integer_psnr.c) for a pair
// that checkPair accepted: per plane, the sum of squared differences over
// the area libvmaf scores, then 10·log10(peak²/mse) capped at 6·bpc+12 dB
// (60 dB for 8-bit, 72 for 10-bit, 84 for 12-bit). The peak is 2^bpc-1.
func psnrFrame(ref, dis *media.Frame) map[string]float64 {
	bpc := ref.Format.BitDepth
	peak := float64(uint32(1)<<bpc - 1)
	psnrMax := float64(6*bpc + 12)
	n := 3
	if ref.Format.Chroma == media.Chroma400 {
		n = 1
	}
	out := make(map[string]float64, n)
	for i := 0; i < n; i++ {
		w, h := planeSize(ref, i)
		var sse uint64
		if bpc == 8 {
			sse = sse8(ref.Planes[i], dis.Planes[i], w, h)
		} else {
			sse = sse16(ref.Planes[i], dis.Planes[i], w, h)
		}
		out[psnrNames[i]] = psnrFromSSE(sse, w*h, peak, psnrMax)
	}
	return out
}

// psnrFromSSE follows libvmaf: the mean squared error is floored at 1e-16
// (an empty plane's 0/0 also lands there), and the result is capped.
func psnrFromSSE(sse uint64, n int, peak, psnrMax float64) float64 {
	mse := float64(sse) / float64(n)
	if !(mse > 1e-16) {
		mse = 1e-16
	}
	return math.Min(10*math.Log10(peak*peak/mse), psnrMax)
}

func sse8(r, d media.Plane, w, h int) uint64 {
	var sse uint64
	for y := 0; y < h; y++ {
		rr := r.Pix[y*r.Stride : y*r.Stride+w]
		dr := d.Pix[y*d.Stride : y*d.Stride+w]
		var row uint64
		for x, a := range rr {
			e := int32(a) - int32(dr[x])
			row += uint64(e * e)
		}
		sse += row
	}
	return sse
}

func sse16(r, d media.Plane, w, h int) uint64 {
	var sse uint64
	for y := 0; y < h; y++ {
		rr := r.Pix[y*r.Stride : y*r.Stride+2*w]
		dr := d.Pix[y*d.Stride : y*d.Stride+2*w]
		for x := 0; x < 2*w; x += 2 {
			e := int64(binary.LittleEndian.Uint16(rr[x:])) - int64(binary.LittleEndian.Uint16(dr[x:]))
			sse += uint64(e * e)
		}
	}
	return sse
}
