package seq

import (
	"fmt"
	"image"
	"image/color"

	"github.com/reelmedia/reel/media"
)

// HeatMap is an image of where two frames of a shot differ: the absolute
// luma difference of each pixel, scaled so the largest difference is white
// (black: equal; through red and yellow). It also returns that largest
// difference in code values. The frames must have the same size and bit
// depth.
func HeatMap(a, b *media.Frame) (*image.RGBA, int, error) {
	if a.Width != b.Width || a.Height != b.Height || a.Format.BitDepth != b.Format.BitDepth || len(a.Planes) == 0 || len(b.Planes) == 0 {
		return nil, 0, fmt.Errorf("heat map: frames differ in size or format (%dx%d %v, %dx%d %v)", a.Width, a.Height, a.Format, b.Width, b.Height, b.Format)
	}
	pa, pb := a.Planes[0], b.Planes[0]
	diff := make([]int, a.Width*a.Height)
	peak := 0
	for y := 0; y < a.Height; y++ {
		for x := 0; x < a.Width; x++ {
			d := pa.Sample(x, y) - pb.Sample(x, y)
			if d < 0 {
				d = -d
			}
			diff[y*a.Width+x] = d
			peak = max(peak, d)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, a.Width, a.Height))
	for i, d := range diff {
		v := 0.0
		if peak > 0 {
			v = float64(d) / float64(peak)
		}
		img.Set(i%a.Width, i/a.Width, heat(v))
	}
	return img, peak, nil
}

// heat maps 0..1 to black, red, yellow, white.
func heat(v float64) color.RGBA {
	c := func(x float64) uint8 { return uint8(min(max(x, 0), 1)*255 + 0.5) }
	return color.RGBA{R: c(3 * v), G: c(3*v - 1), B: c(3*v - 2), A: 255}
}
