package seq

import (
	"testing"

	"github.com/reelmedia/reel/media"
)

func TestHeatMap(t *testing.T) {
	f := func(patch int) *media.Frame {
		fr := media.NewFrame(8, 4, media.Format{Chroma: media.Chroma420, BitDepth: 8})
		for y := 0; y < 4; y++ {
			copy(fr.Planes[0].Row(y), []byte{16, 16, 16, 16, 16, 16, 16, 16})
		}
		fr.Planes[0].Row(1)[2] = byte(patch)
		fr.Planes[0].Row(2)[5] = byte(16 + (patch-16)/3)
		return fr
	}
	img, peak, err := HeatMap(f(16), f(106))
	if err != nil {
		t.Fatal(err)
	}
	if peak != 90 {
		t.Errorf("peak %d, want 90", peak)
	}
	if c := img.RGBAAt(2, 1); c.R != 255 || c.G != 255 || c.B != 255 {
		t.Errorf("largest difference %v, want white", c)
	}
	if c := img.RGBAAt(5, 2); c.R != 255 || c.G != 0 || c.B != 0 {
		t.Errorf("a third of the largest %v, want red", c)
	}
	if c := img.RGBAAt(0, 0); c.R != 0 || c.G != 0 || c.B != 0 {
		t.Errorf("no difference %v, want black", c)
	}
	if _, _, err := HeatMap(f(16), media.NewFrame(4, 4, media.Format{Chroma: media.Chroma420, BitDepth: 8})); err == nil {
		t.Error("frames of different sizes compared")
	}
}
