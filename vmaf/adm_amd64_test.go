package vmaf

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestADMAVX2MatchesGo holds the AVX2 vertical DWT pass to the Go loop on
// random and extreme rows, at bit depths up to 16 where the int32 sums
// wrap, for widths that are and are not multiples of 8.
func TestADMAVX2MatchesGo(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	defer func() { admAVX2 = true }()
	for _, bpc := range []int{8, 10, 12, 16} {
		rnd := int32(1) << (bpc - 1)
		centre := int32(dwtLoSum) * rnd
		maxv := uint32(1)<<bpc - 1
		for _, in := range vifKernelInputs {
			for _, w := range []int{8, 13, 64, 1920, 1927} {
				var rows [4][]uint16
				for k := range rows {
					rows[k] = make([]uint16, w)
					for j := range rows[k] {
						rows[k][j] = uint16(in.pix(rng, k, j, maxv))
					}
				}
				run := func(avx2 bool) ([]int16, []int16) {
					admAVX2 = avx2
					lo, hi := make([]int16, w), make([]int16, w)
					admDwt0Vert(rows[0], rows[1], rows[2], rows[3], centre, rnd, uint(bpc), lo, hi)
					return lo, hi
				}
				fastLo, fastHi := run(true)
				slowLo, slowHi := run(false)
				if !slices.Equal(fastLo, slowLo) || !slices.Equal(fastHi, slowHi) {
					t.Fatalf("%d-bit, %s, w=%d: AVX2 lo %v hi %v, Go lo %v hi %v", bpc, in.name, w,
						fastLo[:8], fastHi[:8], slowLo[:8], slowHi[:8])
				}
			}
		}
	}
}
