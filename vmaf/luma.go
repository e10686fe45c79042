package vmaf

import (
	"encoding/binary"
	"fmt"

	"github.com/reelmedia/reel/media"
)

// MinDimension is the smallest frame width and height this package scores.
// Below it, the 4-scale VIF pyramid and the 4-level ADM wavelet run out of
// samples for their filters (libvmaf reads outside its buffers there).
const MinDimension = 36

// luma is a private copy of a frame's Y plane, one uint16 per sample for
// every bit depth, tightly packed.
type luma struct {
	w, h int
	bpc  int
	pix  []uint16
}

// lumaOf copies the Y plane of f into dst (reused when large enough).
func lumaOf(f *media.Frame, dst *luma) error {
	if f == nil {
		return fmt.Errorf("vmaf: nil frame: %w", ErrInvalidFrame)
	}
	if len(f.Planes) == 0 {
		return fmt.Errorf("vmaf: frame %d has no planes: %w", f.Index, ErrInvalidFrame)
	}
	p := f.Planes[0]
	bpc := p.BitDepth
	if bpc == 0 {
		bpc = f.Format.BitDepth
	}
	if bpc != 8 && bpc != 10 && bpc != 12 {
		return fmt.Errorf("vmaf: frame %d: bit depth %d not supported (8, 10 or 12): %w", f.Index, bpc, ErrInvalidFrame)
	}
	if p.Width < MinDimension || p.Height < MinDimension {
		return fmt.Errorf("vmaf: frame %d: %dx%d is smaller than %dx%d: %w",
			f.Index, p.Width, p.Height, MinDimension, MinDimension, ErrInvalidFrame)
	}
	bps := 1
	if bpc > 8 {
		bps = 2
	}
	if p.Stride < p.Width*bps || len(p.Pix) < (p.Height-1)*p.Stride+p.Width*bps {
		return fmt.Errorf("vmaf: frame %d: luma plane buffer too small for %dx%d stride %d: %w",
			f.Index, p.Width, p.Height, p.Stride, ErrInvalidFrame)
	}
	n := p.Width * p.Height
	if cap(dst.pix) < n {
		dst.pix = make([]uint16, n)
	}
	dst.pix = dst.pix[:n]
	dst.w, dst.h, dst.bpc = p.Width, p.Height, bpc
	maxv := uint16(1)<<bpc - 1
	for y := 0; y < p.Height; y++ {
		row := p.Pix[y*p.Stride:]
		out := dst.pix[y*p.Width : (y+1)*p.Width]
		if bps == 1 {
			for x := range out {
				out[x] = uint16(row[x])
			}
			continue
		}
		var or uint16
		for x := range out {
			v := binary.LittleEndian.Uint16(row[2*x:])
			or |= v
			out[x] = v
		}
		// Samples above the bit depth would overflow the fixed-point
		// pipelines; FFmpeg never produces them, hostile input might.
		if or > maxv {
			return fmt.Errorf("vmaf: frame %d: row %d has samples above %d bits: %w", f.Index, y, bpc, ErrInvalidFrame)
		}
	}
	return nil
}
