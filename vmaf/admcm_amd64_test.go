package vmaf

import (
	"math/rand/v2"
	"testing"
)

// admRow returns a row of w values of one admBandInputs pattern within
// [lo, hi].
func admRow(rng *rand.Rand, pat, w int, lo, hi int64) []int64 {
	row := make([]int64, w)
	for j := range row {
		row[j] = admBandInputs[pat].val(rng, 0, lo, hi, false)
	}
	return row
}

func admRow16(rng *rand.Rand, pat, w int) []int16 {
	out := make([]int16, w)
	for j, v := range admRow(rng, pat, w, -32768, 32767) {
		out[j] = int16(v)
	}
	return out
}

func admRow32(rng *rand.Rand, pat, w int, lo, hi int64) []int32 {
	out := make([]int32, w)
	for j, v := range admRow(rng, pat, w, lo, hi) {
		out[j] = int32(v)
	}
	return out
}

// admCMRegions are the scoring regions, [left, right) of a row of width
// w, the masking kernels are held to: the real ones and ones that touch
// both borders of the row.
func admCMRegions(w int) [][2]int {
	left, _, right, _ := admRegion(w, 1)
	return [][2]int{{left, right}, {0, w}, {1, w - 1}, {0, w - 1}, {1, w}}
}

// TestADMThrMatchesGo holds the AVX2 threshold kernels of both band types
// to the Go loop, the int32 wrap of the scales 1-3 sums and the centre of
// INT_MIN included.
func TestADMThrMatchesGo(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	defer func() { admAVX2 = true }()
	rng := rand.New(rand.NewPCG(11, 12))
	for pat := range admBandInputs {
		for _, w := range admKernelWidths {
			for _, reg := range admCMRegions(w) {
				fu, fi, fd, a := admRow16(rng, pat, w), admRow16(rng, pat, w), admRow16(rng, pat, w), admRow16(rng, pat, w)
				var lim int64 = 1<<31 - 1
				if pat == 2 {
					lim = 1 << 27 // the real range of the 1/30 values
				}
				gu, gi, gd, ga := admRow32(rng, pat, w, -lim-1, lim), admRow32(rng, pat, w, -lim-1, lim),
					admRow32(rng, pat, w, -lim-1, lim), admRow32(rng, pat, w, -1<<31, 1<<31-1)
				run := func(avx2 bool) ([]int32, []int32) {
					admAVX2 = avx2
					t16, t32 := make([]int32, reg[1]-reg[0]), make([]int32, reg[1]-reg[0])
					for j := range t16 {
						t16[j], t32[j] = int32(j*7919), int32(j*104729)
					}
					admThrRow16(fu, fi, fd, a, reg[0], t16)
					admThrRow32(gu, gi, gd, ga, reg[0], t32)
					return t16, t32
				}
				f16, f32 := run(true)
				s16, s32 := run(false)
				if j := admFirstDiff(f16, s16); j >= 0 {
					t.Fatalf("int16 %s, w=%d, region %v, column %d: AVX2 %d, Go %d", admBandInputs[pat].name, w, reg, reg[0]+j, f16[j], s16[j])
				}
				if j := admFirstDiff(f32, s32); j >= 0 {
					t.Fatalf("int32 %s, w=%d, region %v, column %d: AVX2 %d, Go %d", admBandInputs[pat].name, w, reg, reg[0]+j, f32[j], s32[j])
				}
			}
		}
	}
}

// TestADMPoolMatchesGo holds the AVX2 pooling kernels to the Go loop with
// the constants of every band and of band widths from 16 to 4096, on
// values whose masked square wraps int32 and thresholds whose shift
// wraps.
func TestADMPoolMatchesGo(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	defer func() { admAVX2 = true }()
	rng := rand.New(rand.NewPCG(13, 14))
	type band16 struct {
		rw  int32
		sub uint
		p   admPoolConsts
	}
	var b16 []band16
	var p32 []admPoolConsts
	for _, cubSh := range []uint64{1, 6, 9, 12, 13, 40} {
		b16 = append(b16,
			band16{36453, 10, admPoolConsts{1 << 28, 29, 1 << (cubSh - 1), cubSh}},
			band16{49417, 12, admPoolConsts{1 << 29, 30, 1 << (cubSh - 1), cubSh}})
		p32 = append(p32, admPoolConsts{1 << 29, 30, 1 << (cubSh - 1), cubSh})
	}
	for pat := range admBandInputs {
		for _, w := range admKernelWidths {
			r16 := admRow16(rng, pat, w)
			r32 := admRow32(rng, pat, w, -1<<31, 1<<31-1)
			thr := admRow32(rng, pat, w, 0, 1<<20)
			if pat == 4 {
				thr = admRow32(rng, 2, w, 0, 0) // small thresholds: most values pass
			}
			for _, b := range b16 {
				admAVX2 = true
				fast := admPoolRow16(r16, thr, b.rw, b.sub, &b.p)
				admAVX2 = false
				slow := admPoolRow16(r16, thr, b.rw, b.sub, &b.p)
				if fast != slow {
					t.Fatalf("int16 %s, w=%d, %+v: AVX2 %d, Go %d", admBandInputs[pat].name, w, b, fast, slow)
				}
			}
			for s := 1; s < 4; s++ {
				for k, rf := range admRfactorU32(s) {
					for _, p := range p32 {
						admAVX2 = true
						fast := admPoolRow32(r32, thr, rf, &p)
						admAVX2 = false
						slow := admPoolRow32(r32, thr, rf, &p)
						if fast != slow {
							t.Fatalf("int32 %s, w=%d, scale %d band %d, %+v: AVX2 %d, Go %d", admBandInputs[pat].name, w, s, k, p, fast, slow)
						}
					}
				}
			}
		}
	}
}

// TestADMCubesMatchesGo holds the AVX2 sum of cubes of the scale-0
// denominator to the Go loop, -32768 included.
func TestADMCubesMatchesGo(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	defer func() { admAVX2 = true }()
	rng := rand.New(rand.NewPCG(21, 22))
	for pat := range admBandInputs {
		for _, w := range admKernelWidths {
			row := admRow16(rng, pat, w)
			row[rng.IntN(w)] = -32768
			admAVX2 = true
			fast := admCubes16(row)
			admAVX2 = false
			if slow := admCubes16(row); fast != slow {
				t.Fatalf("%s, w=%d: AVX2 %d, Go %d", admBandInputs[pat].name, w, fast, slow)
			}
		}
	}
}
