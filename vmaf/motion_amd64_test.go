package vmaf

import (
	"math/rand/v2"
	"testing"
)

// TestMotionAVX2MatchesGo scores frame pairs with and without the AVX2
// kernels at 8, 10 and 12 bits: random, extreme (one frame at the maximum,
// the other at 0, both ways) and alternating content, at widths that are
// and are not multiples of 8.
func TestMotionAVX2MatchesGo(t *testing.T) {
	if !motionAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	defer func() { motionAVX2 = true }()
	for _, bpc := range []int{8, 10, 12} {
		maxv := uint32(1)<<bpc - 1
		for _, pi := range vifKernelInputs {
			for _, ci := range vifKernelInputs {
				for _, size := range [][2]int{{64, 36}, {67, 37}, {1920, 40}} {
					w, h := size[0], size[1]
					prev := luma{w: w, h: h, bpc: bpc, pix: make([]uint16, w*h)}
					cur := luma{w: w, h: h, bpc: bpc, pix: make([]uint16, w*h)}
					for i := range h {
						for j := range w {
							prev.pix[i*w+j] = uint16(pi.pix(rng, i, j, maxv))
							cur.pix[i*w+j] = uint16(ci.pix(rng, i+1, j, maxv))
						}
					}
					var m motionWorker
					motionAVX2 = true
					fast := m.sad(&prev, &cur)
					motionAVX2 = false
					slow := m.sad(&prev, &cur)
					if fast != slow {
						t.Fatalf("%d-bit %s against %s, %dx%d: AVX2 %v, Go %v", bpc, pi.name, ci.name, w, h, fast, slow)
					}
				}
			}
		}
	}
}

// TestMotionAVX2HorizMatchesGo holds the horizontal kernel to the Go loop
// on rows of any value a vertical pass of up to 12 bits can write.
func TestMotionAVX2HorizMatchesGo(t *testing.T) {
	if !motionAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, in := range vifKernelInputs {
		for _, sign := range []int64{1, -1} {
			for _, n := range []int{4, 8, 100, 1920} {
				row := make([]int64, n+4)
				for j := range row {
					row[j] = sign * int64(in.pix(rng, 0, j, 65535))
				}
				if in.name == "random" {
					for j := range row {
						row[j] = rng.Int64N(2*65535+1) - 65535
					}
				}
				var want uint32
				for j := 0; j < n; j++ {
					t := row[j : j+5]
					v := int32((3571*t[0] + 16004*t[1] + 26386*t[2] + 16004*t[3] + 3571*t[4] + 32768) >> 16)
					if v < 0 {
						v = -v
					}
					want += uint32(v)
				}
				if got := motionHorizAVX2(&row[0], n); got != want {
					t.Fatalf("%s, sign %d, n=%d: AVX2 %d, Go %d", in.name, sign, n, got, want)
				}
			}
		}
	}
}
