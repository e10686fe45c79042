package vmaf

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/reelmedia/reel/media"
)

// TestADMAVX2MatchesGo holds the AVX-512 and AVX2 vertical DWT passes to
// the Go loop on random and extreme rows, at bit depths up to 16 where the
// int32 sums wrap, for widths that are and are not multiples of 8 and 16.
func TestADMAVX2MatchesGo(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	defer func(a5 bool) { admAVX2, admAVX512 = true, a5 }(admAVX512)
	modes := admKernelModes(t)
	for _, bpc := range []int{8, 10, 12, 16} {
		rnd := int32(1) << (bpc - 1)
		centre := int32(dwtLoSum) * rnd
		maxv := uint32(1)<<bpc - 1
		for _, in := range vifKernelInputs {
			for _, w := range []int{8, 13, 16, 24, 31, 64, 1920, 1927} {
				var rows [4][]uint16
				for k := range rows {
					rows[k] = make([]uint16, w)
					for j := range rows[k] {
						rows[k][j] = uint16(in.pix(rng, k, j, maxv))
					}
				}
				run := func(avx512, avx2 bool) ([]int16, []int16) {
					admAVX512, admAVX2 = avx512, avx2
					lo, hi := make([]int16, w), make([]int16, w)
					admDwt0Vert(rows[0], rows[1], rows[2], rows[3], centre, rnd, uint(bpc), lo, hi)
					return lo, hi
				}
				slowLo, slowHi := run(false, false)
				for _, md := range modes {
					fastLo, fastHi := run(md.avx512, md.avx2)
					if !slices.Equal(fastLo, slowLo) || !slices.Equal(fastHi, slowHi) {
						t.Fatalf("%s, %d-bit, %s, w=%d: kernel lo %v hi %v, Go lo %v hi %v", md.name, bpc, in.name, w,
							fastLo[:8], fastHi[:8], slowLo[:8], slowHi[:8])
					}
				}
			}
		}
	}
}

// TestADMAVX2HorizMatchesGo holds the AVX-512 and AVX2 horizontal DWT
// passes to the Go loop on rows of any int16 values, the extremes included.
func TestADMAVX2HorizMatchesGo(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	defer func(a5 bool) { admAVX2, admAVX512 = true, a5 }(admAVX512)
	modes := admKernelModes(t)
	for _, in := range vifKernelInputs {
		for _, bias := range []int32{-32768, 0} {
			for _, w := range []int{36, 37, 50, 71, 86, 1920, 1927} {
				bw := (w + 1) / 2
				lo, hi := make([]int16, w), make([]int16, w)
				for j := range lo {
					lo[j] = int16(int32(in.pix(rng, 0, j, 65535)) + bias)
					hi[j] = int16(int32(in.pix(rng, 1, j, 65535)) + bias)
				}
				run := func(avx512, avx2 bool) [4][]int16 {
					admAVX512, admAVX2 = avx512, avx2
					var out [4][]int16
					for k := range out {
						out[k] = make([]int16, bw-2)
					}
					admDwt0Horiz(lo, hi, out[0], out[1], out[2], out[3])
					return out
				}
				slow := run(false, false)
				for _, md := range modes {
					fast := run(md.avx512, md.avx2)
					for k := range fast {
						if !slices.Equal(fast[k], slow[k]) {
							t.Fatalf("%s, %s, bias %d, w=%d, band %d: kernel %v, Go %v", md.name, in.name, bias, w, k, fast[k][:9], slow[k][:9])
						}
					}
				}
			}
		}
	}
}

// TestADMDwtSMatchesGo holds the AVX-512 and AVX2 passes of dwtS to the Go loops with
// the rounding of each scale, on int32 samples of any size (the int64
// sums and their int32 wrap after the shift) and of real sizes, for
// widths that are and are not multiples of 8.
func TestADMDwtSMatchesGo(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	defer func(a5 bool) { admAVX2, admAVX512 = true, a5 }(admAVX512)
	modes := admKernelModes(t)
	rng := rand.New(rand.NewPCG(19, 20))
	rounding := []struct {
		add int64
		sh  uint
	}{{0, 0}, {32768, 16}, {16384, 15}}
	for pat := range admBandInputs {
		for _, lim := range []int64{1<<31 - 1, 1 << 18} {
			for _, w := range []int{36, 37, 50, 71, 86, 481, 960, 1927} {
				var rows [4][]int32
				for k := range rows {
					rows[k] = admRow32(rng, pat, w, -lim-1, lim)
				}
				bw := (w + 1) / 2
				for _, rd := range rounding {
					run := func(avx512, avx2 bool) [6][]int32 {
						admAVX512, admAVX2 = avx512, avx2
						var out [6][]int32
						out[0], out[1] = make([]int32, w), make([]int32, w)
						admDwtSVert(rows[0], rows[1], rows[2], rows[3], rd.add, rd.sh, out[0], out[1])
						for k := 2; k < 6; k++ {
							out[k] = make([]int32, bw-2)
						}
						// The horizontal pass on the sample rows themselves,
						// so that its input has any value.
						admDwtSHoriz(rows[0], rows[1], rd.add, rd.sh, out[2], out[3], out[4], out[5])
						return out
					}
					slow := run(false, false)
					for _, md := range modes {
						fast := run(md.avx512, md.avx2)
						for k := range fast {
							if j := admFirstDiff(fast[k], slow[k]); j >= 0 {
								t.Fatalf("%s, %s, limit %d, w=%d, rounding %+v, output %d, column %d: kernel %d, Go %d",
									md.name, admBandInputs[pat].name, lim, w, rd, k, j, fast[k][j], slow[k][j])
							}
						}
					}
				}
			}
		}
	}
}

// TestADMKernelsWholeFrames computes whole frames with and without the
// SIMD kernels, at sizes whose bands are and are not multiples of 8 wide
// (down to bands too narrow for the kernels), both gain limits: adm2 and
// every scale's numerator and denominator must be identical.
func TestADMKernelsWholeFrames(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	for _, bpc := range []int{8, 10} {
		f := media.Format{Chroma: media.Chroma420, BitDepth: bpc}
		for _, size := range [][2]int{{131, 77}, {176, 144}, {200, 40}, {45, 37}, {333, 181}} {
			for _, dist := range []int{0, 3, 7} {
				var r, d luma
				if err := lumaOf(synthFrame(size[0], size[1], f, 1, 0), &r); err != nil {
					t.Fatal(err)
				}
				if err := lumaOf(synthFrame(size[0], size[1], f, 1, dist), &d); err != nil {
					t.Fatal(err)
				}
				for _, egl := range []float64{1, defaultEnhnGainLimit} {
					fast := (&admWorker{}).compute(&r, &d, egl)
					restore := setKernels(false)
					slow := (&admWorker{}).compute(&r, &d, egl)
					restore()
					if fast != slow {
						t.Errorf("%d-bit %dx%d distortion %d egl %g: AVX2 %+v, Go %+v", bpc, size[0], size[1], dist, egl, fast, slow)
					}
				}
			}
		}
	}
}
