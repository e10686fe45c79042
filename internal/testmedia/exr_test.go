package testmedia

import (
	"encoding/binary"
	"math"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestWriteEXR decodes what WriteEXR writes with the ffmpeg CLI (FFmpeg's
// own EXR decoder) and checks every sample, half and float.
func TestWriteEXR(t *testing.T) {
	const w, h = 7, 3
	pix := func(x, y int) [3]float32 {
		v := float32(x)*0.25 + float32(y)*2 // 0 .. 5.5, exact in half
		return [3]float32{v, v + 0.5, -v}
	}
	for _, half := range []bool{true, false} {
		p := filepath.Join(t.TempDir(), "a.exr")
		if err := WriteEXR(p, w, h, half, pix); err != nil {
			t.Fatal(err)
		}
		raw, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", p, "-f", "rawvideo", "-pix_fmt", "gbrpf32le", "-").Output()
		if err != nil {
			t.Fatalf("half %v: ffmpeg cannot read it: %v", half, err)
		}
		if len(raw) != w*h*3*4 {
			t.Fatalf("half %v: %d bytes decoded", half, len(raw))
		}
		at := func(plane, x, y int) float32 {
			return math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(plane*w*h+y*w+x):]))
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				want := pix(x, y)
				// gbrp planes: G, B, R
				got := [3]float32{at(2, x, y), at(0, x, y), at(1, x, y)}
				if got != want {
					t.Fatalf("half %v: pixel %d,%d = %v, want %v", half, x, y, got, want)
				}
			}
		}
	}
}

func TestToHalf(t *testing.T) {
	cases := map[float32]uint16{0: 0, 1: 0x3c00, -2: 0xc000, 0.5: 0x3800, 65504: 0x7bff, 1e6: 0x7c00, 5.960464477539063e-08: 0x0001, 1e-9: 0}
	for f, want := range cases {
		if got := toHalf(f); got != want {
			t.Errorf("toHalf(%g) = %#04x, want %#04x", f, got, want)
		}
	}
	if got := toHalf(float32(math.NaN())); got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
		t.Errorf("NaN -> %#04x", got)
	}
}
