package vmaf

import (
	"math/rand/v2"
	"testing"
)

// admBandInputs are the patterns of band values the decouple and masking
// kernels are held to: any value, the extremes, small values (ratios near
// the clamps of the gain ratio), distorted values close to a multiple of
// the reference (the angle test near its one-degree threshold) and zeros.
var admBandInputs = []struct {
	name string
	// val returns the reference (o) or distorted (t) value of a pixel
	// within [lo, hi]; ref is the reference value of the same pixel.
	val func(r *rand.Rand, ref int64, lo, hi int64, dist bool) int64
}{
	{"random", func(r *rand.Rand, ref, lo, hi int64, dist bool) int64 { return lo + r.Int64N(hi-lo+1) }},
	{"extremes", func(r *rand.Rand, ref, lo, hi int64, dist bool) int64 {
		return [...]int64{lo, lo + 1, -1, 0, 1, hi - 1, hi}[r.IntN(7)]
	}},
	{"small", func(r *rand.Rand, ref, lo, hi int64, dist bool) int64 { return r.Int64N(17) - 8 }},
	{"scaled", func(r *rand.Rand, ref, lo, hi int64, dist bool) int64 {
		if !dist {
			return lo/4 + r.Int64N(hi/2-lo/2+1)
		}
		v := ref*int64(r.IntN(5)-1) + r.Int64N(5) - 2
		if r.IntN(3) == 0 {
			v = ref + ref/int64(40+r.IntN(30))*int64(r.IntN(3)-1)
		}
		return min(max(v, lo), hi)
	}},
	{"zero", func(r *rand.Rand, ref, lo, hi int64, dist bool) int64 {
		if r.IntN(2) == 0 {
			return 0
		}
		return lo + r.Int64N(hi-lo+1)
	}},
}

// admRows16 returns four rows of band values, reference h and v then
// distorted h and v, for one pattern.
func admRows16(rng *rand.Rand, pat int, w int) (oh, ov, th, tv []int16) {
	oh, ov, th, tv = make([]int16, w), make([]int16, w), make([]int16, w), make([]int16, w)
	in := admBandInputs[pat]
	for j := 0; j < w; j++ {
		oh[j] = int16(in.val(rng, 0, -32768, 32767, false))
		ov[j] = int16(in.val(rng, 0, -32768, 32767, false))
		th[j] = int16(in.val(rng, int64(oh[j]), -32768, 32767, true))
		tv[j] = int16(in.val(rng, int64(ov[j]), -32768, 32767, true))
	}
	return
}

var admKernelWidths = []int{8, 13, 16, 64, 101, 961, 1927}

// TestADMAngle16MatchesGo holds the AVX2 angle test of scale 0 to
// admAngle, the -32768 corner (a dot product of exactly 2^31) included.
func TestADMAngle16MatchesGo(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	defer func() { admAVX2 = true }()
	rng := rand.New(rand.NewPCG(7, 8))
	for pat := range admBandInputs {
		for _, w := range admKernelWidths {
			oh, ov, th, tv := admRows16(rng, pat, w)
			if pat == 1 {
				oh[0], ov[0], th[0], tv[0] = -32768, -32768, -32768, -32768
			}
			run := func(avx2 bool) []int32 {
				admAVX2 = avx2
				ang := make([]int32, w)
				admAngleRow16(oh, ov, th, tv, ang)
				return ang
			}
			fast, slow := run(true), run(false)
			if j := admFirstDiff(fast, slow); j >= 0 {
				t.Fatalf("%s, w=%d, pixel %d (%d %d %d %d): AVX2 %d, Go %d", admBandInputs[pat].name, w, j,
					oh[j], ov[j], th[j], tv[j], fast[j], slow[j])
			}
			if pat == 3 && w == 1927 {
				pass := 0
				for _, a := range slow {
					pass += int(-a)
				}
				if pass == 0 || pass == w {
					t.Fatalf("scaled rows: %d of %d pass the angle test; the pattern misses the threshold", pass, w)
				}
			}
		}
	}
}

// admKernelMode is a choice of the decouple kernels: AVX-512 where the
// CPU has it, then AVX2.
type admKernelMode struct {
	name         string
	avx512, avx2 bool
}

// admKernelModes returns the kernel choices the CPU can run, to compare
// each with the Go loop (both flags off).
func admKernelModes(t *testing.T) []admKernelMode {
	modes := []admKernelMode{{"AVX2", false, true}}
	if admAVX512 {
		modes = append(modes, admKernelMode{"AVX-512", true, true})
	} else {
		t.Log("no AVX-512 F/CD/DQ on this CPU: the AVX2 kernels only")
	}
	return modes
}

// TestADMDecouple0MatchesGo holds the AVX-512 and AVX2 decouple and CSF
// kernels of scale 0 to the Go loop for all three bands' constants and two
// gain limits, with random angle masks.
func TestADMDecouple0MatchesGo(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	defer func(a5 bool) { admAVX2, admAVX512 = true, a5 }(admAVX512)
	modes := admKernelModes(t)
	rng := rand.New(rand.NewPCG(9, 10))
	consts := [3]struct {
		rw, add int32
		sh      uint
	}{{36453, 16384, 15}, {36453, 16384, 15}, {49417, 65535, 17}}
	for pat := range admBandInputs {
		for _, w := range []int{8, 13, 16, 24, 31, 64, 101, 961, 1927} {
			for _, egl := range []float64{1, 1.7, 100} {
				for k, c := range consts {
					o, _, tt, _ := admRows16(rng, pat, w)
					ang := make([]int32, w)
					for j := range ang {
						ang[j] = -int32(rng.IntN(2))
					}
					run := func(avx512, avx2 bool) [3][]int16 {
						admAVX512, admAVX2 = avx512, avx2
						out := [3][]int16{make([]int16, w), make([]int16, w), make([]int16, w)}
						admDecouple0Row(o, tt, ang, egl, c.rw, c.add, c.sh, out[0], out[1], out[2])
						return out
					}
					slow := run(false, false)
					for _, md := range modes {
						fast := run(md.avx512, md.avx2)
						for b := range fast {
							if j := admFirstDiff(fast[b], slow[b]); j >= 0 {
								t.Fatalf("%s, %s, w=%d, egl %g, band %d, output %d, pixel %d (o %d t %d angle %d): kernel %d, Go %d",
									md.name, admBandInputs[pat].name, w, egl, k, b, j, o[j], tt[j], ang[j], fast[b][j], slow[b][j])
							}
						}
					}
				}
			}
		}
	}
}

func admFirstDiff[T comparable](a, b []T) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// TestADMDecoupleSMatchesGo holds the AVX-512 and AVX2 decouple and CSF
// kernels of scales 1-3 to the Go loop for each scale's CSF factors and two gain
// limits, on int32 values of any size (every shift of the division's
// normalisation, INT_MIN included) and of the sizes real bands have.
func TestADMDecoupleSMatchesGo(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	defer func(a5 bool) { admAVX2, admAVX512 = true, a5 }(admAVX512)
	modes := admKernelModes(t)
	rng := rand.New(rand.NewPCG(15, 16))
	for pat := range admBandInputs {
		for _, lim := range []int64{1<<31 - 1, 1 << 20, 40000} {
			for _, w := range []int{8, 13, 16, 24, 31, 64, 101, 961, 1927} {
				for _, egl := range []float64{1, 1.7, 100} {
					for s := 1; s < 4; s++ {
						for k, rf := range admRfactorU32(s) {
							o := make([]int32, w)
							tt := make([]int32, w)
							in := admBandInputs[pat]
							for j := range o {
								o[j] = int32(in.val(rng, 0, -lim-1, lim, false))
								if pat == 0 && rng.IntN(4) == 0 {
									// |o| at every power of two.
									o[j] = int32(int64(1)<<rng.IntN(32)) - int32(rng.IntN(2))
								}
								tt[j] = int32(in.val(rng, int64(o[j]), -lim-1, lim, true))
							}
							ang := make([]int32, w)
							for j := range ang {
								ang[j] = -int32(rng.IntN(2))
							}
							run := func(avx512, avx2 bool) [3][]int32 {
								admAVX512, admAVX2 = avx512, avx2
								out := [3][]int32{make([]int32, w), make([]int32, w), make([]int32, w)}
								admDecoupleSRow(o, tt, ang, egl, rf, out[0], out[1], out[2])
								return out
							}
							slow := run(false, false)
							for _, md := range modes {
								fast := run(md.avx512, md.avx2)
								for b := range fast {
									if j := admFirstDiff(fast[b], slow[b]); j >= 0 {
										t.Fatalf("%s, %s, limit %d, w=%d, egl %g, scale %d band %d, output %d, pixel %d (o %d t %d angle %d): kernel %d, Go %d",
											md.name, in.name, lim, w, egl, s, k, b, j, o[j], tt[j], ang[j], fast[b][j], slow[b][j])
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestADMAngleSMatchesGo holds the AVX2 angle test of scales 1-3 to
// admAngle, on values below the kernel's 2^26 bound (up to just under it)
// and above it (the Go loop's blocks, interleaved with the kernel's).
func TestADMAngleSMatchesGo(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	defer func() { admAVX2 = true }()
	rng := rand.New(rand.NewPCG(17, 18))
	for pat := range admBandInputs {
		for _, lim := range []int64{1<<26 - 1, 1 << 20, 1<<31 - 1, 40000} {
			for _, w := range admKernelWidths {
				in := admBandInputs[pat]
				oh, ov, th, tv := make([]int32, w), make([]int32, w), make([]int32, w), make([]int32, w)
				for j := 0; j < w; j++ {
					l := lim
					if lim == 1<<31-1 && j/8%3 != 0 {
						l = 1 << 25 // blocks the kernel takes between those it leaves
					}
					oh[j] = int32(in.val(rng, 0, -l, l, false))
					ov[j] = int32(in.val(rng, 0, -l, l, false))
					th[j] = int32(in.val(rng, int64(oh[j]), -l, l, true))
					tv[j] = int32(in.val(rng, int64(ov[j]), -l, l, true))
				}
				run := func(avx2 bool) []int32 {
					admAVX2 = avx2
					ang := make([]int32, w)
					admAngleRow32(oh, ov, th, tv, ang)
					return ang
				}
				fast, slow := run(true), run(false)
				if j := admFirstDiff(fast, slow); j >= 0 {
					t.Fatalf("%s, limit %d, w=%d, pixel %d (%d %d %d %d): AVX2 %d, Go %d", in.name, lim, w, j,
						oh[j], ov[j], th[j], tv[j], fast[j], slow[j])
				}
				if pat == 3 && w == 1927 {
					pass := 0
					for _, a := range slow {
						pass += int(-a)
					}
					if pass == 0 || pass == w {
						t.Fatalf("scaled rows, limit %d: %d of %d pass the angle test; the pattern misses the threshold", lim, pass, w)
					}
				}
			}
		}
	}
}

// TestADMAngleSBound holds the AVX2 angle kernel of scales 1-3 to its
// bound: it takes blocks whose values are all under 2^26 in magnitude and
// stops at the first block with one of 2^26 or more, in any of the four
// bands, INT_MIN included.
func TestADMAngleSBound(t *testing.T) {
	if !admAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	for band := 0; band < 4; band++ {
		for _, v := range []int32{1<<26 - 1, -(1<<26 - 1), 1 << 26, -1 << 26, 1<<31 - 1, -1 << 31} {
			var rows [4][]int32
			for k := range rows {
				rows[k] = make([]int32, 24)
				for j := range rows[k] {
					rows[k][j] = int32(j + k)
				}
			}
			rows[band][13] = v
			ang := make([]int32, 24)
			done := admAngleSAVX2(&rows[0][0], &rows[1][0], &rows[2][0], &rows[3][0], 24, admCosSq, &ang[0])
			want := 24
			if v >= 1<<26 || v <= -1<<26 {
				want = 8
			}
			if done != want {
				t.Errorf("band %d, value %d at pixel 13: the kernel did %d pixels, want %d", band, v, done, want)
			}
		}
	}
}
