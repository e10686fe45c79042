package encode

import (
	"fmt"
	"math"
	"strings"

	"github.com/asticode/go-astiav"
)

// Fits are how frames go into a movie size of another aspect ratio
// (RenderOptions.Fit).
var Fits = []string{"letterbox", "crop", "stretch"}

// picRect is a rectangle of the movie frame, in luma pixels.
type picRect struct{ x, y, w, h int }

// renderLayout is where the picture sits in the movie frame.
type renderLayout struct {
	ow, oh int     // the movie
	sw, sh int     // the frames scaled to
	cx, cy int     // crop: the offset of the movie in the scaled frame
	pic    picRect // the picture in the movie (letterbox: inside the bars)
	mask   []picRect
}

// alignDown rounds v down to a multiple of a.
func alignDown(v, a int) int { return v - v%a }

// alignRound rounds v to the nearest multiple of a (at least a).
func alignRound(v float64, a int) int {
	return max(int(math.Round(v/float64(a)))*a, a)
}

// newRenderLayout places w x h frames in the movie: the size asked for
// (ww, wh; one zero keeps the aspect) fitted as fit says, then the mask
// bars (aspect > 0) over the picture. Sizes and offsets are multiples of
// the chroma subsampling, so no chroma sample straddles an edge.
func newRenderLayout(w, h, ww, wh int, fit string, aspect float64, chroma [2]int) renderLayout {
	ow, oh := outSize(w, h, ww, wh, chroma)
	l := renderLayout{ow: ow, oh: oh, sw: ow, sh: oh, pic: picRect{0, 0, ow, oh}}
	src := float64(w) / float64(h)
	dst := float64(ow) / float64(oh)
	if ww > 0 && wh > 0 && math.Abs(src-dst) > 1e-3 {
		switch fit {
		case "", "letterbox":
			if src > dst { // wider: bars above and below
				l.sh = min(alignRound(float64(ow)/src, chroma[1]), oh)
			} else {
				l.sw = min(alignRound(float64(oh)*src, chroma[0]), ow)
			}
			l.pic = picRect{alignDown((ow-l.sw)/2, chroma[0]), alignDown((oh-l.sh)/2, chroma[1]), l.sw, l.sh}
		case "crop":
			if src > dst { // wider: cut the sides
				l.sw = max(alignRound(float64(oh)*src, chroma[0]), ow)
			} else {
				l.sh = max(alignRound(float64(ow)/src, chroma[1]), oh)
			}
			l.cx, l.cy = alignDown((l.sw-ow)/2, chroma[0]), alignDown((l.sh-oh)/2, chroma[1])
		}
	}
	if aspect > 0 {
		p := l.pic
		if pa := float64(p.w) / float64(p.h); aspect > pa {
			bar := alignDown((p.h-int(math.Round(float64(p.w)/aspect)))/2, chroma[1])
			if bar > 0 {
				l.mask = []picRect{{p.x, p.y, p.w, bar}, {p.x, p.y + p.h - bar, p.w, bar}}
			}
		} else if aspect < pa {
			bar := alignDown((p.w-int(math.Round(float64(p.h)*aspect)))/2, chroma[0])
			if bar > 0 {
				l.mask = []picRect{{p.x, p.y, bar, p.h}, {p.x + p.w - bar, p.y, bar, p.h}}
			}
		}
	}
	return l
}

// checkMask says what is wrong with a mask's aspect and opacity ("" when
// nothing: zero aspect is no mask, zero opacity is opaque).
func checkMask(aspect, opacity float64) string {
	if aspect < 0 || aspect > 0 && (aspect < 0.1 || aspect > 10) || math.IsNaN(aspect) {
		return fmt.Sprintf("mask aspect ratio %g is out of range (0.1 to 10)", aspect)
	}
	if opacity < 0 || opacity > 1 || math.IsNaN(opacity) {
		return fmt.Sprintf("mask opacity %g is not between 0 and 1", opacity)
	}
	return ""
}

// fitDesc is the filters that scale the frames into the movie: scale to
// the fitted size, converting to BT.709 Y'CbCr in pf, then crop or pad.
func (l renderLayout) fitDesc(pf string) string {
	parts := []string{fmt.Sprintf("scale=%d:%d:flags=bicubic:out_color_matrix=bt709:out_range=tv", l.sw, l.sh), "format=" + pf}
	switch {
	case l.sw > l.ow || l.sh > l.oh:
		parts = append(parts, fmt.Sprintf("crop=%d:%d:%d:%d:exact=1", l.ow, l.oh, l.cx, l.cy))
	case l.sw < l.ow || l.sh < l.oh:
		parts = append(parts, fmt.Sprintf("pad=%d:%d:%d:%d:color=black", l.ow, l.oh, l.pic.x, l.pic.y))
	}
	return strings.Join(parts, ",")
}

// applyMask darkens the mask bars of f (planar Y'CbCr, limited range, 8
// or 16 bits a sample) towards black by opacity (1: black). It runs in Go
// because FFmpeg 5.1's drawbox is 8-bit only: through it, a 10-bit
// picture would lose its depth.
func applyMask(f *astiav.Frame, bars []picRect, opacity float64, chroma [2]int, depth int) error {
	if len(bars) == 0 {
		return nil
	}
	if ret := makeWritable(f); ret < 0 {
		return fmt.Errorf("making the frame writable: error %d", ret)
	}
	keep := 1 - opacity
	for i := 0; i < 3; i++ {
		sx, sy := 1, 1
		blackV := 16 << (depth - 8)
		if i > 0 {
			sx, sy = chroma[0], chroma[1]
			blackV = 128 << (depth - 8)
		}
		rows := (f.Height() + sy - 1) / sy
		plane, ls := framePlane(f, i, rows)
		if plane == nil {
			return fmt.Errorf("plane %d missing", i)
		}
		black := float64(blackV)
		for _, b := range bars {
			for y := b.y / sy; y < (b.y+b.h)/sy; y++ {
				row := plane[y*ls:]
				for x := b.x / sx; x < (b.x+b.w)/sx; x++ {
					if depth > 8 {
						v := float64(uint16(row[2*x]) | uint16(row[2*x+1])<<8)
						n := uint16(math.Round(v*keep + black*opacity))
						row[2*x], row[2*x+1] = byte(n), byte(n>>8)
					} else {
						row[x] = byte(math.Round(float64(row[x])*keep + black*opacity))
					}
				}
			}
		}
	}
	return nil
}

// slateThumbBox is where the slate's thumbnail of a w x h frame goes in
// an ow x oh slate: fitted in a box 2/5 of the slate wide and high,
// centred at the top; the slate's lines go under it.
func slateThumbBox(w, h, ow, oh int, chroma [2]int) picRect {
	bw, bh := ow*2/5, oh*2/5
	tw, th := bw, int(math.Round(float64(bw)*float64(h)/float64(w)))
	if th > bh {
		tw, th = int(math.Round(float64(bh)*float64(w)/float64(h))), bh
	}
	tw, th = max(alignDown(tw, chroma[0]), chroma[0]), max(alignDown(th, chroma[1]), chroma[1])
	return picRect{alignDown((ow-tw)/2, chroma[0]), alignDown(oh*6/100, chroma[1]), tw, th}
}
